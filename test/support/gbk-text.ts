import { fc } from '@fast-check/vitest';

/**
 * Characters GBK can hold: printable ASCII, the CJK Unified Ideographs block U+4E00-U+9FA5, and
 * `more` (characters a test wants drawn often: punctuation, rare ideographs, common name
 * characters).
 */
export function gbkChar(...more: [string, ...string[]]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCharCode(c)),
    fc.constantFrom(...more),
  );
}
