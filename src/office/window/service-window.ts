import { ApplicationControl, IssuerTerminal } from '../../terminal/index.js';
import type { IssuerSecureModule } from '../../terminal/index.js';
import { checkContext } from '../context.js';
import type { OperationContext, Role } from '../context.js';
import { CardStateError, OfficeArgumentError, OperationRefusedError } from '../errors.js';
import type { Registry } from '../registry.js';
import type { Side } from '../states.js';
import type { CardStatus, IssuedCard, PersonalizationVersion } from '../types.js';
import { correctCard, issueCard } from './card-acts.js';
import type { MakeCard, WindowIssueInput } from './card-making.js';
import {
  checkChipHolder,
  checkNewAppPin,
  checkNewBankPin,
  checkPresentedBankPin,
  onChip,
  readPinState,
} from './chip.js';
import { guard, identify, presentedId } from './counter.js';
import type { WindowCard, WindowDesk } from './counter.js';
import { CardChangedNotRecordedError } from './errors.js';
import { WINDOW_PIN_OPERATIONS, checkActivation, checkVisit, rolesFor } from './pin-operations.js';
import type { WindowAct } from './pin-operations.js';
import { windowSettings } from './settings.js';
import type { ServiceWindowOptions, WindowSettings } from './settings.js';

export type { WindowCard } from './counter.js';

/*
 * The service window (role `window`) and the bank branch (role `bank`): the cardholder notices'
 * acts, with the card at the counter, the holder's ID document, the issuer's secure module, and the
 * registry recording every act, refusals included.
 *
 * One PIN act, in order (nothing is sent to change the card before step 6):
 *   1. the terminal's role (a window acts on the application PIN, a bank on the bank PIN);
 *   2. the chip's EF05: which card this is (a chip that cannot be read, or whose application is
 *      blocked, is refused against the holder's live card in the registry, found by ID number);
 *   3. what the holder typed: two equal new PINs of the right format, or a bank PIN of the format;
 *   4. the registry's rules (card known, same card identifier, ID the holder's, side active or
 *      pin_locked), then the chip's EF06 against the ID document, then the chip's PIN state;
 *   5. a lock the chip shows and the registry does not know is recorded (pin_locked) first;
 *   6. the act's operation: under the card's row lock the rules again, the chip's PIN state again,
 *      the one card command, the registry's new state and the history entry, in one transaction.
 * A refusal at any step is recorded under the act's name with its reason code and thrown.
 *
 * Consistency between the chip and the registry. The card command runs inside the transaction,
 * so a failed command rolls the registry back (the refusal is recorded). What is left is the
 * window of a card command that succeeded followed by a commit that did not (the store failed,
 * the connection dropped, the process died): the chip has changed and the registry has not.
 *   - unlock: the chip's PIN is unlocked, the registry still says pin_locked. Nothing is wrong for
 *     the holder (the PIN works everywhere). At the next visit the window reads the chip's PIN
 *     state, sees it unlocked, and records the unlock without a card command ("reconciled");
 *     at a bank the bank PIN UNBLOCK is still sent, as it checks the holder's bank PIN and only
 *     restores the counter of an unlocked PIN.
 *   - reset: the chip holds the new PIN, the registry has the old state and PIN-initial flag. The
 *     holder's new PIN works; the registry may think the PIN is still initial (cards on the
 *     initial PIN are only kept from self-service loss reporting, the cautious side). Repeating
 *     the reset records it (RELOAD PIN sets the PIN again).
 *   - a card made at the window (issue, correction re-issue): a card exists that the registry
 *     does not know (issue) or does not know is re-made (correction). The caller discards what it
 *     made (the CLI deletes the new image) and repeats.
 *   - the commit went through but its answer was lost: the registry is right; repeating an unlock
 *     is refused PIN_NOT_LOCKED (nothing to do), repeating a reset resets again.
 * In each case the window throws CardChangedNotRecordedError (CARD_CHANGED_NOT_RECORDED) saying
 * so, instead of a plain storage error. A process that dies in the middle leaves the same states
 * (the card's commands are atomic and its images are written atomically; an uncommitted
 * transaction is rolled back by PostgreSQL), and the same next visit puts them right.
 */

export interface PinActResult {
  /** The registry's record of the card after the act. */
  card: CardStatus;
  /** The command sent to the chip ('PIN UNBLOCK', 'RELOAD PIN', 'bank PIN UNBLOCK', 'bank RELOAD PIN'), or null. */
  cardCommand: string | null;
  /** True when the registry was brought in line with the chip (its PIN was already unlocked). */
  reconciled: boolean;
  /** True when the window recorded a PIN lock the chip showed and the registry did not know. */
  lockRecorded: boolean;
}

/** A PIN as the window takes it: digits as text, or the digit bytes (wiped by the caller). */
export type WindowPin = string | Uint8Array;
type Pin = WindowPin;

interface ActPlan {
  act: WindowAct;
  side: Side;
  idNumber: string;
  /** Checks what the holder typed (step 3); throws a refusal. */
  typed: (cardNumber: string) => void;
  command: (terminal: IssuerTerminal) => Promise<void>;
  commandName: string;
  pinInitial?: boolean;
}

