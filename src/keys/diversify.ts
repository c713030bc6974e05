import { SscardError, encodeBcd } from '../apdu/index.js';
import { encryptEcb } from './block-cipher.js';

/** The card's symmetric algorithm (FCI 9F0C 03 86 01 xx: 01 = 3DES on spec 2.00 cards, 03 = SM4 on 3.00). */
export type KeyAlgorithm = '3des' | 'sm4';

/** A key that cannot be diversified (bad master length, unusable card identifier). */
export class KeyDiversificationError extends SscardError {
  constructor(message: string) {
    super('KEY_DIVERSIFICATION', message);
  }
}

function complement(bytes: Uint8Array): Uint8Array {
  return bytes.map((b) => b ^ 0xff);
}

/**
 * A card identifier (EF05 tag 01) in the form real cards carry: 32 hex characters, the issuing
 * region code (6 digits), the MOHRSS RID `D156000005`, a serial of digits and `F` padding, e.g.
 * `330300D15600000599110145FFFFFFFF` (16 bytes). The older all-digit form (16..32 digits, e.g.
 * `1101059000310026`) is the other one the project accepts.
 */
export const RID_CARD_IDENTIFIER = /^[0-9]{6}D156000005[0-9]{1,16}F*$/;

/** True for a card identifier the project accepts: 16..32 digits, or the 32-character RID form. */
export function isCardIdentifier(cardIdentifier: unknown): cardIdentifier is string {
  if (typeof cardIdentifier !== 'string') return false;
  if (/^[0-9]{16,32}$/.test(cardIdentifier)) return true;
  return cardIdentifier.length === 32 && RID_CARD_IDENTIFIER.test(cardIdentifier);
}

/**
 * What a card's keys are diversified with (project choice, see diversifyKey):
 * - `cardBytes`: the last 8 bytes of the identifier without its F padding (all-digit form: the
 *   BCD of its digits, an odd count with an F pad; RID form: its 16 bytes less the trailing FF
 *   bytes). These are also the ATR's last 8 bytes, so a terminal can diversify from the ATR.
 * - `regionBlock` (RID form only): the region code's 3 BCD bytes followed by five FF bytes, the
 *   first level of a two-level diversification (master -> region key -> card key).
 */
export function diversificationInput(cardIdentifier: string): {
  cardBytes: Uint8Array;
  regionBlock: Uint8Array | undefined;
} {
  if (!isCardIdentifier(cardIdentifier)) {
    throw new KeyDiversificationError(
      'card identifier must be 16 to 32 digits, or 32 characters region code || D156000005 || serial || F padding',
    );
  }
  if (/^[0-9]+$/.test(cardIdentifier)) {
    const bcd = encodeBcd(cardIdentifier);
    return { cardBytes: bcd.slice(bcd.length - 8), regionBlock: undefined };
  }
  const bytes = Uint8Array.from(Buffer.from(cardIdentifier, 'hex'));
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0xff) end -= 1;
  const regionBlock = new Uint8Array(8).fill(0xff);
  regionBlock.set(encodeBcd(cardIdentifier.slice(0, 6)), 0);
  return { cardBytes: bytes.slice(end - 8, end), regionBlock };
}

/** One level of diversification: 3DES E(data) || E(~data); SM4 E(data || ~data). */
function diversifyOnce(master: Uint8Array, data: Uint8Array, algorithm: KeyAlgorithm): Uint8Array {
  if (algorithm === '3des') {
    const left = encryptEcb('3des', master, data);
    const right = encryptEcb('3des', master, complement(data));
    const key = new Uint8Array(16);
    key.set(left, 0);
    key.set(right, 8);
    return key;
  }
  const block = new Uint8Array(16);
  block.set(data, 0);
  block.set(complement(data), 8);
  return encryptEcb('sm4', master, block);
}

/**
 * Per-card key from an issuer master key and the card identifier (EF05 tag 01), so a terminal's
 * secure module holds master keys only.
 *
 * Project choice (PBOC-style diversification), with data = diversificationInput(identifier):
 *   one level (all-digit identifiers, as every card made before the RID form):
 *     key = div(master, cardBytes)
 *   two levels (RID-form identifiers, card profile §7: the region code and the ATR's last
 *   8 bytes feed key diversification):
 *     key = div(div(master, regionBlock), cardBytes)
 * where div(K, d) = 3DES-ECB(K, d) || 3DES-ECB(K, ~d) for 3DES (a 16-byte double-length key) and
 * SM4-ECB(K, d || ~d) for SM4. `master` is 16 bytes for both algorithms.
 */
export function diversifyKey(master: Uint8Array, cardIdentifier: string, algorithm: KeyAlgorithm): Uint8Array {
  if (!(master instanceof Uint8Array) || master.length !== 16) {
    throw new KeyDiversificationError('master key must be a 16-byte Uint8Array');
  }
  if (algorithm !== '3des' && algorithm !== 'sm4') {
    throw new KeyDiversificationError(`algorithm must be '3des' or 'sm4', got ${JSON.stringify(algorithm)}`);
  }
  const { cardBytes, regionBlock } = diversificationInput(cardIdentifier);
  if (regionBlock === undefined) return diversifyOnce(master, cardBytes, algorithm);
  const regionKey = diversifyOnce(master, regionBlock, algorithm);
  try {
    return diversifyOnce(regionKey, cardBytes, algorithm);
  } finally {
    regionKey.fill(0);
  }
}
