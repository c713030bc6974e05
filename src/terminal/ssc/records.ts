import { SscardError, readRecord } from '../../apdu/index.js';
import { decodeSscItem, type SscItem } from '../../records/index.js';
import type { CardSession } from '../channel.js';
import { CardDataError, InvalidArgumentError, RecordNotFoundError } from '../errors.js';

/*
 * Reading the SSC's record files through a card session, and adapting the shared layouts of
 * src/records to the terminal: bytes the card sent that do not fit a layout are a CardDataError
 * (the card's fault), values a caller wants written that do not fit are an InvalidArgumentError.
 */

/** How many records a cyclic file may hold at most; a card claiming more is misbehaving. */
const MAX_CYCLIC_RECORDS = 254;

/** Decodes card data; a layout or codec failure becomes a CardDataError that keeps the cause. */
export function cardData<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof SscardError) throw new CardDataError(`${what}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Encodes a caller's value; a layout failure becomes an InvalidArgumentError naming the field. */
export function callerValue<T>(encode: () => T): T {
  try {
    return encode();
  } catch (error) {
    if (error instanceof SscardError) throw new InvalidArgumentError(error.message, { cause: error });
    throw error;
  }
}

/** A never-written record of a cyclic file: all 00 or all FF. */
export function isEmptyRecord(record: Uint8Array): boolean {
  return record.every((b) => b === 0x00) || record.every((b) => b === 0xff);
}

/** The item `key` of a shared item table (SSC_EF05_ITEMS, SSC_EF06_ITEMS). */
export function sscItem<T extends SscItem>(items: readonly T[], key: T['key']): T {
  const found = items.find((i) => i.key === key);
  // Unreachable with the shipped item tables: a build whose tables lost an item is a bug.
  if (found === undefined) throw new SscardError('INTERNAL', `SSC item table has no ${key}`);
  return found;
}

/** Reads one TLV item record and decodes it with the shared item table (tag and length checked). */
export async function readItem(s: CardSession, sfi: number, recordNumber: number, it: SscItem): Promise<string> {
  const record = await s.send(readRecord(recordNumber, { sfi }));
  return cardData(`${it.file} ${it.key}`, () => decodeSscItem(it, record));
}

/**
 * Records 1.. of a cyclic file by SFI until 6A83, each checked to be `length` bytes; empty
 * records skipped. Returns [record number, bytes] pairs, newest first.
 */
export async function readCyclic(
  s: CardSession,
  sfi: number,
  length: number,
  what: string,
): Promise<Array<[number, Uint8Array]>> {
  const out: Array<[number, Uint8Array]> = [];
  for (let n = 1; n <= MAX_CYCLIC_RECORDS; n++) {
    let record: Uint8Array;
    try {
      record = await s.send(readRecord(n, { sfi }));
    } catch (error) {
      if (error instanceof RecordNotFoundError) return out;
      throw error;
    }
    if (record.length !== length) {
      throw new CardDataError(`${what} ${n} is ${record.length} bytes, expected ${length}`);
    }
    if (!isEmptyRecord(record)) out.push([n, record]);
  }
  throw new CardDataError(`${what} file claims more than ${MAX_CYCLIC_RECORDS} records`);
}

/** The records of a cyclic file (see readCyclic), each decoded; a record that does not decode is a CardDataError naming it. */
export async function readCyclicDecoded<T>(
  s: CardSession,
  sfi: number,
  length: number,
  what: string,
  decode: (bytes: Uint8Array) => T,
): Promise<T[]> {
  const records = await readCyclic(s, sfi, length, what);
  return records.map(([n, bytes]) => cardData(`${what} ${n}`, () => decode(bytes)));
}
