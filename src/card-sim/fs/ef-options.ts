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
  return sharedCondition(c);
}

/*
 * One frozen object per distinct condition, shared by every file of every card: a card has some
 * 60 of them (a read and a write condition per EF), all alike from card to card. Bounded, so
 * images with made-up PIN names cannot grow it without end; past the bound each file gets its own.
 */
const SHARED_CONDITIONS = new Map<string, AccessCondition>();
const MAX_SHARED_CONDITIONS = 256;

function sharedCondition(c: AccessCondition): AccessCondition {
  const pin = 'pin' in c ? c.pin : '';
  const keyId = 'keyId' in c ? c.keyId : '';
  const name = `${c.kind} ${keyId} ${pin}`;
  const known = SHARED_CONDITIONS.get(name);
  if (known !== undefined) return known;
  const made: AccessCondition = Object.freeze(
    c.kind === 'always' || c.kind === 'never'
      ? { kind: c.kind }
      : c.kind === 'pin'
        ? { kind: c.kind, pin: c.pin }
        : c.kind === 'key' || c.kind === 'key-and-mac'
          ? { kind: c.kind, keyId: c.keyId }
          : { kind: c.kind, pin: c.pin, keyId: c.keyId },
  );
  if (SHARED_CONDITIONS.size < MAX_SHARED_CONDITIONS) SHARED_CONDITIONS.set(name, made);
  return made;
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

/**
 * The record length and capacity of a record EF made from `options` (with `count` records and,
 * for a linear variable EF, the `recordLengths` checkRecordLengths returned).
 */
export function checkRecordCapacity(
  options: EfOptions,
  recordLengths: readonly number[] | undefined,
  count: number,
  what: string,
): { recordLength: number; maxRecords: number } {
  const longest = recordLengths === undefined ? undefined : Math.max(...recordLengths);
  const recordLength = options.recordLength ?? longest;
  if (recordLength === undefined || !Number.isInteger(recordLength) || recordLength < 1 || recordLength > 255) {
    throw new CardTreeError(`${what}: recordLength must be an integer 1..255, got ${String(recordLength)}`);
  }
  if (longest !== undefined && recordLength !== longest) {
    throw new CardTreeError(`${what}: recordLength ${recordLength} must be the longest of recordLengths (${longest})`);
  }
  if (recordLengths !== undefined && options.maxRecords !== undefined && options.maxRecords !== recordLengths.length) {
    throw new CardTreeError(
      `${what}: maxRecords ${options.maxRecords} must equal the number of recordLengths (${recordLengths.length})`,
    );
  }
  const maxRecords = options.maxRecords ?? recordLengths?.length ?? count;
  if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > 254) {
    throw new CardTreeError(`${what}: maxRecords must be an integer 1..254, got ${String(maxRecords)}`);
  }
  if (count > maxRecords) throw new CardTreeError(`${what}: ${count} records exceed maxRecords ${maxRecords}`);
  return { recordLength, maxRecords };
}
