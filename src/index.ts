/**
 * sscard: the social security card (社会保障卡) simulator and terminal SDK.
 *
 * Each area has its own entry point (`sscard/apdu`, `sscard/pin`, `sscard/records`, `sscard/keys`,
 * `sscard/card-sim`, `sscard/terminal`, `sscard/bridge`, `sscard/office`, `sscard/inspector`); the
 * root re-exports each area as a namespace so one import reaches everything without name clashes
 * between areas.
 */
export { SscardError } from './apdu/index.js';
export * as apdu from './apdu/index.js';
export * as pin from './pin/index.js';
export * as records from './records/index.js';
export * as keys from './keys/index.js';
export * as cardSim from './card-sim/index.js';
export * as terminal from './terminal/index.js';
export * as bridge from './bridge/index.js';
export * as office from './office/index.js';
export * as inspector from './inspector/index.js';
