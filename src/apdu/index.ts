export {
  SscardError,
  errorFamilyClass,
  codedErrorClass,
  detailErrorClass,
  ApduParseError,
  ApduEncodeError,
  StatusWordError,
} from './errors.js';
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
export { CLA, decodeCla, withChannel } from './cla.js';
export { INS, INS_CATALOGUE, insInfo, commandName } from './ins.js';
export type { InsInfo, InsMeaning } from './ins.js';
export { PIN_MASK, commandParts, isPinCommand, mustMaskCommand } from './pin-commands.js';
export type { CommandParts } from './pin-commands.js';
export {
  SELECT_BY,
  SELECT_ANSWER,
  select,
  selectByName,
  selectByFid,
  selectEf,
  readRecord,
  readRecordByTag,
  updateRecord,
  updateCyclicRecord,
  appendRecord,
  readBinary,
  updateBinary,
  verify,
  verifyStatus,
  changeReferenceData,
  changePin,
  reloadPin,
  pinUnblock,
  pinChangeScript,
  getChallenge,
  externalAuthenticate,
  internalAuthenticate,
  getResponse,
  getData,
  getProcessingOptions,
  applicationBlock,
  applicationUnblock,
  cardBlock,
  secureMessagingCla,
  secureMessagingHeader,
  withMac,
} from './builders.js';
export type { RecordFile, BinaryPosition } from './builders.js';
export type { ClaInfo, SecureMessaging } from './cla.js';
export { decodeResponse, encodeResponse } from './response.js';
export type { ResponseApdu } from './response.js';
export type { CardEndpoint } from './endpoint.js';
export { SW, swBytesAvailable, swWrongLe, swTriesLeft, swInfo, describe, swHex, swOf, isSuccess } from './status.js';
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
