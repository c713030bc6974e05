/**
 * The vpcd wire protocol: puts a simulated card behind a real pcscd reader (the vsmartcard `vpcd`
 * driver), so any PC/SC program sees it.
 *
 * @module sscard/bridge
 */
export * from '../../src/bridge/index.js';
