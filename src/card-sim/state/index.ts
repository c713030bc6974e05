// The card state: its schema and types, and moving a card tree to and from it.
export { CARD_STATE_FORMAT, CARD_STATE_VERSION, CARD_STATE_READABLE_VERSIONS } from './schema.js';
export type { CardState, DfState, EfState, PinState, KeyState } from './schema.js';
export { exportState } from './export.js';
export { importState, checkState, treeOf } from './import.js';
export { MAX_DF_DEPTH, MAX_FILES } from './limits.js';
export { restoreContents } from './restore.js';
export { applyStateDelta, pinTriesDelta } from './delta.js';
export type { CardStateDelta } from './delta.js';
