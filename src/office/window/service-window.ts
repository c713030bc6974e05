import { ApplicationControl, CardChannel, IssuerTerminal, SscCard } from '../../terminal/index.js';
import type { IssuerSecureModule } from '../../terminal/index.js';
import { checkContext } from '../context.js';
import type { OperationContext, Role } from '../context.js';
import { CardStateError, OfficeArgumentError, OperationRefusedError, RoleNotAllowedError } from '../errors.js';
import type { Registry } from '../registry.js';
import { isFinalState } from '../states.js';
import type { Side } from '../states.js';
import type { CardStatus, IssuedCard, PersonalizationVersion } from '../types.js';
import {
  applyCorrections,
  cardholderCorrection,
  windowCorrectionOperation,
  windowIssueOperation,
} from './card-making.js';
import type { MakeCard, WindowIssueInput } from './card-making.js';
import {
  cardRefusal,
  checkChipHolder,
  checkNewAppPin,
  checkNewBankPin,
  checkPresentedBankPin,
  onChip,
  readIdentity,
  readPinState,
} from './chip.js';
import type { ChipIdentity } from './chip.js';
import { CardChangedNotRecordedError, CardIdentityMismatchError, OtherCardPresentedError } from './errors.js';
import { WINDOW_PIN_OPERATIONS, checkActivation, checkVisit, refusalOperation, rolesFor } from './pin-operations.js';
import type { WindowAct } from './pin-operations.js';
import { windowSettings } from './settings.js';
import type { ServiceWindowOptions, WindowSettings } from './settings.js';

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

/** The card at the counter: an open SscCard (opened with a module holding RKSSSE, so that EF06 of
 * 3.00 cards can be read), or a channel the window opens the card on with its own module. */
export type WindowCard = SscCard | CardChannel;

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

interface Subject {
  cardNumber: string | null;
  idNumber: string | null;
}

