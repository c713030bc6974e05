import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import type { OperationContext } from './context.js';
import { CardNotFoundError, OfficeArgumentError, RegistryClosedError } from './errors.js';
import { cardsOfPerson, findCard } from './operations/cards.js';
import type { HistoryQuery } from './operations/lookups.js';
import {
  findPerson,
  historyWhere,
  latestHistoryOf,
  personalizationVersion,
  personalizationVersions,
} from './operations/lookups.js';
import { issueCardOperation } from './operations/issue.js';
import { correctPersonalizationOperation } from './operations/personalization.js';
import {
  blockCardOperation,
  pinChangedOperation,
  pinLockedOperation,
  pinResetOperation,
  pinUnlockOperation,
} from './operations/pin.js';
import { performOperation } from './operations/runner.js';
import { changePassword, passwordStatus, resetPassword, signIn } from './password/flows.js';
import type { ChangeInput, PasswordEnv, ResetInput, SignInInput } from './password/flows.js';
import type { QueryPasswordStatus, SignedIn } from './password/operations.js';
import { rememberQueryPasswordRules } from './password/rules.js';
import type { QueryPasswordOptions } from './password/rules.js';
import type { OperationSpec } from './operations/runner.js';
import {
  expireScriptsOperation,
  pendingScripts,
  queueScriptOperation,
  scriptAppliedOperation,
} from './operations/scripts.js';
import {
  cardsByNumberDigits,
  pinChangeResultOperation,
  pinChangeScripts,
  queuePinChangeOperation,
} from './operations/pin-change.js';
import type {
  PinChangeQueued,
  PinChangeResultInput,
  PinChangeScript,
  QueuePinChangeInput,
} from './operations/pin-change.js';
import { hotlineCallOperation } from './operations/hotline-call.js';
import type { HotlineCallRecord, HotlineCallRecorded } from './operations/hotline-call.js';
import type { Database } from './storage/database.js';
import { defaultRegistryLocation, parseRegistryLocation } from './storage/location.js';
import { SCHEMA_VERSION, migrate } from './storage/migrations.js';
import type { MigrationReport } from './storage/migrations.js';
import { openPglite } from './storage/pglite.js';
import { openPostgres } from './storage/postgres.js';
import type {
  BlockCardInput,
  CardSideInput,
  CardStatus,
  CorrectionInput,
  HistoryEntry,
  HolderCheckedInput,
  IssueCardInput,
  IssuedCard,
  IssuerScript,
  Person,
  PersonalizationVersion,
  QueueScriptInput,
  ScriptAppliedInput,
} from './types.js';
import { activateBankOperation, handOverOperation, reopenActivationOperation } from './loss/activation.js';
import {
  RegistryBlacklist,
  applicationBlockedOperation,
  blacklistRows,
  blacklistRowsOf,
  exportBlacklistOperation,
  signedBlacklistFile,
} from './loss/blacklist.js';
import { expireTemporaryLosses, lapseLossOperation } from './loss/lapse.js';
import { replaceCardOperation } from './loss/replace.js';
import { reportLossOperation, withdrawLossOperation } from './loss/reports.js';
import { DEFAULT_LOSS_SETTINGS, lossSettings } from './loss/settings.js';
import type { LossSettings, LossSettingsInput } from './loss/settings.js';
import { lossStatusOf } from './loss/store.js';
import type * as Loss from './loss/types.js';
import type { BlacklistQuery, SignedBlacklist } from '../terminal/index.js';

/*
 * The back office registry: persons, cards (both sides' states), personalization versions,
 * pending issuer scripts and the append-only history, on PostgreSQL (embedded PGlite or a server;
 * the same SQL on both). Writes are operations (see operations/runner.ts): one transaction each,
 * rules checked, a history entry for every outcome. Reads are plain lookups and record nothing.
 */

export interface RegistryOptions {
  /** Time for every dated rule (default: the system clock, or SSCARD_NOW). */
  clock?: Clock;
  /** Server connections this process may hold at once (postgres:// only; default 10). */
  poolSize?: number;
  /** Regional rules of loss reporting, replacement and bank activation (see loss/settings.ts). */
  loss?: LossSettingsInput;
  /** The information-query password's try limit, hash parameters and resets a day (see password/rules.ts). */
  queryPassword?: QueryPasswordOptions;
}

export type { HistoryQuery } from './operations/lookups.js';

const databases = new WeakMap<Registry, Database>();

export class Registry {
  /** 'pglite' (embedded, file:DIR) or 'postgres' (a server). */
  readonly backend: 'pglite' | 'postgres';
  /** Where the data is (no password). */
  readonly location: string;
  /** What opening did to the schema. */
  readonly migration: MigrationReport;
  readonly clock: Clock;
  private db: Database | undefined;
  private lossRules: LossSettings = DEFAULT_LOSS_SETTINGS;

