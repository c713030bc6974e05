import {
  SscardError,
  concatBytes,
  decodeAn,
  decodeCn,
  decodeDate,
  encodeAn,
  encodeDate,
  parseSimpleTlv,
  toHex,
} from '../apdu/index.js';
import { CardDataError, InvalidArgumentError } from './errors.js';

/*
 * The SSC record layouts (card profile §2, §3) as the terminal reads and writes them. Fields are
 * decoded with the apdu codecs; a field that does not decode is a CardDataError naming the field.
 */

/** Runs a field decoder; a codec failure becomes a CardDataError that names the field. */
function field<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof SscardError) throw new CardDataError(`${what}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Value of a tag-length-value record; the tag must be the expected one. */
export function tlvRecordValue(record: Uint8Array, expectedTag: number, what: string): Uint8Array {
  const tlv = field(what, () => parseSimpleTlv(record));
  if (tlv.tag !== expectedTag) {
    throw new CardDataError(`${what}: expected tag ${hexByte(expectedTag)}, got ${hexByte(tlv.tag)}`);
  }
  return tlv.value;
}

function hexByte(b: number): string {
  return toHex(Uint8Array.of(b & 0xff));
}

function checkLength(record: Uint8Array, length: number, what: string): void {
  if (record.length !== length) {
    throw new CardDataError(`${what}: record is ${record.length} bytes, expected ${length}`);
  }
}

/** A never-written record of a cyclic or linear file: all 00 or all FF. */
export function isEmptyRecord(record: Uint8Array): boolean {
  return record.every((b) => b === 0x00) || record.every((b) => b === 0xff);
}

/**
 * The card identifier, shown as its digits. Project choice: read as hex with the trailing F pad
 * removed rather than as strict BCD, because identifiers in the field carry hex letters
 * (an application id segment such as D156000005); for all-digit identifiers it equals decodeCn.
 */
export function decodeCardIdentifier(value: Uint8Array): string {
  const hex = toHex(value);
  const end = hex.search(/F*$/);
  return hex.slice(0, end);
}

export function decodeCnField(value: Uint8Array, what: string): string {
  return field(what, () => decodeCn(value));
}

export function decodeAnField(value: Uint8Array, what: string): string {
  return field(what, () => decodeAn(value));
}

export function decodeDateField(value: Uint8Array, what: string): string | null {
  return field(what, () => decodeDate(value));
}

// ---- DF02/EF07 work record: cyclic 4 x 85 bytes ----

export const WORK_RECORD_LENGTH = 85;

export interface WorkRecord {
  /** Record number on the card; 1 is the newest. */
  recordNumber: number;
  employerCode: string;
  /** ISO date. */
  startDate: string | null;
  /** ISO date; null while the employment is current (all F on the card). */
  endDate: string | null;
  employerName: string;
}

/** employer code 7 an || start 4 cn || end 4 cn || employer name 70 an. */
export function decodeWorkRecord(record: Uint8Array, recordNumber: number): WorkRecord {
  checkLength(record, WORK_RECORD_LENGTH, `work record ${recordNumber}`);
  const what = (f: string): string => `work record ${recordNumber} ${f}`;
  return {
    recordNumber,
    employerCode: decodeAnField(record.subarray(0, 7), what('employer code')),
    startDate: decodeDateField(record.subarray(7, 11), what('start date')),
    endDate: decodeDateField(record.subarray(11, 15), what('end date')),
    employerName: decodeAnField(record.subarray(15, 85), what('employer name')),
  };
}

// ---- DF10/EF05 clinical basics: 15 linear fixed records ----

/** CV04.50.005 ABO blood type. */
export type AboBloodType = 'A' | 'B' | 'O' | 'AB' | 'unknown' | 'not-tested';
/** CV04.50.020 Rh blood type. */
export type RhBloodType = 'negative' | 'positive' | 'unknown' | 'not-tested';

export const ABO_BY_CODE: Readonly<Record<number, AboBloodType>> = Object.freeze({
  1: 'A', 2: 'B', 3: 'O', 4: 'AB', 5: 'unknown', 6: 'not-tested',
});
export const RH_BY_CODE: Readonly<Record<number, RhBloodType>> = Object.freeze({
  1: 'negative', 2: 'positive', 3: 'unknown', 4: 'not-tested',
});

/** Records 3..14 of DF10/EF05, in order. */
export const HEALTH_CONDITIONS = [
  'asthma',
  'heartDisease',
  'cardioCerebrovascularDisease',
  'epilepsy',
  'coagulationDisorder',
  'diabetes',
  'glaucoma',
  'dialysis',
  'organTransplant',
  'missingOrgan',
  'removableProsthesis',
  'pacemaker',
] as const;

export type HealthCondition = (typeof HEALTH_CONDITIONS)[number];

export interface HealthInfo {
  abo: AboBloodType;
  rh: RhBloodType;
  conditions: Record<HealthCondition, boolean>;
  /** Record 15: other medical warning, 40 an ('' when empty). */
  warning: string;
}

/**
 * A one-byte code of the clinical basics. Project choice: the value-set code is accepted both as
 * an ASCII digit ('1' = 31) and as a binary number (01); readers in the field meet both.
 */
export function decodeCodeByte(record: Uint8Array, what: string): number {
  if (record.length !== 1) throw new CardDataError(`${what}: record is ${record.length} bytes, expected 1`);
  const b = record[0] as number;
  return b >= 0x30 && b <= 0x39 ? b - 0x30 : b;
}

export function decodeAbo(record: Uint8Array): AboBloodType {
  const code = decodeCodeByte(record, 'ABO blood type');
  const value = ABO_BY_CODE[code];
  if (value === undefined) throw new CardDataError(`ABO blood type: code ${code} is not in value set CV04.50.005`);
  return value;
}

export function decodeRh(record: Uint8Array): RhBloodType {
  const code = decodeCodeByte(record, 'Rh blood type');
  const value = RH_BY_CODE[code];
  if (value === undefined) throw new CardDataError(`Rh blood type: code ${code} is not in value set CV04.50.020`);
  return value;
}

export function decodeFlag(record: Uint8Array, what: string): boolean {
  const code = decodeCodeByte(record, what);
  if (code !== 0 && code !== 1) throw new CardDataError(`${what}: flag must be 0 or 1, got ${code}`);
  return code === 1;
}

// ---- DF10/EF07 contraindications: cyclic 120 bytes ----

export const CONTRAINDICATION_RECORD_LENGTH = 120;

export interface Contraindication {
  /** Drug or substance name, up to 20 GBK bytes. */
  substance: string;
  /** Reaction, up to 100 GBK bytes. */
  reaction: string;
}

export function decodeContraindication(record: Uint8Array, recordNumber: number): Contraindication {
  checkLength(record, CONTRAINDICATION_RECORD_LENGTH, `contraindication record ${recordNumber}`);
  return {
    substance: decodeAnField(record.subarray(0, 20), `contraindication record ${recordNumber} substance`),
    reaction: decodeAnField(record.subarray(20, 120), `contraindication record ${recordNumber} reaction`),
  };
}

export function encodeContraindication(entry: Contraindication): Uint8Array {
  return argument(() => concatBytes(encodeAn(entry.substance, 20), encodeAn(entry.reaction, 100)));
}

// ---- DF10/EF08 medical history: cyclic 96 bytes ----

export const MEDICAL_HISTORY_RECORD_LENGTH = 96;

export interface MedicalHistoryEntry {
  /** ISO date of the diagnosis. */
  date: string;
  /** ICD-10 code, up to 8 characters. */
  icd10: string;
  /** Diagnosis, up to 60 GBK bytes. */
  diagnosis: string;
  /** Institution code, up to 24 characters. */
  institution: string;
}

export function decodeMedicalHistory(record: Uint8Array, recordNumber: number): MedicalHistoryEntry {
  const what = (f: string): string => `medical history record ${recordNumber} ${f}`;
  checkLength(record, MEDICAL_HISTORY_RECORD_LENGTH, `medical history record ${recordNumber}`);
  const date = decodeDateField(record.subarray(0, 4), what('date'));
  if (date === null) throw new CardDataError(`${what('date')}: missing`);
  return {
    date,
    icd10: decodeAnField(record.subarray(4, 12), what('ICD-10 code')),
    diagnosis: decodeAnField(record.subarray(12, 72), what('diagnosis')),
    institution: decodeAnField(record.subarray(72, 96), what('institution')),
  };
}

export function encodeMedicalHistory(entry: MedicalHistoryEntry): Uint8Array {
  return argument(() =>
    concatBytes(
      encodeDate(entry.date),
      encodeAn(entry.icd10, 8),
      encodeAn(entry.diagnosis, 60),
      encodeAn(entry.institution, 24),
    ),
  );
}

/** Encoding the caller's entry failed: that is the caller's argument, not the card's data. */
function argument<T>(encode: () => T): T {
  try {
    return encode();
  } catch (error) {
    if (error instanceof SscardError) {
      throw new InvalidArgumentError(error.message, { cause: error });
    }
    throw error;
  }
}
