import { SSC_SFIS, WORK_RECORD_LENGTH, decodeWorkRecord, type WorkRecord } from '../../records/index.js';
import type { AbortOptions } from '../abort.js';
import type { ApplicationPin } from './pin.js';
import { readCyclicDecoded } from './records.js';
import type { SscSession } from './session.js';

/** DF02 (employment) under SSSE: the work records. */
export class EmploymentFiles {
  constructor(
    private readonly session: SscSession,
    private readonly pin: ApplicationPin,
  ) {}

  /** DF02/EF07: work records, newest first, empty records skipped (needs the PIN). */
  readWorkRecord(opts?: AbortOptions): Promise<WorkRecord[]> {
    return this.pin.protectedRead(async (s) => {
      await this.session.goTo(s, 'df02');
      return readCyclicDecoded(s, SSC_SFIS.EF07, WORK_RECORD_LENGTH, 'DF02/EF07 work record', decodeWorkRecord);
    }, opts);
  }
}
