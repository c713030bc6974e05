import { citizenId } from '../../../src/records/index.js';
import {
  parseKeys,
  runScriptedCall,
  type HotlineCallRecord,
  type HotlineService,
  type HotlinePinChangeRequest,
  type IdentifyResult,
  type LossResult,
  type QueueResult,
} from '../../../src/office/index.js';

/*
 * A scripted office behind the HotlineService interface, for the voice menu's tests: the cards it
 * knows, what it answers, and what it was asked.
 */

export const HOLDER = citizenId('110105', '1985-03-12', '031');
/** A valid ID number whose check character is X. */
export const X_HOLDER = (() => {
  for (let i = 0; i < 1000; i++) {
    const id = citizenId('310104', '1962-11-08', String(i).padStart(3, '0'));
    if (id.endsWith('X')) return id;
  }
  throw new Error('no X check digit found');
})();
export const CARD = 'A00000001';

export class FakeOffice implements HotlineService {
  readonly queued: Array<{ cardNumber: string; idNumber: string; currentPin: string; newPin: string }> = [];
  readonly identified: Array<{ purpose: string; digits: string; idNumber: string }> = [];
  readonly losses: Array<{ cardNumber: string; idNumber: string; side: string }> = [];
  readonly records: HotlineCallRecord[] = [];
  identity: IdentifyResult = { status: 'ok', cardNumber: CARD, last4: '0001', notices: [] };
  queueResult: QueueResult = { status: 'queued', validDays: 30, until: '2025-04-01' };
  failing = false;
  lossResult: LossResult = { status: 'reported' };
  reportLoss?: (r: { cardNumber: string; idNumber: string; side: 'ssc' | 'bank' }) => Promise<LossResult>;

  constructor(withLoss = false) {
    if (withLoss) {
      this.reportLoss = async (r) => {
        this.losses.push({ cardNumber: r.cardNumber, idNumber: r.idNumber, side: r.side });
        return this.lossResult;
      };
    }
  }

  async findCard(digits: string): Promise<boolean> {
    if (this.failing) throw new Error('database down');
    return digits === '00000001';
  }

  async identify(purpose: 'pin_change' | 'loss', digits: string, idNumber: string): Promise<IdentifyResult> {
    this.identified.push({ purpose, digits, idNumber });
    if (idNumber !== HOLDER && idNumber !== X_HOLDER) return { status: 'id_mismatch' };
    return this.identity;
  }

  async queuePinChange(request: HotlinePinChangeRequest): Promise<QueueResult> {
    this.queued.push({
      cardNumber: request.cardNumber,
      idNumber: request.idNumber,
      currentPin: request.currentPin,
      newPin: request.newPin,
    });
    return this.queueResult;
  }

  async recordCall(record: HotlineCallRecord): Promise<void> {
    this.records.push(record);
  }
}

export interface Heard {
  lines: string[];
  echo: string;
  outcome: string;
}

export async function call(office: HotlineService, keys: string, lang: 'zh' | 'en' = 'en'): Promise<Heard> {
  const lines: string[] = [];
  let echo = '';
  const outcome = await runScriptedCall(office, parseKeys(keys), { lang }, (o) => {
    lines.push(...o.lines);
    echo += o.echo;
  });
  return { lines, echo, outcome };
}

export const CHANGE = `2 2 00000001# 123456# ${HOLDER}# 246810# 246810#`;
