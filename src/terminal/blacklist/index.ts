// The blacklist at the terminal: the source interface (offline file, online registry), the
// signed blacklist file, and the refusals.
export { BLACKLIST_SIDES, BLACKLIST_REASONS } from './source.js';
export type {
  BlacklistSide,
  BlacklistReason,
  BlacklistEntry,
  BlacklistQuery,
  ApplicationBlockReport,
  BlacklistSource,
} from './source.js';
export {
  BlacklistFile,
  signBlacklist,
  BLACKLIST_FORMAT,
  BLACKLIST_FORMAT_VERSION,
  DEFAULT_BLACKLIST_MAX_AGE_MS,
  BLACKLIST_CLOCK_SKEW_MS,
} from './file.js';
export type { BlacklistListing, BlacklistContent, SignedBlacklist, BlacklistFileOptions } from './file.js';
export {
  CardBlacklistedError,
  BlacklistFormatError,
  BlacklistSignatureError,
  BlacklistStaleError,
  BlacklistNotYetValidError,
  BlacklistRollbackError,
} from './errors.js';
