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
export type { Side, SscState, BankState, CardSideState, CardEvent, CardTransition } from './states.js';
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
  InitialPinSelfServiceError,
  OutsideOfficeHoursError,
  NameMismatchError,
  ProxyIdRequiredError,
  LossChannelNotAllowedError,
  WrittenReportRequiredError,
  BankPinCheckFailedError,
  ActivationWindowClosedError,
  QueryPasswordIncorrectError,
  QueryPasswordLockedError,
  QueryPasswordFormatError,
  IdentityMismatchError,
  NoLiveCardError,
  QueryPasswordResetLimitError,
  RegistryUrlError,
  RegistryLockedError,
  RegistryDriverMissingError,
  SchemaTooNewError,
  RegistryBusyError,
  RegistryStorageError,
  RegistryClosedError,
  OfficeArgumentError,
  SecureModuleFailedError,
} from './errors.js';
export {
  DEFAULT_REGISTRY_LOCATION,
  REGISTRY_ENV,
  defaultRegistryLocation,
  parseRegistryLocation,
} from './storage/location.js';
export type { RegistryLocation } from './storage/location.js';
export { SCHEMA_VERSION } from './storage/migrations.js';
export type { MigrationReport } from './storage/migrations.js';
export { DATABASE_DRIVER_VERSIONS } from './storage/drivers.js';
export { MAX_ATTEMPTS } from './operations/runner.js';
export type { OperationSpec, OperationEnv, OperationOutcome } from './operations/runner.js';
export type { Queryable, QueryResult, IsolationLevel } from './storage/database.js';
export { DEFAULT_VALID_YEARS, cardNumbersFor } from './operations/issue.js';
// A room with a barrel of its own comes in whole: that barrel names each of its exports.
export * from './window/index.js';
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
// PIN changes by phone: issuer scripts applied by the next online terminal (docs/hotline.md).
export { DEFAULT_SCRIPT_DAYS, MAX_SCRIPT_DAYS, PIN_CHANGE_KIND, cardAlgorithm } from './operations/pin-change.js';
export type {
  PinChangeScript,
  PinChangeOutcome,
  PinChangePayload,
  PinChangeQueued,
  PinChangeReport,
  PinChangeResultInput,
  QueuePinChangeInput,
} from './operations/pin-change.js';
export { HOTLINE_OUTCOMES } from './operations/hotline-call.js';
export type { HotlineOutcome, HotlineCallRecord, HotlineCallRecorded } from './operations/hotline-call.js';
export * from './hotline/index.js';
// Loss reporting, replacement, bank activation and the blacklist (loss/).
export { DEFAULT_LOSS_SETTINGS, lossSettings, withinOfficeHours, describeOfficeHours } from './loss/settings.js';
export type { LossSettings, LossSettingsInput, OfficeHours, TemporaryLossRule } from './loss/settings.js';
export { LOSS_CHANNELS, LOSS_DOCUMENTS } from './loss/types.js';
export type {
  LossChannel,
  LossDocument,
  BankPinCheck,
  LossReportInput,
  LossWithdrawalInput,
  LossReportState,
  LossReport,
  LossStatus,
  ReplaceCardInput,
  ReplacedCard,
  BankActivationInput,
  HandOverInput,
  BankActivationWindow,
  BlacklistReason,
  BlacklistRow,
  ApplicationBlockedInput,
  BlacklistExport,
} from './loss/types.js';
export { LOSS_ROLES } from './loss/checks.js';
export { RegistryBlacklist, blacklistReason } from './loss/blacklist.js';
export type { BlacklistRegistry } from './loss/blacklist.js';
// The information-query password and the self-service portal.
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
