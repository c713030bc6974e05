/**
 * sscard/office: the issuer's back office registry on PostgreSQL (embedded PGlite, or a server
 * shared by window, hotline and POS processes). Persons, cards with their social-security and
 * bank sides' states, personalization versions, pending issuer scripts and an append-only history
 * of every operation. Never imports the card OS.
 */
export { Registry } from './registry.js';
export type { RegistryOptions, HistoryQuery } from './registry.js';
export { ROLES, CHANNELS, checkContext } from './context.js';
export type { Role, Channel, OperationContext } from './context.js';
export { systemClock, fixedClock, chinaDate, addYears, daysBetween, NOW_ENV } from './clock.js';
export type { Clock } from './clock.js';
export { SSC_STATES, BANK_STATES, CARD_EVENTS, CARD_TRANSITIONS, nextState, isFinalState } from './states.js';
export type { Side, SscState, BankState, CardSideState, CardEvent } from './states.js';
export { viewDocument, storableDocument, DEFAULT_SPEC_VERSION } from './document.js';
export type { PersonalizationJson, PersonalizationView } from './document.js';
export {
  OfficeError,
  OperationRefusedError,
  CardNotFoundError,
  PersonNotFoundError,
  IdMismatchError,
  CardStateError,
  RoleNotAllowedError,
  PersonHasCardError,
  CardNumberTakenError,
  DocumentInvalidError,
  CardSideFailedError,
  ScriptNotFoundError,
  ScriptStateError,
  RegistryUrlError,
  RegistryLockedError,
  RegistryDriverMissingError,
  SchemaTooNewError,
  RegistryBusyError,
  RegistryStorageError,
  RegistryClosedError,
  OfficeArgumentError,
  QueryPasswordIncorrectError,
  QueryPasswordLockedError,
  QueryPasswordFormatError,
  IdentityMismatchError,
  NoLiveCardError,
  QueryPasswordResetLimitError,
} from './errors.js';
export { DEFAULT_REGISTRY_LOCATION, REGISTRY_ENV, defaultRegistryLocation, parseRegistryLocation } from './storage/location.js';
export type { RegistryLocation } from './storage/location.js';
export { SCHEMA_VERSION } from './storage/migrations.js';
export type { MigrationReport } from './storage/migrations.js';
export { DATABASE_DRIVER_VERSIONS } from './storage/drivers.js';
export { MAX_ATTEMPTS } from './operations/runner.js';
export type { OperationSpec, OperationEnv, OperationOutcome } from './operations/runner.js';
export type { Queryable, QueryResult, IsolationLevel } from './storage/database.js';
export { DEFAULT_VALID_YEARS, cardNumbersFor } from './operations/issue.js';
export type {
  Person,
  CardStatus,
  PersonalizationVersion,
  HistoryEntry,
  HistoryResult,
  IssuerScript,
  IssuerScriptState,
  CardSideStep,
  IssueCardInput,
  IssuedCard,
  HolderCheckedInput,
  CardSideInput,
  BlockCardInput,
  CorrectionInput,
  QueueScriptInput,
  ScriptAppliedInput,
} from './types.js';
export {
  DEFAULT_QUERY_PASSWORD_RULES,
  QUERY_PASSWORD_MIN_LENGTH,
  QUERY_PASSWORD_MAX_LENGTH,
  initialQueryPassword,
} from './password/rules.js';
export type { QueryPasswordOptions, QueryPasswordRules } from './password/rules.js';
export { DEFAULT_SCRYPT_PARAMS } from './password/hash.js';
export type { ScryptParams } from './password/hash.js';
export type { SignInInput, ChangeInput, ResetInput } from './password/flows.js';
export type { QueryPasswordStatus, SignedIn } from './password/operations.js';
export { Portal, startPortal, DEFAULT_PORTAL_PORT, DEFAULT_PORTAL_LIMITS } from './portal/server.js';
export type { PortalOptions, StartPortalOptions, RunningPortal, PortalLimits } from './portal/server.js';
export type { RateLimit } from './portal/rate-limit.js';
export { CONTENT_SECURITY_POLICY } from './portal/http.js';
