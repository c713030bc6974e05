import { readRecord, selectEf, updateCyclicRecord, type CommandApdu } from '../../apdu/index.js';
import {
  CONTRAINDICATION_LAYOUT,
  HEALTH_BASICS_RECORD_COUNT,
  MEDICAL_HISTORY_LAYOUT,
  SSC_FIDS,
  SSC_SFIS,
  decodeHealthBasics,
  encodeContraindication,
  encodeMedicalHistory,
  healthInfoOf,
  type Contraindication,
  type HealthInfo,
  type MedicalHistoryEntry,
} from '../../records/index.js';
import type { AbortOptions } from '../abort.js';
import type { CardSession } from '../channel.js';
import { SecurityStatusError } from '../errors.js';
import { authenticate, canAuthenticate, sendWithMac } from './auth.js';
import { PinProtectedFiles } from './pin-files.js';
import { callerValue, cardData } from './records.js';

// The shape and its mapping live beside the layout (src/records), so that a card image's report
// gives them without loading the SDK; named here too, as the SDK's barrel has always exported them.
export type { HealthInfo, AboBloodType, RhBloodType } from '../../records/index.js';
export { healthInfoOf };

/** The 15 records of DF10/EF05 (record 1 first) decoded into typed values. */
export function decodeHealthInfo(records: readonly Uint8Array[]): HealthInfo {
  return healthInfoOf(cardData('DF10/EF05 health basics', () => decodeHealthBasics(records)));
}

/**
 * DF10, the health extension under SSSE (card profile §3): reads after the PIN; writes from a
 * hospital terminal whose secure module holds the health key.
 */
export class HealthFiles extends PinProtectedFiles {
  protected readonly df = 'df10';

  /** DF10/EF05: blood type, condition flags and warning (needs the PIN). */
  readHealth(opts?: AbortOptions): Promise<HealthInfo> {
    return this.readInDf(async (s) => {
      const records: Uint8Array[] = [];
      for (let n = 1; n <= HEALTH_BASICS_RECORD_COUNT; n++)
        records.push(await s.send(readRecord(n, { sfi: SSC_SFIS.EF05 })));
      return decodeHealthInfo(records);
    }, opts);
  }

  /** DF10/EF07: contraindicated drugs / allergies, newest first (needs the PIN). */
  readContraindications(opts?: AbortOptions): Promise<Contraindication[]> {
    return this.readCyclic(SSC_SFIS.EF07, CONTRAINDICATION_LAYOUT, 'DF10/EF07 contraindication', opts);
  }

  /** DF10/EF08: medical history, newest first (needs the PIN). */
  readMedicalHistory(opts?: AbortOptions): Promise<MedicalHistoryEntry[]> {
    return this.readCyclic(SSC_SFIS.EF08, MEDICAL_HISTORY_LAYOUT, 'DF10/EF08 medical history', opts);
  }

  /** A new newest medical-history record; see writeRecord. */
  async appendMedicalHistory(entry: MedicalHistoryEntry, opts?: AbortOptions): Promise<void> {
    const record = callerValue(() => encodeMedicalHistory(entry));
    return this.writeRecord(SSC_FIDS.EF08, record, opts);
  }

  /** A new newest contraindication record; see writeRecord. */
  async addContraindication(entry: Contraindication, opts?: AbortOptions): Promise<void> {
    const record = callerValue(() => encodeContraindication(entry));
    return this.writeRecord(SSC_FIDS.EF07, record, opts);
  }

  /**
   * Writes a new record 1 of the cyclic DF10 file `efId`: SELECT the EF (it becomes current for
   * UPDATE RECORD P1=00 P2=03; the current DF stays DF10), then, with the health key in the
   * secure module (card profile §3: external authentication with the health key and a MAC):
   *   GET CHALLENGE, EXTERNAL AUTHENTICATE (health key), GET CHALLENGE,
   *   `04 DC 00 03 Lc record || MAC4` (MAC with the health key, IV = the second challenge).
   * Two challenges because the card uses each one once. Without the key the plain `00 DC 00 03`
   * goes out and the card refuses it (6982: SecurityStatusError, with a hint naming the key).
   */
  private writeRecord(efId: number, record: Uint8Array, opts: AbortOptions | undefined): Promise<void> {
    return this.pin.protectedBlock(async (s) => {
      const withKey = canAuthenticate(this.session, 'HEALTH');
      if (withKey) await this.session.identifier(s);
      await this.session.goTo(s, this.df);
      await s.send(selectEf(efId));
      const write = updateCyclicRecord(record);
      if (!withKey) {
        await sendWithoutKey(s, write);
        return;
      }
      await authenticate(this.session, s, 'HEALTH');
      await sendWithMac(this.session, s, 'HEALTH', write);
    }, opts);
  }
}

/** The plain health write a terminal without the health key sends; the card's 6982 gets the hint. */
async function sendWithoutKey(s: CardSession, write: CommandApdu): Promise<void> {
  try {
    await s.send(write);
  } catch (error) {
    if (!(error instanceof SecurityStatusError)) throw error;
    throw new SecurityStatusError(error.sw, {
      command: error.command ?? 'UPDATE RECORD',
      hint: 'writing health records needs a secure module holding the HEALTH key (SscCard.open(transport, { psam }))',
    });
  }
}
