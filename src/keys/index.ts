// Issuer key handling and the cryptography shared by the card simulator (to check) and the
// terminal's secure module (to compute): diversification, block ciphers, MACs, cryptograms and
// the PIN UNBLOCK PIN block. Imports apdu only.
// The base class of every error this area throws (defined in apdu), so callers of this entry point
// can catch all of them without importing another.
export { SscardError } from '../apdu/index.js';
export {
  diversifyKey,
  diversificationInput,
  isCardIdentifier,
  RID_CARD_IDENTIFIER,
  KeyDiversificationError,
} from './diversify.js';
export type { KeyAlgorithm } from './diversify.js';
export { SSC_KEYS, SSC_KEY_NAMES, sscKeyNamesOf, issuerTestMasterKey } from './ssc-keys.js';
export type { SscKeyName, SscKeyApplication } from './ssc-keys.js';
export {
  CryptoInputError,
  blockSize,
  encryptEcb,
  decryptEcb,
  padZeros,
  padIso9797Method2,
} from './block-cipher.js';
export { cardMac, commandMac, MAC_LENGTH } from './mac.js';
export { authenticationCryptogram } from './cryptogram.js';
export {
  PinBlockError,
  encodeUnblockPinBlock,
  decodeUnblockPinBlock,
  encipherUnblockPin,
  decipherUnblockPin,
  unblockPinBlockCapacity,
} from './pin-block.js';
export {
  pbocPinDataCapacity,
  encodePbocPinData,
  decodePbocPinData,
  encipherPbocUnblockPin,
  decipherPbocUnblockPin,
  pbocReloadMac,
} from './pboc.js';
export { generateSm2KeyPair, sm2PublicKeyOf, SM2_PUBLIC_KEY_LENGTH } from './sm2.js';
export type { Sm2KeyPair } from './sm2.js';
