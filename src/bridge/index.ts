export { VpcdError } from './errors.js';
export type { VpcdErrorCode } from './errors.js';
export { VPCD_MAX_FRAME, encodeFrame, FrameDecoder } from './frame.js';
export {
  VPCD_CONTROL,
  PIN_MASK,
  maskedCommandHex,
  formatVpcdEvent,
  answerVpcdMessage,
} from './protocol.js';
export type { VpcdControl, VpcdEvent, VpcdWarningCode } from './protocol.js';
export { VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT, VpcdConnection, connectToVpcd } from './connection.js';
export type { VpcdConnectOptions, VpcdReconnectOptions, VpcdConnectionState } from './connection.js';
