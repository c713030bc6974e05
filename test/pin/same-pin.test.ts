import { describe, expect, it } from 'vitest';
import { samePin } from '../../src/pin/index.js';

describe('samePin', () => {
  it('is true for the same digits, as strings or ASCII bytes in any mix', () => {
    expect(samePin('123456', '123456')).toBe(true);
    expect(samePin('123456', Buffer.from('123456'))).toBe(true);
    expect(samePin(Buffer.from('123456'), '123456')).toBe(true);
    expect(samePin(new Uint8Array(Buffer.from('9876')), new Uint8Array(Buffer.from('9876')))).toBe(true);
  });

  it('is false for other digits, and for other lengths without throwing', () => {
    expect(samePin('123456', '123457')).toBe(false);
    expect(samePin('123456', '1234567')).toBe(false);
    expect(samePin(Buffer.from('1234567'), '123456')).toBe(false);
    expect(samePin('', '1')).toBe(false);
  });

  it('reads a string as Latin-1, one byte a character (what a card receives)', () => {
    expect(samePin('12\u00e9', new Uint8Array([0x31, 0x32, 0xe9]))).toBe(true);
    expect(samePin(new Uint8Array([0x31, 0x32, 0xe9]), '12\u00e9')).toBe(true);
  });

  it("leaves the caller's bytes as they were", () => {
    const a = new Uint8Array(Buffer.from('123456'));
    const b = new Uint8Array(Buffer.from('123456'));
    expect(samePin(a, b)).toBe(true);
    expect(Buffer.from(a).toString()).toBe('123456');
    expect(Buffer.from(b).toString()).toBe('123456');
  });
});
