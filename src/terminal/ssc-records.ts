import { SscardError } from '../apdu/index.js';
import {
  ABO_CODES,
  RH_CODES,
  decodeHealthBasics,
  type HealthFlags,
} from '../records/index.js';
import { CardDataError, InvalidArgumentError } from './errors.js';

/*
 * The SSC record layouts live in src/records (shared with the card simulator). This module only
 * adapts them to the terminal: bytes the card sent that do not fit a layout are a CardDataError
 * (the card's fault), values a caller wants written that do not fit are an InvalidArgumentError.
 */

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

/** CV04.50.005 ABO blood type, as named in the shared value set. */
export type AboBloodType = (typeof ABO_CODES)[keyof typeof ABO_CODES];
/** CV04.50.020 Rh blood type, as named in the shared value set. */
export type RhBloodType = (typeof RH_CODES)[keyof typeof RH_CODES];

/** DF10/EF05 clinical basics as a POS shows them. */
export interface HealthInfo {
  abo: AboBloodType;
  /** The value-set code ('1'..'6'). */
  aboCode: keyof typeof ABO_CODES;
  rh: RhBloodType;
  /** The value-set code ('1'..'4'). */
  rhCode: keyof typeof RH_CODES;
  /** The twelve condition flags of records 3..14. */
  conditions: HealthFlags;
  /** Other medical warning ('' when none). */
  warning: string;
}

/** The 15 records of DF10/EF05 (record 1 first) decoded into typed values. */
export function decodeHealthInfo(records: readonly Uint8Array[]): HealthInfo {
  const basics = cardData('DF10/EF05 health basics', () => decodeHealthBasics(records));
  return {
    abo: ABO_CODES[basics.abo],
    aboCode: basics.abo,
    rh: RH_CODES[basics.rh],
    rhCode: basics.rh,
    conditions: basics.flags,
    warning: basics.warning,
  };
}
