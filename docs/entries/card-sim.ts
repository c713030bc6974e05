/**
 * The card simulator: the card OS (file tree, access conditions, security state, one INS handler
 * table, T=0/T=1, ATR), card state and image files, and the SSC built from a personalization
 * document (`buildSscCard`, `samplePerson`).
 *
 * @module sscard/card-sim
 */
export * from '../../src/card-sim/index.js';
