/**
 * The PIN engine: policy, a try counter spent durably before a constant-time comparison, change,
 * reload, unblock, and the wire encodings (BCD, old||FF||new, ISO 9564 format 2). No I/O.
 *
 * @module sscard/pin
 */
export * from '../../src/pin/index.js';
