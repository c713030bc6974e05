export { SscardError, ApduParseError, ApduEncodeError, StatusWordError } from './errors.js';
export { toHex, fromHex, concatBytes, bytesEqual } from './hex.js';
export {
  commandApdu,
  commandCase,
  encodeCommand,
  decodeCommand,
  MAX_SHORT_NC,
  MAX_SHORT_NE,
  MAX_EXTENDED_NC,
  MAX_EXTENDED_NE,
} from './command.js';
export type { CommandApdu, CommandCase, DecodedCommandApdu } from './command.js';
export { decodeCla, withChannel } from './cla.js';
export { isPinCommand } from './pin-commands.js';
export type { ClaInfo, SecureMessaging } from './cla.js';
export { decodeResponse, encodeResponse } from './response.js';
export type { ResponseApdu } from './response.js';
export type { CardEndpoint } from './endpoint.js';
export {
  SW,
  swBytesAvailable,
  swWrongLe,
  swTriesLeft,
  swInfo,
  describe,
  swHex,
  swOf,
  isSuccess,
} from './status.js';
export type { SwInfo, SwName, SwCategory } from './status.js';
export {
  encodeCn,
  decodeCn,
  encodeAn,
  decodeAn,
  encodeGbk,
  decodeGbk,
  encodeDate,
  decodeDate,
  encodeBcd,
  decodeBcd,
} from './codecs.js';
export {
  parseBerTlv,
  encodeBerTlv,
  encodeBerTlvList,
  findTlv,
  berTagBytes,
  berLengthBytes,
  isConstructedTag,
  parseSimpleTlv,
  parseSimpleTlvList,
  encodeSimpleTlv,
  MAX_TAG_BYTES,
  MAX_TLV_DEPTH,
} from './tlv.js';
export type { Tlv, SimpleTlv } from './tlv.js';
