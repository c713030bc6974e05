import { ApduParseError, decodeAn, encodeAn } from '../apdu/index.js';
import { FixedRecordLayout, RecordLayoutError } from './layout.js';
import type { RecordOf } from './layout.js';

/*
 * Health extension SSSE/DF10 (card profile §3, a project choice modelled on the Resident Health
 * Card's DF02).
 */

/** ABO blood type, value set CV04.50.005. */
export const ABO_CODES = { '1': 'A', '2': 'B', '3': 'O', '4': 'AB', '5': 'unknown', '6': 'not tested' } as const;
export type AboCode = keyof typeof ABO_CODES;

/** Rh blood type, value set CV04.50.020. */
export const RH_CODES = { '1': 'negative', '2': 'positive', '3': 'unknown', '4': 'not tested' } as const;
export type RhCode = keyof typeof RH_CODES;

/** The twelve one-byte flags of EF05 records 3..14, in record order. */
export const HEALTH_FLAGS = [
  { record: 3, key: 'asthma', label: '哮喘' },
  { record: 4, key: 'heartDisease', label: '心脏病' },
  { record: 5, key: 'cardioCerebrovascular', label: '心脑血管病' },
  { record: 6, key: 'epilepsy', label: '癫痫' },
  { record: 7, key: 'coagulationDisorder', label: '凝血紊乱' },
  { record: 8, key: 'diabetes', label: '糖尿病' },
  { record: 9, key: 'glaucoma', label: '青光眼' },
  { record: 10, key: 'dialysis', label: '透析' },
  { record: 11, key: 'organTransplant', label: '器官移植' },
  { record: 12, key: 'missingOrgan', label: '器官缺失' },
  { record: 13, key: 'removableProsthesis', label: '可装卸义肢' },
  { record: 14, key: 'pacemaker', label: '心脏起搏器' },
] as const;
export type HealthFlagName = (typeof HEALTH_FLAGS)[number]['key'];
export type HealthFlags = Record<HealthFlagName, boolean>;

export const HEALTH_BASICS_RECORD_COUNT = 15;
export const HEALTH_ABO_RECORD = 1;
export const HEALTH_RH_RECORD = 2;
export const HEALTH_WARNING_RECORD = 15;
export const HEALTH_WARNING_LENGTH = 40;

/** DF10/EF05 content, decoded. */
export interface HealthBasics {
  abo: AboCode;
  rh: RhCode;
  flags: HealthFlags;
  /** Other medical warning (40 an). */
  warning: string;
}

/** CV04.50.005 ABO blood type, as named in the shared value set. */
export type AboBloodType = (typeof ABO_CODES)[AboCode];
/** CV04.50.020 Rh blood type, as named in the shared value set. */
export type RhBloodType = (typeof RH_CODES)[RhCode];

/**
 * DF10/EF05 clinical basics as a POS shows them: each blood type by its value-set name beside its
 * code. Here, beside the layout, so that the SDK (which reads it from a card) and a card image's
 * report (`card show --json`) give the one shape without either loading the other.
 */
export interface HealthInfo {
  abo: AboBloodType;
  /** The value-set code ('1'..'6'). */
  aboCode: AboCode;
  rh: RhBloodType;
  /** The value-set code ('1'..'4'). */
  rhCode: RhCode;
  /** The twelve condition flags of records 3..14. */
  conditions: HealthFlags;
  /** Other medical warning ('' when none). */
  warning: string;
}

/** Decoded DF10/EF05 basics as typed values: each blood type by its value-set name beside its code. */
export function healthInfoOf(basics: HealthBasics): HealthInfo {
  return {
    abo: ABO_CODES[basics.abo],
    aboCode: basics.abo,
    rh: RH_CODES[basics.rh],
    rhCode: basics.rh,
    conditions: basics.flags,
    warning: basics.warning,
  };
}

/** Length of each EF05 record: 1 byte for records 1..14, 40 bytes for record 15. */
export function healthBasicsRecordLength(record: number): number {
  if (!Number.isInteger(record) || record < 1 || record > HEALTH_BASICS_RECORD_COUNT) {
    throw new RecordLayoutError('healthBasics', `record ${record} does not exist (1..${HEALTH_BASICS_RECORD_COUNT})`);
  }
  return record === HEALTH_WARNING_RECORD ? HEALTH_WARNING_LENGTH : 1;
}

/*
 * Project choice: the one-byte codes and flags are stored as ASCII digits ('1' = 31), i.e. `an 1`
 * as in the health card's data dictionary, so a dump reads the same as the value sets.
 */
const ASCII_0 = 0x30;

function codeByte(code: string): Uint8Array {
  return Uint8Array.of(code.charCodeAt(0));
}

