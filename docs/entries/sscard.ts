/**
 * The social security card (社会保障卡) simulator and terminal SDK. The root re-exports each area
 * as a namespace (`apdu`, `pin`, `records`, `keys`, `cardSim`, `terminal`, `bridge`); each area
 * is also an entry point of its own (`sscard/apdu`, …), documented below.
 *
 * @module sscard
 */
export * from '../../src/index.js';
