export { MemoryTransport, protocolFromAtr } from './transport.js';
export type { Transport, CardEvent, ApduResponder, MemoryTransportOptions } from './transport.js';
// The base class of every error this area throws (defined in apdu), so callers of this entry point
// can catch all of them without importing another.
export { SscardError } from '../apdu/index.js';
export {
  CardStatusError,
  PinIncorrectError,
  PinBlockedError,
  AuthenticationFailedError,
  AuthenticationBlockedError,
  SecurityStatusError,
  FileNotFoundError,
  RecordNotFoundError,
  ConditionsNotSatisfiedError,
  WrongLengthError,
  WrongDataError,
  ApplicationBlockedError,
  CardRemovedError,
  CardResetError,
  TransportError,
  TimeoutError,
  CardProtocolError,
  CardDataError,
  InitialPinInEffectError,
  NewPinRejectedError,
  ChannelClosedError,
  InvalidArgumentError,
  SecureModuleRequiredError,
  AbortError,
  errorForStatus,
} from './errors.js';
export type { AbortOptions } from './abort.js';
export { waitForCard } from './card-wait.js';
export type { WaitForCardOptions, CardInReader } from './card-wait.js';
export type { MemoryCard } from './transport.js';
// Option types of the PC/SC transports and the reader watch, named by their signatures.
export type { PcscProtocol, PcscDisposition, WatchReadersOptions } from './pcsc/index.js';
export type { StatusContext, NewPinProblem } from './errors.js';
export { CardChannel } from './channel.js';
export type { CardChannelOptions, TransmitOptions, CardSession } from './channel.js';
export {
  MASK,
  commandName,
  p1p2Meaning,
  traceCommand,
  traceResponse,
  formatTracePretty,
  formatTraceJson,
} from './trace.js';
export type { TraceEvent, TraceObserver, TracedCommand, TracedResponse } from './trace.js';
// The one list of PIN-carrying commands (src/apdu), re-exported for observers that log raw bytes.
export { isPinCommand, PIN_MASK } from '../apdu/index.js';
export { SscCard } from './ssc-card.js';
export type { SscCardOptions } from './ssc-card.js';
// The card's application parts (src/terminal/ssc), as SscCard uses them.
export { BankApplication } from './ssc/bank.js';
export type { BankAccount } from './ssc/pboc.js';
export { validateNewPin } from './ssc/pin.js';
export type { PinStatus } from './ssc/pin.js';
export { algorithmFromFci } from './ssc/fci.js';
export type { CardInfo, Cardholder, Sex } from './ssc/cardholder.js';
export { decodeInsuranceInfo } from './ssc/insurance.js';
export type { InsuranceInfo, InsuranceEntry, InsuranceStatus } from './ssc/insurance.js';
export { decodeHealthInfo, healthInfoOf } from './ssc/health.js';
export type { HealthInfo, AboBloodType, RhBloodType } from './ssc/health.js';
export { isEmptyRecord } from './ssc/records.js';
// Selection names shared with the simulator (src/records), re-exported for POS software.
export { SSSE_DF_NAME, BANK_AID, PSE_DF_NAME } from '../records/index.js';
// Record types of the shared SSC layouts, as SscCard returns and accepts them.
export type {
  WorkRecord,
  Contraindication,
  MedicalHistoryEntry,
  HealthFlags,
  InsuranceType,
  InsuranceStatusCode,
} from '../records/index.js';
export { SoftwarePsam } from './psam.js';
export type { SecureModule, IssuerSecureModule, ExternalAuthInput, CommandMacInput, PinBlockInput } from './psam.js';
export type { PinChangeSecureModule, PinChangeInput } from './psam.js';
// Issuer scripts applied by an online terminal, through an IssuerHost the issuer's side implements.
export { applyIssuerScripts, scriptOutcome } from './scripts/issuer-scripts.js';
export type {
  IssuerHost,
  IssuerScriptCommand,
  ScriptCard,
  ScriptOutcome,
  ScriptFailureReason,
  ScriptRun,
  ScriptRunEntry,
} from './scripts/issuer-scripts.js';
// A room with a barrel of its own comes in whole (that barrel names each of its exports); PC/SC
// below does not, as this entry shows only part of it.
export * from './issuer/index.js';
export { maskIdNumber, findDrugConflicts } from './pos.js';
export type { PrescriptionItem, DrugConflict } from './pos.js';
// PC/SC transports: importing them loads no native code; the optional binding is loaded on the
// first connect, and a missing one is a PcscBindingMissingError that says what to install.
export {
  PcscTransport,
  SmartcardTransport,
  PcscliteTransport,
  PcscdSocketTransport,
  smartcardBackend,
  pcscliteBackend,
  pcscdSocketBackend,
  PcscdProtocolVersionError,
  pcscBackendInUse,
  PCSC_BACKEND_ENV,
  listReaders,
  watchReaders,
  PcscBindingMissingError,
  PcscServiceError,
  NoCardError,
  ReaderNotFoundError,
  PcscTransportError,
} from './pcsc/index.js';
export type {
  ReaderInfo,
  ReaderEvent,
  ReaderWatch,
  ReaderBackendOptions,
  PcscBackendChoice,
  PcscBackendName,
  PcscBackendSetting,
  PcscTransportOptions,
  PcscBackend,
  PcscContext,
  PcscCardHandle,
  PcscCardStatus,
  PcscConnectRequest,
  PcscReaderState,
  PcscReaderList,
  PcscReaderChange,
} from './pcsc/index.js';
// The blacklist at the terminal (offline signed file, or the registry online through its adapter).
export * from './blacklist/index.js';
// Blocking and unblocking the card's applications (POS on a blacklisted card, bank activation, window).
export { ApplicationControl, APPLICATION_CONTROL_KEYS } from './application-control.js';
export type { CardApplicationName, UnblockOutcome, ApplicationControlCard } from './application-control.js';
