// PC/SC transports of the terminal SDK. The native bindings (optional dependencies `smartcard`
// and `pcsclite`) are loaded on first use, never by importing this module; the pcscd socket
// backend, the default on Linux wherever pcscd answers on its socket, needs none.
export { PcscTransport } from './pcsc-transport.js';
export type { PcscConnection } from './pcsc-transport.js';
export { SmartcardTransport } from './smartcard-transport.js';
export { PcscliteTransport } from './pcsclite-transport.js';
export { PcscdSocketTransport } from './pcscd-socket-transport.js';
export { smartcardBackend } from './smartcard-backend.js';
export { pcscliteBackend } from './pcsclite-backend.js';
export { pcscdSocketBackend } from './pcscd-socket-backend.js';
export {
  PcscdProtocolVersionError,
  PCSCD_PROTOCOL_VERSION,
  PCSCD_SPOKEN_MINORS,
  pcscdSocketPath,
} from './pcscd-protocol.js';
export {
  pcscBackendInUse,
  choosePcscBackend,
  resetPcscBackendChoice,
  resolvePcscBackend,
  probePcscdSocket,
  pcscBackendByName,
  PCSCD_PROBE_TIMEOUT_MS,
} from './auto-backend.js';
export type { PcscBackendChoice, PcscdProbe } from './auto-backend.js';
export { PCSC_BACKEND_ENV, PCSC_BACKEND_NAMES, PCSC_BACKEND_SETTINGS } from '../pcsc-backend-names.js';
export type { PcscBackendName, PcscBackendSetting } from '../pcsc-backend-names.js';
export type {
  PcscBackend,
  PcscContext,
  PcscCardHandle,
  PcscCardStatus,
  PcscConnectRequest,
  PcscReaderState,
  PcscReaderList,
  PcscReaderChange,
} from './backend.js';
export { listReaders, watchReaders } from './readers.js';
export type { ReaderInfo, ReaderEvent, WatchReadersOptions, ReaderWatch, ReaderBackendOptions } from './readers.js';
export { MAX_RESPONSE_LENGTH } from './transport-options.js';
export type { PcscTransportOptions, PcscProtocol, PcscDisposition } from './transport-options.js';
export {
  PcscBindingMissingError,
  PcscServiceError,
  NoCardError,
  ReaderNotFoundError,
  PcscTransportError,
} from './errors.js';
export { PCSC_ERROR_TABLE, identifyPcscError, pcscErrorToSdk } from './error-table.js';
export type { PcscErrorKind, PcscErrorEntry, PcscErrorIdentity, PcscErrorContext } from './error-table.js';
export { PCSC_BINDING_VERSIONS, loadSmartcard, loadPcsclite } from './binding.js';
export type { PcscBindingName } from './binding.js';