export class ServiceWindow {
  readonly registry: Registry;
  readonly ctx: OperationContext;
  readonly settings: WindowSettings;
  private readonly psam: IssuerSecureModule;
  private readonly desk: WindowDesk;

  /**
   * `psam` holds the issuer master keys the acts need: RKSSSE (EF06 of 3.00 cards), PIN_UNBLOCK and
   * PIN_RELOAD at a window; RKSSSE, BANK_PIN_UNBLOCK and BANK_PIN_RELOAD at a bank branch.
   */
  constructor(registry: Registry, ctx: OperationContext, psam: IssuerSecureModule, options: ServiceWindowOptions = {}) {
    this.registry = registry;
    this.ctx = checkContext(ctx);
    if (typeof psam?.encipherPinBlock !== 'function')
      throw new OfficeArgumentError('a ServiceWindow needs an issuer secure module');
    this.psam = psam;
    this.settings = windowSettings(options);
    this.desk = { registry, ctx: this.ctx, psam, settings: this.settings };
  }

  // ---- cards -----------------------------------------------------------------------------------

  /**
   * Issues a card: the registry records the person and the card (new card number and identifier,
   * the document stored as version 1), and `makeCard` personalizes the chip (or writes its image)
   * from that stored document inside the same transaction.
   */
  issueCard(input: WindowIssueInput): Promise<IssuedCard> {
    return issueCard(this.desk, input);
  }

  /**
   * A correction: the card's data was wrong. `changes` ('person.name' → '…', applied to the newest
   * version) or a whole corrected `document` becomes the next personalization version (the earlier
   * ones stay); with `makeCard` the card is re-made from it (same card number and identifier, a new
   * chip: PIN initial). With `card` (the holder's card at the counter, `idNumber` from their ID
   * document) the correction is written on that chip in place, in the same operation: the card
   * must be this card number and this holder's, and only the cardholder data (EF06: name, sex,
   * ethnicity, birthplace, birth date) can be changed so; the PINs stay as they are.
   */
  correctCard(
    cardNumber: string,
    input: {
      changes?: Readonly<Record<string, string>>;
      document?: unknown;
      reason: string;
      makeCard?: MakeCard;
      validate?: (document: Record<string, unknown>) => void;
      card?: WindowCard;
      idNumber?: string;
    },
  ): Promise<PersonalizationVersion> {
    return correctCard(this.desk, cardNumber, input);
  }

  // ---- the application PIN at a window ------------------------------------------------------------

  /** A locked application PIN unlocked (PIN UNBLOCK under the unblock key); the PIN itself stays. */
  unlockPin(card: WindowCard, input: { idNumber: string }): Promise<PinActResult> {
    return this.pinAct(card, {
      act: 'unlock',
      side: 'ssc',
      idNumber: input.idNumber,
      typed: () => undefined,
      command: (t) => t.unblockPin(),
      commandName: 'PIN UNBLOCK',
    });
  }

  /**
   * A forgotten application PIN reset (RELOAD PIN under the reload key). Under the rule
   * 'holder-chooses' (default) the holder types the new PIN twice (`newPin`, `newPinAgain`): same
   * format as the card's, not the initial PIN; the registry records the PIN as no longer initial.
   * Under 'initial' the card gets the initial PIN again (no PIN is typed) and the registry records
   * it as initial.
   */
  resetPin(card: WindowCard, input: { idNumber: string; newPin?: Pin; newPinAgain?: Pin }): Promise<PinActResult> {
    const policy = this.settings.pinPolicy;
    const toInitial = this.settings.resetPinRule === 'initial';
    let pin: Pin;
    let typed: () => void;
    if (toInitial) {
      if (input.newPin !== undefined || input.newPinAgain !== undefined) {
        throw new OfficeArgumentError(
          "under resetPinRule 'initial' the card gets the initial PIN: no new PIN is typed",
        );
      }
      pin = policy.initialPin;
      typed = () => undefined;
    } else {
      const { newPin, newPinAgain } = input;
      if (newPin === undefined || newPinAgain === undefined) {
        throw new OfficeArgumentError(
          "under resetPinRule 'holder-chooses' the holder types the new PIN twice (newPin, newPinAgain)",
        );
      }
      pin = newPin;
      typed = () => checkNewAppPin(newPin, newPinAgain, policy);
    }
    return this.pinAct(card, {
      act: 'reset',
      side: 'ssc',
      idNumber: input.idNumber,
      typed,
      command: (t) => t.reloadPin(pin),
      commandName: 'RELOAD PIN',
      pinInitial: toInitial,
    });
  }

  // ---- the bank PIN at a bank branch --------------------------------------------------------------

