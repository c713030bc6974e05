import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileOnceSync, exclusiveCreate, linkNewFileSync } from '../../src/files/index.js';
import { thrown } from '../support/throws.js';
import { tempDirPerTest } from '../support/temp-dir.js';

const tmp = tempDirPerTest('sscard-files-');

describe('linkNewFileSync', () => {
  it('creates the file complete, and leaves no temporary beside it', () => {
    const lock = join(tmp.path, 'card.json.lock');
    expect(linkNewFileSync(lock, '{"pid":1}')).toBe(true);
    expect(readFileSync(lock, 'utf8')).toBe('{"pid":1}');
    expect(readdirSync(tmp.path)).toEqual(['card.json.lock']);
  });

  it('is false, and leaves the file as it was, when the file exists', () => {
    const lock = join(tmp.path, 'lock');
    writeFileSync(lock, 'held');
    expect(linkNewFileSync(lock, 'mine')).toBe(false);
    expect(readFileSync(lock, 'utf8')).toBe('held');
    expect(readdirSync(tmp.path)).toEqual(['lock']);
  });

  it('throws a failed write of the temporary as Node reports it (not a link failure)', () => {
    const missing = thrown(() => linkNewFileSync(join(tmp.path, 'no-such-dir', 'lock'), 'x'));
    expect(missing).toMatchObject({ code: 'ENOENT', syscall: 'open' });
  });
});

describe('exclusiveCreate', () => {
  it('is true when the create made the target, false when it failed on an existing one', () => {
    const file = join(tmp.path, 'slot-0.lock');
    const create = () => writeFileSync(file, 'mine', { flag: 'wx' });
    expect(exclusiveCreate(create)).toBe(true);
    expect(exclusiveCreate(create)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('mine');
  });

  it('throws any other failure', () => {
    const create = () => writeFileSync(join(tmp.path, 'no-such-dir', 'lock'), 'x', { flag: 'wx' });
    expect(thrown(() => exclusiveCreate(create))).toMatchObject({ code: 'ENOENT' });
  });
});

describe('createFileOnceSync', () => {
  it('creates the file complete where there are hard links, and is false when it exists', () => {
    const key = join(tmp.path, 'image.key');
    expect(createFileOnceSync(key, 'ab\n')).toBe(true);
    expect(createFileOnceSync(key, 'cd\n')).toBe(false);
    expect(readFileSync(key, 'utf8')).toBe('ab\n');
    expect(readdirSync(tmp.path)).toEqual(['image.key']);
  });
});
