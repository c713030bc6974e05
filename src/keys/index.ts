// Issuer key handling and the cryptography shared by the card simulator (to check) and the
// terminal's secure module (to compute): diversification, block ciphers, MACs, cryptograms and
// the PIN UNBLOCK PIN block, and the issuer's Ed25519 signature of files terminals trust offline.
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
export { CryptoInputError, blockSize, encryptEcb, decryptEcb, padZeros, padIso9797Method2 } from './block-cipher.js';
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
export { encipherPinChange, decipherPinChange, pinChangeDataLength } from './pin-change.js';
export {
  ED25519_KEY_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  SigningKeyError,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  ed25519KeyFromPem,
  ed25519PrivateKeyPem,
  ed25519PublicKeyPem,
  keyFingerprint,
  blacklistTestSigningKey,
  blacklistTestPublicKey,
} from './signature.js';
export type { Ed25519Key } from './signature.js';
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
