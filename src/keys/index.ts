// Issuer key handling shared by the card simulator (to install per-card keys) and the terminal's
// secure module (to derive them from master keys). Imports apdu only.
export { diversifyKey, KeyDiversificationError } from './diversify.js';
export type { KeyAlgorithm } from './diversify.js';
export { SSC_KEYS, SSC_KEY_NAMES, issuerTestMasterKey } from './ssc-keys.js';
export type { SscKeyName } from './ssc-keys.js';