  private constructor(db: Database, migration: MigrationReport, clock: Clock) {
    this.db = db;
    this.backend = db.backend;
    this.location = db.location;
    this.migration = migration;
    this.clock = clock;
    databases.set(this, db);
  }

  /**
   * Opens (and creates or migrates) the registry at `url`: `file:DIR` for the embedded store (a
   * directory, created if missing; one process at a time), `postgres://…` for a server. Without
   * a URL: SSCARD_DB, else `file:./sscard-office`.
   */
  static async open(url: string = defaultRegistryLocation(), options: RegistryOptions = {}): Promise<Registry> {
    const where = parseRegistryLocation(url);
    const db =
      where.kind === 'file'
        ? await openPglite(where.directory)
        : await openPostgres(where.url, options.poolSize === undefined ? {} : { poolSize: options.poolSize });
    try {
      const migration = await migrate(db);
      rememberQueryPasswordRules(db, options.queryPassword);
      const registry = new Registry(db, migration, options.clock ?? systemClock);
      registry.lossRules = lossSettings(options.loss);
      return registry;
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  /** The schema version this code reads and writes. */
  static readonly schemaVersion = SCHEMA_VERSION;

  private database(): Database {
    if (this.db === undefined) throw new RegistryClosedError();
    return this.db;
  }

  /** Releases the store (the embedded store's directory lock, the server connections). */
  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db !== undefined) await db.close();
  }

  /**
   * Runs an operation: one transaction, its rules, its writes and its history entry (see
   * OperationSpec). The registry's own operations below go through here; so do the service
   * window's, which combine them with card-side steps.
   */
  perform<I, T>(spec: OperationSpec<I, T>, ctx: OperationContext, input: I): Promise<T> {
    return performOperation(this.database(), this.clock, spec, ctx, input);
  }

  // ---- operations (each recorded in the history, refusals too) ---------------------------

  /** Issues a new card from a personalization document; see operations/issue.ts. */
  issueCard(ctx: OperationContext, input: IssueCardInput): Promise<IssuedCard> {
    return this.perform(issueCardOperation, ctx, input);
  }

  /** Records a forgotten PIN reset (ID checked; social-security side at a window, bank side at a bank); `pinInitial` says whether the card got the initial PIN. */
  recordPinReset(ctx: OperationContext, input: HolderCheckedInput): Promise<CardStatus> {
    return this.perform(pinResetOperation, ctx, input);
  }

  /** Records a locked PIN unlocked (ID checked). */
  recordPinUnlock(ctx: OperationContext, input: HolderCheckedInput): Promise<CardStatus> {
    return this.perform(pinUnlockOperation, ctx, input);
  }

  /** Records that a terminal saw a PIN locked. */
  recordPinLocked(ctx: OperationContext, input: CardSideInput): Promise<CardStatus> {
    return this.perform(pinLockedOperation, ctx, input);
  }

  /** Records that the holder changed the application PIN (it is no longer the initial one). */
  recordPinChanged(ctx: OperationContext, input: CardSideInput): Promise<CardStatus> {
    return this.perform(pinChangedOperation, ctx, input);
  }

  /** Blocks one side of a card for good. */
  blockCard(ctx: OperationContext, input: BlockCardInput): Promise<CardStatus> {
    return this.perform(blockCardOperation, ctx, input);
  }

  /** Stores a corrected personalization document as the card's next version. */
  correctPersonalization(ctx: OperationContext, input: CorrectionInput): Promise<PersonalizationVersion> {
    return this.perform(correctPersonalizationOperation, ctx, input);
  }

  /** Queues an issuer script for the card's next online contact. */
  queueScript(ctx: OperationContext, input: QueueScriptInput): Promise<IssuerScript> {
    return this.perform(queueScriptOperation, ctx, input);
  }

  /** Records that a terminal applied a queued script to the card. */
  markScriptApplied(ctx: OperationContext, input: ScriptAppliedInput): Promise<IssuerScript> {
    return this.perform(scriptAppliedOperation, ctx, input);
  }

  /** Settles every pending script past its expiry; returns how many. */
  expireScripts(ctx: OperationContext): Promise<number> {
    return this.perform(expireScriptsOperation, ctx, {});
  }

  // ---- loss reporting, replacement, bank activation, blacklist (see loss/) -------------------

  /** The loss rules this registry applies (RegistryOptions.loss with defaults). */
  get lossSettings(): LossSettings {
    return this.lossRules;
  }

