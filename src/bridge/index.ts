// The base class of every error this area throws (defined in apdu), so callers of this entry point
// can catch all of them without importing another.
export { SscardError } from '../apdu/index.js';
export { VpcdError } from './errors.js';
export type { VpcdErrorCode } from './errors.js';
export { VPCD_MAX_FRAME, encodeFrame, FrameDecoder } from './frame.js';
export { VPCD_CONTROL, PIN_MASK, maskedCommandHex, formatVpcdEvent, answerVpcdMessage } from './protocol.js';
export type { VpcdControl, VpcdEvent, VpcdWarningCode } from './protocol.js';
export { VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT, VpcdConnection, connectToVpcd } from './connection.js';
export { VPCD_WARM_UP_EXCHANGES, warmUpVpcdAnswers, warmUpVpcdAnswersInTurns } from './warm-up.js';
export type { VpcdWarmUp, VpcdWarmUpOptions } from './warm-up.js';
export type { VpcdConnectOptions, VpcdReconnectOptions, VpcdConnectionState } from './connection.js';
