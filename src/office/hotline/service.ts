import type { PinChangeSecureModule } from '../../terminal/index.js';
import { chinaDate } from '../clock.js';
import type { OperationContext } from '../context.js';
import { OperationRefusedError } from '../errors.js';
import type { HotlineCallRecord } from '../operations/hotline-call.js';
import { DEFAULT_SCRIPT_DAYS } from '../operations/pin-change.js';
import type { PinChangeScript } from '../operations/pin-change.js';
import type { Registry } from '../registry.js';
import type { IdentifyResult, LossResult, PinChangeNotice, QueueResult } from './menu.js';

/*
 * What the voice menu needs from the office, as one interface (so the menu and its driver are
 * tested without a database), and its implementation over the registry and the office's secure
 * module.
 *
 * Card numbers by phone: callers type the digits only (the notices: "enter the card number
 * without its letter"). A card matches when its number with the letters removed equals the
 * digits. When several cards share those digits, the caller's ID number picks the one whose
 * holder it is, a live card before a replaced or blocked one.
 */

/** A PIN change a caller asked for by phone: the card, the holder's ID number, both PINs. */
export interface HotlinePinChangeRequest {
  cardNumber: string;
  idNumber: string;
  currentPin: string;
  newPin: string;
}

export interface HotlineService {
  /** Whether some card has these digits (letters left out). */
  findCard(digits: string): Promise<boolean>;
  /** The card with these digits whose holder has this ID number, and what to tell the caller. */
  identify(purpose: 'pin_change' | 'loss', digits: string, idNumber: string): Promise<IdentifyResult>;
  /** Enciphers the PINs at once (secure module) and queues the card's PIN change script. */
  queuePinChange(request: HotlinePinChangeRequest): Promise<QueueResult>;
  /**
   * The self-service loss report (card services, key 3), when the office offers it: the
   * registry's loss operation with channel 'self'. A service without it leaves the key out of the
   * menu.
   */
  reportLoss?(request: { cardNumber: string; idNumber: string; side: 'ssc' | 'bank' }): Promise<LossResult>;
  /** Records the call in the history (once, at its end). */
  recordCall(record: HotlineCallRecord): Promise<void>;
}

export interface RegistryHotlineOptions {
  /** Days a PIN change script stays valid (default DEFAULT_SCRIPT_DAYS, 30). */
  scriptDays?: number;
}

/** The hotline over the registry: lookups, the PIN change operation, the call record. */
export class RegistryHotlineService implements HotlineService {
  readonly scriptDays: number;

  constructor(
    private readonly registry: Registry,
    private readonly psam: PinChangeSecureModule,
    private readonly ctx: OperationContext,
    options: RegistryHotlineOptions = {},
  ) {
    this.scriptDays = options.scriptDays ?? DEFAULT_SCRIPT_DAYS;
  }

  async findCard(digits: string): Promise<boolean> {
    return (await this.registry.cardsByNumberDigits(digits)).length > 0;
  }

  async identify(purpose: 'pin_change' | 'loss', digits: string, idNumber: string): Promise<IdentifyResult> {
    const cards = await this.registry.cardsByNumberDigits(digits);
    if (cards.length === 0) return { status: 'not_found' };
    const card = cards.find((c) => c.idNumber === idNumber.toUpperCase());
    if (card === undefined) return { status: 'id_mismatch' };
    const notices =
      purpose === 'pin_change'
        ? noticesFor(await this.registry.pinChanges(card.cardNumber), this.registry.clock.now())
        : [];
    if (purpose === 'pin_change' && card.ssc !== 'active')
      return { status: 'card_state', cardNumber: card.cardNumber, state: card.ssc, notices };
    return { status: 'ok', cardNumber: card.cardNumber, last4: card.cardNumber.slice(-4), notices };
  }

  async queuePinChange(request: HotlinePinChangeRequest): Promise<QueueResult> {
    try {
      const queued = await this.registry.queuePinChange(this.ctx, {
        cardNumber: request.cardNumber,
        idNumber: request.idNumber,
        validDays: this.scriptDays,
        encipher: (card) =>
          this.psam.encipherPinChange({ ...card, currentPin: request.currentPin, newPin: request.newPin }),
      });
      return { status: 'queued', validDays: this.scriptDays, until: chinaDate(queued.script.expiresAt ?? new Date()) };
    } catch (err) {
      if (err instanceof OperationRefusedError) return { status: 'refused', code: err.code };
      throw err;
    }
  }

  /**
   * A temporary loss report by phone. The hotline's role may report the social-security side; the
   * bank side is the bank's (its own hotline), so the registry refuses it here and the caller is
   * told the report was not taken.
   */
  async reportLoss(request: { cardNumber: string; idNumber: string; side: 'ssc' | 'bank' }): Promise<LossResult> {
    try {
      await this.registry.reportLoss(this.ctx, {
        cardNumber: request.cardNumber,
        idNumber: request.idNumber,
        side: request.side,
        channel: 'self',
      });
      return { status: 'reported' };
    } catch (err) {
      if (err instanceof OperationRefusedError) return { status: 'refused', code: err.code };
      throw err;
    }
  }

  async recordCall(record: HotlineCallRecord): Promise<void> {
    await this.registry.recordHotlineCall(this.ctx, record);
  }
}

/**
 * What the caller is told about the card's earlier PIN changes: the newest request if it is
 * still pending (it will be replaced), and every failed or expired one not told before (a pending
 * request past its expiry counts as expired).
 */
export function noticesFor(scripts: readonly PinChangeScript[], now: Date): PinChangeNotice[] {
  const notices: PinChangeNotice[] = [];
  for (const s of [...scripts].sort((a, b) => a.id - b.id)) {
    const date = chinaDate(s.createdAt);
    const days = s.expiresAt === null ? 0 : Math.round((s.expiresAt.getTime() - s.createdAt.getTime()) / 86_400_000);
    const overdue = s.state === 'pending' && s.expiresAt !== null && s.expiresAt.getTime() <= now.getTime();
    if (s.state === 'pending' && !overdue) {
      notices.push({ kind: 'pending', scriptId: s.id, date });
      continue;
    }
    if (s.holderToldAt !== null) continue;
    if (overdue || s.state === 'expired') notices.push({ kind: 'expired', scriptId: s.id, date, days });
    else if (
      s.state === 'failed' &&
      s.outcome?.result === 'failed' &&
      s.outcome.reason === 'pin_incorrect' &&
      'triesLeft' in s.outcome
    ) {
      notices.push({ kind: 'failed_pin', scriptId: s.id, date, triesLeft: s.outcome.triesLeft });
    } else if (s.state === 'failed') notices.push({ kind: 'failed', scriptId: s.id, date });
  }
  return notices;
}
