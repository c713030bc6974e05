import { SSC_SFIS, WORK_RECORD_LAYOUT, type WorkRecord } from '../../records/index.js';
import type { AbortOptions } from '../abort.js';
import { PinProtectedFiles } from './pin-files.js';

/** DF02 (employment) under SSSE: the work records. */
export class EmploymentFiles extends PinProtectedFiles {
  protected readonly df = 'df02';

  /** DF02/EF07: work records, newest first, empty records skipped (needs the PIN). */
  readWorkRecord(opts?: AbortOptions): Promise<WorkRecord[]> {
    return this.readCyclic(SSC_SFIS.EF07, WORK_RECORD_LAYOUT, 'DF02/EF07 work record', opts);
  }
}
