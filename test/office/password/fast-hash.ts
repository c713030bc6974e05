import type { ScryptParams } from '../../../src/office/index.js';

/** Cheap scrypt parameters for the suites (a millisecond a hash, not a third of a second). */
export const FAST_HASH: ScryptParams = { ln: 10, r: 8, p: 1 };
