import { FixedRecordLayout } from './layout.js';
import type { RecordOf } from './layout.js';

/**
 * SSSE/DF02/EF07 work record (card profile §2): cyclic, 4 records of 85 bytes, no TLV; record 1 is
 * the newest. employer code 7 an || start date 4 cn || end date 4 cn (all F while current) ||
 * employer name 70 an.
 */
export const WORK_RECORD_LAYOUT = new FixedRecordLayout('workRecord', [
  { name: 'employerCode', format: 'an', length: 7 },
  { name: 'startDate', format: 'date', length: 4 },
  { name: 'endDate', format: 'open-date', length: 4 },
  { name: 'employerName', format: 'an', length: 70 },
] as const);

/** A decoded work record; `endDate` null means the job is current. */
export type WorkRecord = RecordOf<typeof WORK_RECORD_LAYOUT.fields>;

/** 85 bytes. */
export const WORK_RECORD_LENGTH = WORK_RECORD_LAYOUT.length;
export const WORK_RECORD_COUNT = 4;

export function encodeWorkRecord(record: WorkRecord): Uint8Array {
  return WORK_RECORD_LAYOUT.encode(record);
}

export function decodeWorkRecord(bytes: Uint8Array): WorkRecord {
  return WORK_RECORD_LAYOUT.decode(bytes);
}
