/**
 * The live card inspector: a page in the browser showing a simulated card while it runs (files and
 * decoded records, PIN and key counters, security state, a live APDU trace with PINs masked), with
 * developer actions behind an explicit switch.
 *
 * @module sscard/inspector
 */
export * from '../../src/inspector/index.js';
