import { findTlv, parseBerTlv } from '../../apdu/index.js';
import type { KeyAlgorithm } from '../../keys/index.js';
import { CardDataError } from '../errors.js';
import { cardData } from './records.js';

/** The algorithm of the SSSE FCI's 9F0C 03 86 01 xx (01 3DES, 03 SM4); undefined when absent or unknown. */
export function algorithmFromFci(fci: Uint8Array): KeyAlgorithm | undefined {
  if (fci.length === 0) return undefined;
  const outer = cardData('SSSE FCI', () => findTlv(parseBerTlv(fci), 0x9f0c));
  if (outer === undefined) return undefined;
  const inner = cardData('SSSE FCI 9F0C', () => findTlv(parseBerTlv(outer.value), 0x86));
  if (inner?.value.length !== 1) throw new CardDataError('SSSE FCI 9F0C has no one-byte algorithm (86 01 xx)');
  switch (inner.value[0]) {
    case 0x01:
      return '3des';
    case 0x03:
      return 'sm4';
    // An algorithm this SDK does not know only rules out external authentication.
    default:
      return undefined;
  }
}
