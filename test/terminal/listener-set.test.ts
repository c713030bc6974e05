import { describe, expect, it } from 'vitest';
import { ListenerSet } from '../../src/terminal/listener-set.js';

describe('ListenerSet', () => {
  it('calls the listeners in registration order; the returned function removes one', () => {
    const set = new ListenerSet<number>();
    const heard: string[] = [];
    set.add((n) => heard.push(`a${n}`));
    const removeB = set.add((n) => heard.push(`b${n}`));
    expect(set.size).toBe(2);
    set.emit(1);
    removeB();
    set.emit(2);
    expect(heard).toEqual(['a1', 'b1', 'a2']);
    expect(set.size).toBe(1);
  });

  it('a listener that throws does not keep the event from the others, nor fail emit()', () => {
    const set = new ListenerSet<string>();
    const heard: string[] = [];
    set.add(() => {
      throw new Error('listener bug');
    });
    set.add((e) => heard.push(e));
    expect(() => set.emit('x')).not.toThrow();
    expect(heard).toEqual(['x']);
  });

  it('listeners added or removed during an emit take effect from the next event', () => {
    const set = new ListenerSet<number>();
    const heard: string[] = [];
    let removeLate: () => void = () => undefined;
    set.add((n) => {
      heard.push(`first${n}`);
      if (n === 1) set.add((m) => heard.push(`added${m}`));
      removeLate();
    });
    removeLate = set.add((n) => heard.push(`late${n}`));
    set.emit(1);
    set.emit(2);
    expect(heard).toEqual(['first1', 'late1', 'first2', 'added2']);
  });

  it('clear() removes every listener', () => {
    const set = new ListenerSet<number>();
    let calls = 0;
    set.add(() => calls++);
    set.clear();
    set.emit(1);
    expect([calls, set.size]).toEqual([0, 0]);
  });
});