export class ServiceWindow {
  readonly registry: Registry;
  readonly ctx: OperationContext;
  readonly settings: WindowSettings;
  private readonly psam: IssuerSecureModule;

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
  }

  // ---- cards -----------------------------------------------------------------------------------

  /**
   * Issues a card: the registry records the person and the card (new card number and identifier,
   * the document stored as version 1), and `makeCard` personalizes the chip (or writes its image)
   * from that stored document inside the same transaction.
   */
  async issueCard(input: WindowIssueInput): Promise<IssuedCard> {
    if (typeof input?.makeCard !== 'function')
      throw new OfficeArgumentError('issueCard needs makeCard, the step that makes the card');
    let made: string | undefined;
    const makeCard: MakeCard = async (document, cardNumber) => {
      await input.makeCard(document, cardNumber);
      made = cardNumber;
    };
    try {
      return await this.registry.perform(windowIssueOperation, this.ctx, { ...input, makeCard });
    } catch (error) {
      if (made !== undefined && !(error instanceof OperationRefusedError)) {
        throw new CardChangedNotRecordedError(
          'issue_card',
          made,
          'the card made is not registered: discard it and issue again',
          { cause: error },
        );
      }
      throw error;
    }
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
  async correctCard(
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
    if ((input.changes === undefined) === (input.document === undefined))
      throw new OfficeArgumentError('a correction takes either changes or a document');
    const roles: readonly Role[] = ['window', 'admin'];
    const chipStep =
      input.card === undefined ? undefined : await this.chipCorrection(cardNumber, input.card, input, roles);
    let document = input.document;
    let baseVersion: number | undefined;
    if (input.changes !== undefined) {
      const current = await this.guard('correct_personalization', roles, { cardNumber, idNumber: null }, () =>
        this.registry.personalization(cardNumber),
      );
      document = applyCorrections(current.document, input.changes);
      baseVersion = current.version;
    }
    let made = false;
    const makeCard: MakeCard | undefined =
      input.makeCard === undefined
        ? undefined
        : async (doc, number) => {
            await input.makeCard?.(doc, number);
            made = true;
          };
    const writeCard =
      chipStep === undefined
        ? undefined
        : async () => {
            await chipStep();
            made = true;
          };
    try {
      return await this.registry.perform(windowCorrectionOperation, this.ctx, {
        cardNumber,
        document,
        reason: input.reason,
        ...(baseVersion === undefined ? {} : { baseVersion }),
        ...(makeCard === undefined ? {} : { makeCard }),
        ...(writeCard === undefined ? {} : { writeCard }),
        ...(input.validate === undefined ? {} : { validate: input.validate }),
      });
    } catch (error) {
      if (made && !(error instanceof OperationRefusedError)) {
        const what =
          writeCard === undefined
            ? 'the card re-made is not recorded: discard it and correct again'
            : 'the card was corrected but the registry did not record it: correct again';
        throw new CardChangedNotRecordedError('correct_personalization', cardNumber, what, { cause: error });
      }
      throw error;
    }
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
    if (this.settings.resetPinRule === 'initial') {
      if (input.newPin !== undefined || input.newPinAgain !== undefined) {
        throw new OfficeArgumentError(
          "under resetPinRule 'initial' the card gets the initial PIN: no new PIN is typed",
        );
      }
      return this.pinAct(card, {
        act: 'reset',
        side: 'ssc',
        idNumber: input.idNumber,
        typed: () => undefined,
        command: (t) => t.reloadPin(policy.initialPin),
        commandName: 'RELOAD PIN',
        pinInitial: true,
      });
    }
    const { newPin, newPinAgain } = input;
    if (newPin === undefined || newPinAgain === undefined) {
      throw new OfficeArgumentError(
        "under resetPinRule 'holder-chooses' the holder types the new PIN twice (newPin, newPinAgain)",
      );
    }
    return this.pinAct(card, {
      act: 'reset',
      side: 'ssc',
      idNumber: input.idNumber,
      typed: () => checkNewAppPin(newPin, newPinAgain, policy),
      command: (t) => t.reloadPin(newPin),
      commandName: 'RELOAD PIN',
      pinInitial: false,
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
    const idNumber = this.presentedId(input.idNumber);
    const { card, identity } = await this.identify(where, name, roles, idNumber);
    const { cardNumber, cardIdentifier } = identity;
    const terminal = new IssuerTerminal(card, this.psam);
    await this.guard(name, roles, { cardNumber, idNumber }, async () => {
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
    const idNumber = this.presentedId(plan.idNumber);
    // 1 and 2. The role, then which card.
    const { card, identity } = await this.identify(where, name, roles, idNumber);
    const { cardNumber, cardIdentifier } = identity;
    const terminal = new IssuerTerminal(card, this.psam, {
      pinPolicy: this.settings.pinPolicy,
      bankPinPolicy: this.settings.bankPinPolicy,
    });
    // 3 and 4. What was typed, the registry's rules, the chip's holder and PIN state.
    const { status, chip } = await this.guard(name, roles, { cardNumber, idNumber }, async () => {
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

  /** The chip step of an in-place correction, after checking the card is this card and holder's. */
  private async chipCorrection(
    cardNumber: string,
    where: WindowCard,
    input: { changes?: Readonly<Record<string, string>>; makeCard?: MakeCard; idNumber?: string },
    roles: readonly Role[],
  ): Promise<() => Promise<void>> {
    if (input.changes === undefined || input.makeCard !== undefined)
      throw new OfficeArgumentError('a correction on a card in a reader takes changes, and no makeCard');
    const corrected = cardholderCorrection(input.changes);
    const idNumber = this.presentedId(input.idNumber ?? '');
    const name = 'correct_personalization';
    const { card, identity } = await this.identify(where, name, roles, idNumber);
    const terminal = new IssuerTerminal(card, this.psam);
    await this.guard(name, roles, { cardNumber, idNumber }, async () => {
      if (identity.cardNumber !== cardNumber) throw new OtherCardPresentedError(cardNumber, identity.cardNumber);
      if (identity.cardIdentifier !== (await this.registry.cardStatus(cardNumber)).cardIdentifier)
        throw new CardIdentityMismatchError(cardNumber);
      await onChip(name, cardNumber, () => checkChipHolder(terminal, idNumber, cardNumber));
    });
    return () => onChip(name, cardNumber, async () => void (await terminal.correctCardholder(corrected)));
  }

  private presentedId(idNumber: string): string {
    if (typeof idNumber !== 'string' || idNumber.trim() === '')
      throw new OfficeArgumentError("idNumber must be the ID number on the holder's document");
    return idNumber.trim().toUpperCase();
  }

  /**
   * The role (refused and recorded before the card is touched), then the card at the counter and
   * its EF05 (a chip that cannot be opened or read is refused against the holder's live card).
   */
  private async identify(
    where: WindowCard,
    name: string,
    roles: readonly Role[],
    idNumber: string,
  ): Promise<{ card: SscCard; identity: ChipIdentity }> {
    if (!roles.includes(this.ctx.role)) {
      const refusal = new RoleNotAllowedError(name, this.ctx.role, roles);
      await this.registry.perform(refusalOperation(name, roles), this.ctx, { cardNumber: null, idNumber, refusal });
    }
    const card = await this.guard(
      name,
      roles,
      () => this.liveCardOf(idNumber),
      () => this.open(where),
    );
    const identity = await this.guard(
      name,
      roles,
      () => this.liveCardOf(idNumber),
      () => onChip(name, undefined, () => readIdentity(card)),
    );
    return { card, identity };
  }

  /** The card at the counter as an SscCard (opened with the window's module on a bare channel). */
  private async open(where: WindowCard): Promise<SscCard> {
    if (where instanceof SscCard) return where;
    if (where instanceof CardChannel)
      return SscCard.open(where, { psam: this.psam, pinPolicy: this.settings.pinPolicy });
    throw new OfficeArgumentError('the card must be an open SscCard or a CardChannel');
  }

  /**
   * Runs `step`; a refusal (or a card failure, turned into one) is recorded under the act's name
   * and thrown. `subject` (or a function finding it, only called on a refusal) names the card and
   * person the history entry is about.
   */
  private async guard<T>(
    name: string,
    roles: readonly Role[],
    subject: Subject | (() => Promise<Subject>),
    step: () => Promise<T>,
  ): Promise<T> {
    try {
      return await step();
    } catch (error) {
      const about = typeof subject === 'function' ? await subject() : subject;
      const refusal = cardRefusal(name, error, about.cardNumber ?? undefined);
      if (!(refusal instanceof OperationRefusedError)) throw refusal;
      return this.registry.perform(refusalOperation(name, roles), this.ctx, { ...about, refusal });
    }
  }

  /** The holder's one live card in the registry, for a refusal about a chip that could not be read. */
  private async liveCardOf(idNumber: string): Promise<Subject> {
    try {
      const live = (await this.registry.cardsOf(idNumber)).filter((c) => !isFinalState(c.ssc));
      return { cardNumber: live.length === 1 ? live[0]!.cardNumber : null, idNumber };
    } catch {
      return { cardNumber: null, idNumber };
    }
  }
}
