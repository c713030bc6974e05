import { CardTreeError } from '../errors.js';
import type { AccessCondition } from './access.js';

// The options an EF is made from, and the checks of its access conditions and record lengths.

/** Structure of an EF (ISO 7816-4 EF structures the SSC uses). */
export type EfStructure = 'transparent' | 'linear-fixed' | 'linear-variable' | 'cyclic';

export const EF_STRUCTURES: readonly EfStructure[] = ['transparent', 'linear-fixed', 'linear-variable', 'cyclic'];

export function checkAccess(cond: unknown, what: string, use: 'read' | 'write'): AccessCondition {
  const c = cond as AccessCondition | undefined;
  const ok =
    c !== undefined &&
    c !== null &&
    typeof c === 'object' &&
    (c.kind === 'always' ||
      c.kind === 'never' ||
      (c.kind === 'pin' && typeof c.pin === 'string') ||
      ((c.kind === 'key' || c.kind === 'key-and-mac') && Number.isInteger(c.keyId)) ||
      ((c.kind === 'pin-and-key' || c.kind === 'pin-or-key') &&
        typeof c.pin === 'string' &&
        Number.isInteger(c.keyId)));
  if (!ok) throw new CardTreeError(`${what}: invalid access condition ${JSON.stringify(cond)}`);
  // READ commands carry no secure messaging here, so such a read condition could never be met.
  if (c.kind === 'key-and-mac' && use === 'read') {
    throw new CardTreeError(`${what}: key-and-mac is a write condition (reads have no secure messaging)`);
  }
  return { ...c };
}

export interface EfOptions {
  fid: number;
  /** Short EF identifier 1..30, unique among the EFs of the parent DF. */
  sfi?: number;
  structure: EfStructure;
  /** Human name for listings ('EF05'); not on the card. */
  label?: string;
  /** Transparent: size in bytes (default: length of `data`). */
  size?: number;
  /** Transparent: initial contents, 00-padded to `size`. */
  data?: Uint8Array;
  /**
   * Record files: fixed record length (linear-fixed, cyclic) or the maximum (linear-variable; with
   * `recordLengths` it defaults to, and must equal, the longest of them).
   */
  recordLength?: number;
  /**
   * Linear-variable files only: each record position's own fixed length, record 1 first (the SSC
   * EF05/EF06 TLV items, DF10/EF05's 1-byte and 40-byte records). Records must have exactly the
   * length of their position (UPDATE RECORD with another length: 6700), and the file has exactly
   * this many positions (`maxRecords`, which defaults to, and must equal, recordLengths.length).
   * Without it a linear-variable record may have any length 1..recordLength.
   */
  recordLengths?: readonly number[];
  /** Record files: capacity in records (default: number of initial records; required for cyclic). */
  maxRecords?: number;
  /** Record files: initial records, record 1 first (for cyclic files record 1 is the newest). */
  records?: Uint8Array[];
  /** Default ALWAYS. */
  read?: AccessCondition;
  /** Default NEVER. */
  write?: AccessCondition;
}

export function checkRecordLengths(
  lengths: readonly number[] | undefined,
  what: string,
): readonly number[] | undefined {
  if (lengths === undefined) return undefined;
  if (!Array.isArray(lengths) || lengths.length < 1 || lengths.length > 254) {
    throw new CardTreeError(`${what}: recordLengths must be an array of 1..254 lengths`);
  }
  lengths.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1 || n > 255) {
      throw new CardTreeError(`${what}: recordLengths[${i}] must be an integer 1..255, got ${String(n)}`);
    }
  });
  return Object.freeze([...lengths]);
}
