import type { BankState, Side, SscState } from './states.js';
import type { Channel, Role } from './context.js';
import type { PersonalizationJson } from './document.js';

/** A person as the registry knows them (from the last personalization stored for them). */
export interface Person {
  idNumber: string;
  name: string;
  latinName: string | null;
  sex: '1' | '2';
  birthDate: string;
  ethnicity: string;
  birthplace: string;
}

/** A card's record in the registry: what status lookups answer. */
export interface CardStatus {
  cardNumber: string;
  cardIdentifier: string;
  idNumber: string;
  holderName: string;
  specVersion: '2.00' | '3.00';
  financial: boolean;
  issueDate: string;
  expiryDate: string;
  ssc: SscState;
  /** null on a card without the financial application. */
  bank: BankState | null;
  /** Whether the application PIN is still the initial one, as far as the office knows. */
  pinInitial: boolean;
  /** The card this one replaced, if any. */
  replaces: string | null;
  /** The newest personalization version. */
  personalizationVersion: number;
  pendingScripts: number;
  updatedAt: Date;
}

export interface PersonalizationVersion {
  cardNumber: string;
  version: number;
  /** 'issue' for the first version, 'correction: …' for later ones. */
  reason: string;
  document: PersonalizationJson;
  createdAt: Date;
}

export type HistoryResult = 'ok' | 'refused';

export interface HistoryEntry {
  id: number;
  at: Date;
  terminalId: string;
  role: Role;
  channel: Channel;
  operation: string;
  cardNumber: string | null;
  idNumber: string | null;
  result: HistoryResult;
  /** The refusal's code (`CARD_NOT_FOUND`, `ID_MISMATCH`, …); null when ok. */
  reason: string | null;
  details: Record<string, unknown>;
}

export type IssuerScriptState = 'pending' | 'applied' | 'expired' | 'cancelled' | 'failed';

/** A command queued for a card, applied by a terminal when it next sees the card online. */
export interface IssuerScript {
  id: number;
  cardNumber: string;
  kind: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date | null;
  state: IssuerScriptState;
  settledAt: Date | null;
}

// ---- operation inputs -------------------------------------------------------------------------

/**
 * A step on the card itself that an operation runs inside its transaction, after its rules have
 * passed and while it holds the card's row lock (e.g. the window's RELOAD PIN). If it throws, the
 * operation is refused with CARD_SIDE_FAILED and nothing else is recorded.
 */
export type CardSideStep = (card: CardStatus) => Promise<void>;

export interface IssueCardInput {
  /** The personalization document (as `sscard card new --from` takes). Its card number,
   * identifier, issue and expiry dates are replaced by the registry's. */
  document: unknown;
  /** Keep the document's card number and identifier instead of allocating new ones (taking an
   * existing card into the registry); refused with CARD_NUMBER_TAKEN when either is taken. */
  keepNumbers?: boolean;
  /** Issuing region code (first 6 digits of the identifier); default: the document's identifier's, else the birthplace. */
  region?: string;
  /** First character of new card numbers (a capital letter); default: the document's card number's, else 'S'. */
  prefix?: string;
  /** Years until expiry (default 10). */
  validYears?: number;
  /** A full check of the final document (the card simulator's); a throw refuses with DOCUMENT_INVALID. */
  validate?: (document: Record<string, unknown>) => void;
}

export interface IssuedCard {
  card: CardStatus;
  /** The document as stored (version 1): the one to personalize the chip with. */
  document: PersonalizationJson;
}

export interface HolderCheckedInput {
  cardNumber: string;
  /** The ID number on the document the holder shows; must be the card holder's. */
  idNumber: string;
  side?: Side;
  cardSide?: CardSideStep;
  /**
   * pin_reset of the application PIN: whether the card now holds the initial PIN (a region whose
   * reset rule is 'initial') rather than one the holder chose. Default false: the window's default
   * rule is 'holder-chooses' (see window/settings.ts). Not used on the bank side or by pin_unlock.
   */
  pinInitial?: boolean;
}

export interface CardSideInput {
  cardNumber: string;
  side?: Side;
  cardSide?: CardSideStep;
}

export interface BlockCardInput {
  cardNumber: string;
  side: Side;
  /** Why (free text for the history, e.g. 'fraud', 'deceased'). */
  reason: string;
}

export interface CorrectionInput {
  cardNumber: string;
  /** The corrected document; its card number and identifier must be the card's. */
  document: unknown;
  /** What was wrong (for the history and the version's reason). */
  reason: string;
  validate?: (document: Record<string, unknown>) => void;
}

export interface QueueScriptInput {
  cardNumber: string;
  /** Lower-case name of the command kind, e.g. 'pin_change', 'application_unblock'. */
  kind: string;
  /** The command data (APDUs computed with issuer keys, never a clear PIN). */
  payload: Record<string, unknown>;
  /** When the script stops being valid (default: never). */
  expiresAt?: Date;
}

export interface ScriptAppliedInput {
  scriptId: number;
}
