import { FixedRecordLayout, RecordLayoutError } from './layout.js';

/*
 * SSSE/DF03 (social insurance) participation status of the five insurance types. The card profile
 * leaves the layout open; project choice: DF03/EF05 (SFI 5), linear fixed, 5 records of 8 bytes, one
 * per insurance type in INSURANCE_TYPES order: status 1 an || since date 4 cn (all F when never
 * insured) || insuring region code 3 cn (all F when never insured). Read after the application PIN.
 */

export const INSURANCE_TYPES = [
  { record: 1, key: 'pension', label: '养老保险' },
  { record: 2, key: 'medical', label: '医疗保险' },
  { record: 3, key: 'workInjury', label: '工伤保险' },
  { record: 4, key: 'maternity', label: '生育保险' },
  { record: 5, key: 'unemployment', label: '失业保险' },
] as const;
export type InsuranceType = (typeof INSURANCE_TYPES)[number]['key'];

export const INSURANCE_STATUS_CODES = {
  '0': 'not insured',
  '1': 'participating',
  '2': 'suspended',
  '3': 'terminated',
} as const;
export type InsuranceStatusCode = keyof typeof INSURANCE_STATUS_CODES;

export const INSURANCE_RECORD_LAYOUT = new FixedRecordLayout('insuranceParticipation', [
  { name: 'status', format: 'an', length: 1 },
  { name: 'since', format: 'open-date', length: 4 },
  { name: 'region', format: 'cn', length: 3 },
] as const);
/** 8 bytes. */
export const INSURANCE_RECORD_LENGTH = INSURANCE_RECORD_LAYOUT.length;

export interface InsuranceParticipation {
  status: InsuranceStatusCode;
  /** 'YYYY-MM-DD', or null when never insured. */
  since: string | null;
  /** 6-digit region code, or '' when never insured. */
  region: string;
}

export const NOT_INSURED: InsuranceParticipation = Object.freeze({ status: '0', since: null, region: '' });

export function encodeInsuranceParticipation(value: InsuranceParticipation): Uint8Array {
  if (!(value.status in INSURANCE_STATUS_CODES)) {
    throw new RecordLayoutError('insuranceParticipation.status', `unknown status ${JSON.stringify(value.status)}`);
  }
  return INSURANCE_RECORD_LAYOUT.encode(value);
}

export function decodeInsuranceParticipation(bytes: Uint8Array): InsuranceParticipation {
  const v = INSURANCE_RECORD_LAYOUT.decode(bytes);
  if (!(v.status in INSURANCE_STATUS_CODES)) {
    throw new RecordLayoutError('insuranceParticipation.status', `unknown status ${JSON.stringify(v.status)}`);
  }
  return { status: v.status as InsuranceStatusCode, since: v.since, region: v.region };
}