/** The 15 records of DF10/EF05, record 1 first. */
export function encodeHealthBasics(basics: HealthBasics): Uint8Array[] {
  if (!(basics.abo in ABO_CODES))
    throw new RecordLayoutError('healthBasics.abo', `unknown ABO code ${JSON.stringify(basics.abo)}`);
  if (!(basics.rh in RH_CODES))
    throw new RecordLayoutError('healthBasics.rh', `unknown Rh code ${JSON.stringify(basics.rh)}`);
  const records: Uint8Array[] = [codeByte(basics.abo), codeByte(basics.rh)];
  for (const flag of HEALTH_FLAGS) {
    records.push(Uint8Array.of(ASCII_0 + (basics.flags[flag.key] ? 1 : 0)));
  }
  try {
    records.push(encodeAn(basics.warning, HEALTH_WARNING_LENGTH));
  } catch (err) {
    throw new RecordLayoutError('healthBasics.warning', err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  }
  return records;
}

/** Decodes the 15 records of DF10/EF05 (record 1 first). */
export function decodeHealthBasics(records: readonly Uint8Array[]): HealthBasics {
  if (records.length !== HEALTH_BASICS_RECORD_COUNT) {
    throw new RecordLayoutError(
      'healthBasics',
      `expected ${HEALTH_BASICS_RECORD_COUNT} records, got ${records.length}`,
    );
  }
  records.forEach((r, i) => {
    const expected = healthBasicsRecordLength(i + 1);
    if (r.length !== expected) {
      throw new RecordLayoutError('healthBasics', `record ${i + 1} is ${r.length} bytes, expected ${expected}`);
    }
  });
  const abo = String.fromCharCode(records[0]?.[0] ?? 0);
  if (!(abo in ABO_CODES))
    throw new RecordLayoutError('healthBasics.abo', `byte ${hexByte(records[0]?.[0])} is not an ABO code`);
  const rh = String.fromCharCode(records[1]?.[0] ?? 0);
  if (!(rh in RH_CODES))
    throw new RecordLayoutError('healthBasics.rh', `byte ${hexByte(records[1]?.[0])} is not an Rh code`);
  const flags = {} as HealthFlags;
  for (const flag of HEALTH_FLAGS) {
    const b = records[flag.record - 1]?.[0];
    if (b !== ASCII_0 && b !== ASCII_0 + 1) {
      throw new RecordLayoutError(`healthBasics.flags.${flag.key}`, `byte ${hexByte(b)} is neither '0' nor '1'`);
    }
    flags[flag.key] = b === ASCII_0 + 1;
  }
  let warning: string;
  try {
    warning = decodeAn(records[HEALTH_WARNING_RECORD - 1] as Uint8Array);
  } catch (err) {
    if (err instanceof ApduParseError) throw new RecordLayoutError('healthBasics.warning', err.message, { cause: err });
    throw err;
  }
  return { abo: abo as AboCode, rh: rh as RhCode, flags, warning };
}

function hexByte(b: number | undefined): string {
  return b === undefined ? 'none' : b.toString(16).toUpperCase().padStart(2, '0');
}

/** DF10/EF07 contraindicated drug / allergy: cyclic, 120 bytes: substance 20 an || reaction 100 an. */
export const CONTRAINDICATION_LAYOUT = new FixedRecordLayout('contraindication', [
  { name: 'substance', format: 'an', length: 20 },
  { name: 'reaction', format: 'an', length: 100 },
] as const);
export type Contraindication = RecordOf<typeof CONTRAINDICATION_LAYOUT.fields>;
/** 120 bytes. */
export const CONTRAINDICATION_LENGTH = CONTRAINDICATION_LAYOUT.length;

/**
 * DF10/EF08 medical history: cyclic, 96 bytes: date 4 cn || ICD-10 code 8 an || diagnosis 60 an ||
 * institution code 24 an.
 */
export const MEDICAL_HISTORY_LAYOUT = new FixedRecordLayout('medicalHistory', [
  { name: 'date', format: 'date', length: 4 },
  { name: 'icd10', format: 'an', length: 8 },
  { name: 'diagnosis', format: 'an', length: 60 },
  { name: 'institution', format: 'an', length: 24 },
] as const);
export type MedicalHistoryEntry = RecordOf<typeof MEDICAL_HISTORY_LAYOUT.fields>;
/** 96 bytes. */
export const MEDICAL_HISTORY_LENGTH = MEDICAL_HISTORY_LAYOUT.length;

/** Project default record counts of the two cyclic health files (a personalization parameter). */
export const DEFAULT_CONTRAINDICATION_CAPACITY = 10;
export const DEFAULT_MEDICAL_HISTORY_CAPACITY = 10;

export function encodeContraindication(value: Contraindication): Uint8Array {
  return CONTRAINDICATION_LAYOUT.encode(value);
}
export function decodeContraindication(bytes: Uint8Array): Contraindication {
  return CONTRAINDICATION_LAYOUT.decode(bytes);
}
export function encodeMedicalHistory(value: MedicalHistoryEntry): Uint8Array {
  return MEDICAL_HISTORY_LAYOUT.encode(value);
}
export function decodeMedicalHistory(bytes: Uint8Array): MedicalHistoryEntry {
  return MEDICAL_HISTORY_LAYOUT.decode(bytes);
}