  /**
   * A locked bank PIN unlocked: besides the card and the ID document, the holder types the correct
   * bank PIN (`bankPin`), which the chip checks (BANK_PIN_MISMATCH when wrong; nothing changes).
   */
  bankUnlock(card: WindowCard, input: { idNumber: string; bankPin: Pin }): Promise<PinActResult> {
    const rules = this.settings.bankPinPolicy;
    return this.pinAct(card, {
      act: 'unlock',
      side: 'bank',
      idNumber: input.idNumber,
      typed: (cardNumber) => checkPresentedBankPin(input.bankPin, rules, cardNumber),
      command: (t) => t.bankUnblock(input.bankPin),
      commandName: 'bank PIN UNBLOCK',
    });
  }

  /** A forgotten bank PIN replaced by a new one the holder types twice (RELOAD PIN on the bank application). */
  bankReset(card: WindowCard, input: { idNumber: string; newPin: Pin; newPinAgain: Pin }): Promise<PinActResult> {
    const rules = this.settings.bankPinPolicy;
    return this.pinAct(card, {
      act: 'reset',
      side: 'bank',
      idNumber: input.idNumber,
      typed: () => checkNewBankPin(input.newPin, input.newPinAgain, rules),
      command: (t) => t.bankReload(input.newPin),
      commandName: 'bank RELOAD PIN',
    });
  }

  /**
   * The bank side activated (inactive -> active) with the card and the ID document, within the
   * registry's activation window (Registry.activateBank: 60 days by default): the chip's bank
   * application, personalized blocked, is unblocked (APPLICATION UNBLOCK under BANK_APP_CONTROL,
   * which the secure module must hold) inside the same operation.
   */
  async activateBank(where: WindowCard, input: { idNumber: string }): Promise<CardStatus> {
    const name = 'activate_bank';
    const roles: readonly Role[] = ['bank', 'admin'];
    const idNumber = presentedId(input.idNumber);
    const { card, identity } = await identify(this.desk, where, name, roles, idNumber);
    const { cardNumber, cardIdentifier } = identity;
    const terminal = new IssuerTerminal(card, this.psam);
    await guard(this.desk, name, roles, { cardNumber, idNumber }, async () => {
      checkActivation(await this.registry.cardStatus(cardNumber), { cardIdentifier, idNumber });
      await onChip(name, cardNumber, () => checkChipHolder(terminal, idNumber, cardNumber));
    });
    const control = ApplicationControl.forCard(card, this.psam);
    return this.registry.activateBank(this.ctx, {
      cardNumber,
      idNumber,
      cardSide: async () => {
        await control.unblock('bank');
      },
    });
  }

  // ---- the act --------------------------------------------------------------------------------------

  private async pinAct(where: WindowCard, plan: ActPlan): Promise<PinActResult> {
    const { side, act } = plan;
    const name = act === 'unlock' ? 'pin_unlock' : 'pin_reset';
    const roles = rolesFor(side);
    const idNumber = presentedId(plan.idNumber);
    // 1 and 2. The role, then which card.
    const { card, identity } = await identify(this.desk, where, name, roles, idNumber);
    const { cardNumber, cardIdentifier } = identity;
    const terminal = new IssuerTerminal(card, this.psam, {
      pinPolicy: this.settings.pinPolicy,
      bankPinPolicy: this.settings.bankPinPolicy,
    });
    // 3 and 4. What was typed, the registry's rules, the chip's holder and PIN state.
    const { status, chip } = await guard(this.desk, name, roles, { cardNumber, idNumber }, async () => {
      plan.typed(cardNumber);
      const found = await this.registry.cardStatus(cardNumber);
      checkVisit(found, { side, cardIdentifier, idNumber }, name);
      await onChip(name, cardNumber, () => checkChipHolder(terminal, idNumber, cardNumber));
      return { status: found, chip: await onChip(name, cardNumber, () => readPinState(card, side)) };
    });
    // 5. A lock the registry has not heard of.
    let lockRecorded = false;
    if (chip.blocked && (side === 'ssc' ? status.ssc : status.bank) === 'active') {
      try {
        await this.registry.recordPinLocked(this.ctx, { cardNumber, side });
        lockRecorded = true;
      } catch (error) {
        // Someone recorded it (or changed the state) meanwhile: the act's own rules decide below.
        if (!(error instanceof CardStateError)) throw error;
      }
    }
    // 6. The act.
    let changed = false;
    try {
      const out = await this.registry.perform(WINDOW_PIN_OPERATIONS[side][act], this.ctx, {
        act,
        side,
        cardNumber,
        cardIdentifier,
        idNumber,
        ...(plan.pinInitial === undefined
          ? {}
          : { pinInitial: plan.pinInitial, resetRule: this.settings.resetPinRule }),
        readPin: () => onChip(name, cardNumber, () => readPinState(card, side)),
        command: async () => {
          await onChip(name, cardNumber, () => plan.command(terminal));
          changed = true;
        },
        commandName: plan.commandName,
      });
      return { card: out.card, cardCommand: out.cardCommand, reconciled: out.reconciled, lockRecorded };
    } catch (error) {
      if (changed && !(error instanceof OperationRefusedError)) {
        throw new CardChangedNotRecordedError(
          name,
          cardNumber,
          `repeat the ${act} at the window to bring the registry up to date`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}