  /**
   * Reports one side of a card lost: `channel` 'self' (hotline voice menu, portal, bank
   * e-channels; only once the PIN is no longer the initial one), 'manual' (an operator in office
   * hours; name and ID number must match) or 'written' (window, or bank branch for the bank side,
   * with the ID document; by proxy with both IDs). Returns the card's status.
   */
  reportLoss(ctx: OperationContext, input: Loss.LossReportInput): Promise<CardStatus> {
    return this.perform(reportLossOperation(this.lossRules), ctx, input);
  }

  /** Withdraws a loss report when the card is found, with the checks of the channel used. */
  withdrawLoss(ctx: OperationContext, input: Loss.LossWithdrawalInput): Promise<CardStatus> {
    return this.perform(withdrawLossOperation(this.lossRules), ctx, input);
  }

  /**
   * Applies the temporary-loss rule to every temporary report past its lapse (onLapse 'restore':
   * the side becomes usable again; 'keep': nothing). One operation per card and side; returns the
   * cards restored. Run daily (`sscard office expire-losses`).
   */
  expireTemporaryLosses(ctx: OperationContext): Promise<CardStatus[]> {
    return expireTemporaryLosses(this.database(), this.clock.now(), this.lossRules, (item) =>
      this.perform(lapseLossOperation(this.lossRules), ctx, item),
    );
  }

  /** Replaces a card reported lost in writing: a new card from the registry's newest personalization. */
  replaceCard(ctx: OperationContext, input: Loss.ReplaceCardInput): Promise<Loss.ReplacedCard> {
    return this.perform(replaceCardOperation, ctx, input);
  }

  /** Activates the bank side of a financial card at a bank, within the activation window. */
  activateBank(ctx: OperationContext, input: Loss.BankActivationInput): Promise<CardStatus> {
    return this.perform(activateBankOperation(this.lossRules), ctx, input);
  }

  /** A written request at the bank branch re-opens a closed activation window from today. */
  reopenBankActivation(ctx: OperationContext, input: Loss.BankActivationInput): Promise<Loss.BankActivationWindow> {
    return this.perform(reopenActivationOperation(this.lossRules), ctx, input);
  }

  /** Records the day the holder received the card (the bank activation window counts from it). */
  recordHandOver(ctx: OperationContext, input: Loss.HandOverInput): Promise<CardStatus> {
    return this.perform(handOverOperation, ctx, input);
  }

  /** Records that a terminal blocked a listed card's application on the chip. */
  recordApplicationBlocked(ctx: OperationContext, input: Loss.ApplicationBlockedInput): Promise<CardStatus> {
    return this.perform(applicationBlockedOperation, ctx, input);
  }

  /**
   * Exports the blacklist as the signed file offline terminals load: a new version, the issue
   * time, every listed side. `signingKey`: the issuer's Ed25519 private key (32-byte seed);
   * default the project's published TEST key.
   */
  async exportBlacklist(ctx: OperationContext, opts: { signingKey?: Uint8Array } = {}): Promise<SignedBlacklist> {
    const exported = await this.perform(exportBlacklistOperation, ctx, {});
    return signedBlacklistFile(exported, opts.signingKey);
  }

  /** The registry as an online terminal's blacklist source, recording its blocks under `ctx`. */
  blacklistSource(ctx: OperationContext): RegistryBlacklist {
    return new RegistryBlacklist(this, ctx);
  }

  /** The listed sides of the card with this number or identifier (empty when clear). */
  blacklistOf(card: BlacklistQuery): Promise<Loss.BlacklistRow[]> {
    return blacklistRowsOf(this.database(), card);
  }

  /** Every listed side of every card. */
  blacklist(): Promise<Loss.BlacklistRow[]> {
    return blacklistRows(this.database());
  }

  /** The card's loss reports, chip blocks and bank activation window. */
  async lossStatus(cardNumber: string): Promise<Loss.LossStatus> {
    return lossStatusOf(this.database(), await this.cardStatus(cardNumber), this.clock.now(), this.lossRules);
  }

  /** Queues a PIN change given to the hotline, as an enciphered issuer script; see operations/pin-change.ts. */
  queuePinChange(ctx: OperationContext, input: QueuePinChangeInput): Promise<PinChangeQueued> {
    return this.perform(queuePinChangeOperation, ctx, input);
  }

  /** Records the card's answer to a PIN change script (applied, or failed with the reason). */
  recordPinChangeResult(ctx: OperationContext, input: PinChangeResultInput): Promise<PinChangeScript> {
    return this.perform(pinChangeResultOperation, ctx, input);
  }

