/**
 * Issuer test master keys, per-card key diversification, the card/terminal cryptograms and MACs
 * (3DES, SM4) and the PIN UNBLOCK PIN block. All keys here are test keys.
 *
 * @module sscard/keys
 */
export * from '../../src/keys/index.js';
