import { readRecord } from '../../apdu/index.js';
import {
  INSURANCE_RECORD_LENGTH,
  INSURANCE_TYPES,
  SSC_SFIS,
  decodeInsuranceParticipation,
  type InsuranceStatusCode,
  type InsuranceType,
} from '../../records/index.js';
import type { AbortOptions } from '../abort.js';
import { CardDataError, FileNotFoundError } from '../errors.js';
import { PinProtectedFiles } from './pin-files.js';
import { cardData } from './records.js';

/*
 * DF03 (social insurance) under SSSE: the participation status of the five insurance types, in the
 * shared layout of src/records/insurance.ts (the same decoder `sscard card show` uses on an image).
 */

/** Whether the holder takes part in an insurance type (status codes '0'..'3' of the layout). */
export type InsuranceStatus = 'not-insured' | 'participating' | 'suspended' | 'terminated';

/** Participation status names, by the layout's status code. */
const STATUS_NAMES: Readonly<Record<InsuranceStatusCode, InsuranceStatus>> = {
  '0': 'not-insured',
  '1': 'participating',
  '2': 'suspended',
  '3': 'terminated',
};

/** One insurance type as a POS shows it. */
export interface InsuranceEntry {
  status: InsuranceStatus;
  /** The layout's status code ('0'..'3'). */
  statusCode: InsuranceStatusCode;
  /** ISO date the status took effect, or null when never insured. */
  since: string | null;
  /** 6-digit code of the insuring region, or '' when never insured. */
  region: string;
}

/** DF03/EF05: the five insurance types (pension, medical, workInjury, maternity, unemployment). */
export type InsuranceInfo = Record<InsuranceType, InsuranceEntry>;

/** The 5 records of DF03/EF05 (record 1 first) decoded into typed values. */
export function decodeInsuranceInfo(records: readonly Uint8Array[]): InsuranceInfo {
  if (records.length !== INSURANCE_TYPES.length) {
    throw new CardDataError(`DF03/EF05 insurance: ${records.length} records, expected ${INSURANCE_TYPES.length}`);
  }
  const info = {} as InsuranceInfo;
  INSURANCE_TYPES.forEach((t, i) => {
    const bytes = records[i] as Uint8Array;
    const where = `DF03/EF05 insurance record ${t.record} (${t.key})`;
    if (bytes.length !== INSURANCE_RECORD_LENGTH) {
      throw new CardDataError(`${where} is ${bytes.length} bytes, expected ${INSURANCE_RECORD_LENGTH}`);
    }
    const p = cardData(where, () => decodeInsuranceParticipation(bytes));
    info[t.key] = { status: STATUS_NAMES[p.status], statusCode: p.status, since: p.since, region: p.region };
  });
  return info;
}

/** DF03 (social insurance) under SSSE. */
export class InsuranceFiles extends PinProtectedFiles {
  protected readonly df = 'df03';

  /**
   * DF03/EF08 (SFI 8): READ RECORD 1..5 after the application PIN, as the card's access rule
   * wants. A card made before DF03/EF05 took the items of card profile §7 holds the participation
   * in DF03/EF05: when SFI 8 is not there (6A82) the same records are read from SFI 5.
   */
  readInsurance(opts?: AbortOptions): Promise<InsuranceInfo> {
    return this.readInDf(async (s) => {
      let sfi: number = SSC_SFIS.DF03_INSURANCE;
      const records: Uint8Array[] = [];
      for (const t of INSURANCE_TYPES) {
        try {
          records.push(await s.send(readRecord(t.record, { sfi })));
        } catch (error) {
          if (!(error instanceof FileNotFoundError) || records.length > 0 || sfi !== SSC_SFIS.DF03_INSURANCE)
            throw error;
          sfi = SSC_SFIS.DF03_EF05;
          records.push(await s.send(readRecord(t.record, { sfi })));
        }
      }
      return decodeInsuranceInfo(records);
    }, opts);
  }
}