  /** Records one call to the hotline's voice menu (and marks what the caller was told). */
  recordHotlineCall(ctx: OperationContext, record: HotlineCallRecord): Promise<HotlineCallRecorded> {
    return this.perform(hotlineCallOperation, ctx, record);
  }

  // ---- the information-query password (password/; each recorded, never the password) -------

  /**
   * Signs in with the card number or ID number and the query password: one try spent before the
   * comparison, locked after the try limit (QUERY_PASSWORD_INCORRECT with the tries left,
   * QUERY_PASSWORD_LOCKED); a malformed password throws QUERY_PASSWORD_FORMAT and spends nothing.
   */
  signInWithQueryPassword(ctx: OperationContext, input: SignInInput): Promise<SignedIn> {
    return signIn(this.passwordEnv(), ctx, input);
  }

  /** Changes the card's query password (the current one is a try, as at sign-in). */
  changeQueryPassword(ctx: OperationContext, input: ChangeInput): Promise<QueryPasswordStatus> {
    return changePassword(this.passwordEnv(), ctx, input);
  }

  /** Resets a forgotten or locked query password to its initial value (ID number, name, personal number). */
  resetQueryPassword(ctx: OperationContext, input: ResetInput): Promise<QueryPasswordStatus> {
    return resetPassword(this.passwordEnv(), ctx, input);
  }

  /** The state of the card's query password (initial or not, tries left, locked); records nothing. */
  queryPasswordStatus(cardNumber: string): Promise<QueryPasswordStatus> {
    return passwordStatus(this.passwordEnv(), cardNumber);
  }

  private passwordEnv(): PasswordEnv {
    return { db: this.database(), clock: this.clock, perform: (spec, ctx, input) => this.perform(spec, ctx, input) };
  }

  // ---- lookups (record nothing) ------------------------------------------------------------

  /** The card's status; CardNotFoundError when the registry has no such card. */
  async cardStatus(cardNumber: string): Promise<CardStatus> {
    const card = await findCard(this.database(), cardNumber);
    if (card === undefined) throw new CardNotFoundError(cardNumber);
    return card;
  }

  /** Every card a person has held, oldest first (empty when none). */
  cardsOf(idNumber: string): Promise<CardStatus[]> {
    return cardsOfPerson(this.database(), idNumber);
  }

  /** The person with this ID number; PersonNotFoundError when the registry has none. */
  person(idNumber: string): Promise<Person> {
    return findPerson(this.database(), idNumber);
  }

  /** A personalization version of the card (default: the newest), to re-make the card from. */
  async personalization(cardNumber: string, version?: number): Promise<PersonalizationVersion> {
    const found = await personalizationVersion(this.database(), cardNumber, version);
    if (found !== undefined) return found;
    await this.cardStatus(cardNumber);
    throw new OfficeArgumentError(`card ${cardNumber} has no personalization version ${String(version)}`);
  }

  /** Every personalization version of the card, oldest first. */
  async personalizations(cardNumber: string): Promise<PersonalizationVersion[]> {
    await this.cardStatus(cardNumber);
    return personalizationVersions(this.database(), cardNumber);
  }

  /** The card's history, oldest first (refused operations on the card number included). */
  async history(cardNumber: string, query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    return historyWhere(this.database(), 'card_number', cardNumber, query);
  }

  /** The card's newest `limit` history entries (default 50), oldest first (the portal's view). */
  latestHistory(cardNumber: string, limit = 50): Promise<HistoryEntry[]> {
    return latestHistoryOf(this.database(), cardNumber, limit);
  }

  /** Everything recorded about a person (by ID number), oldest first. */
  async historyOfPerson(idNumber: string, query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    return historyWhere(this.database(), 'id_number', idNumber, query);
  }

  /** The card's PIN change requests (hotline), newest first, whatever their state. */
  async pinChanges(cardNumber: string, limit = 20): Promise<PinChangeScript[]> {
    await this.cardStatus(cardNumber);
    return pinChangeScripts(this.database(), cardNumber, limit);
  }

  /** Cards whose number without its letters is `digits` (as callers type it), live cards first. */
  cardsByNumberDigits(digits: string): Promise<CardStatus[]> {
    return cardsByNumberDigits(this.database(), digits);
  }

  /** Pending, unexpired issuer scripts of the card, oldest first. */
  async pendingScripts(cardNumber: string): Promise<IssuerScript[]> {
    await this.cardStatus(cardNumber);
    return pendingScripts(this.database(), cardNumber, this.clock.now());
  }
}

/** The store under a registry (tests and the office room's own tools; not part of the public API). */
export function databaseOf(registry: Registry): Database {
  const db = databases.get(registry);
  if (db === undefined) throw new RegistryClosedError();
  return db;
}
