import { SscardError } from '../apdu/index.js';
// From its module, not the SDK's barrel: every command that reads the clock loads these errors.
import { maskIdNumber } from '../terminal/pos.js';

/*
 * Errors of the back office registry. Two families:
 *   - OperationRefusedError: an operation's rule said no (card not found, ID mismatch, wrong
 *     state, role not allowed, ...). The registry rolls back whatever the operation did, writes a
 *     history entry with the code as the reason, and throws the error to the caller.
 *   - everything else derived from OfficeError: the registry itself cannot work (store locked by
 *     another process, driver missing, schema newer than the code, bad URL, too many retries).
 * Messages never carry a PIN or a password.
 */

/** Base class of every registry error; `code` is stable. */
export class OfficeError extends SscardError {}

/** An operation refused by one of its rules; recorded in the history with `code` as the reason. */
export class OperationRefusedError extends OfficeError {
  /** Extra facts for the history entry (never a secret). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.details = details;
  }
}

export class CardNotFoundError extends OperationRefusedError {
  readonly cardNumber: string;

  constructor(cardNumber: string) {
    super('CARD_NOT_FOUND', `no card ${JSON.stringify(cardNumber)} in the registry`);
    this.cardNumber = cardNumber;
  }
}

export class PersonNotFoundError extends OperationRefusedError {
  constructor(idNumber: string) {
    super('PERSON_NOT_FOUND', `no person with ID number ${maskId(idNumber)} in the registry`);
  }
}

/** The ID number shown at the window is not the card holder's. */
export class IdMismatchError extends OperationRefusedError {
  constructor(cardNumber: string) {
    super('ID_MISMATCH', `the ID number given is not the holder's of card ${cardNumber}`);
  }
}

/** The card (one side of it) is in a state where the operation is not allowed. */
export class CardStateError extends OperationRefusedError {
  readonly side: 'ssc' | 'bank';
  readonly state: string | null;

  constructor(cardNumber: string, side: 'ssc' | 'bank', state: string | null, operation: string) {
    const where = side === 'ssc' ? 'social security side' : 'bank side';
    super(
      'CARD_STATE',
      state === null
        ? `card ${cardNumber} has no ${where} (not a financial card): ${operation} is not possible`
        : `card ${cardNumber}: ${operation} is not allowed while the ${where} is ${state}`,
      { side, state },
    );
    this.side = side;
    this.state = state;
  }
}

/** The terminal's role may not perform the operation (e.g. a POS resetting a PIN). */
export class RoleNotAllowedError extends OperationRefusedError {
  constructor(operation: string, role: string, allowed: readonly string[]) {
    super('ROLE_NOT_ALLOWED', `${operation} is not allowed for role ${role} (allowed: ${allowed.join(', ')})`, {
      allowed: [...allowed],
    });
  }
}

/** A person already holds a live card: a second one is a replacement, not an issue. */
export class PersonHasCardError extends OperationRefusedError {
  constructor(idNumber: string, cardNumber: string) {
    super('PERSON_HAS_CARD', `person ${maskId(idNumber)} already holds card ${cardNumber}`, { cardNumber });
  }
}

/** An explicit card number (or identifier) that the registry already has. */
export class CardNumberTakenError extends OperationRefusedError {
  constructor(what: 'card number' | 'card identifier', value: string) {
    super('CARD_NUMBER_TAKEN', `${what} ${value} is already in the registry`, {
      [what === 'card number' ? 'cardNumber' : 'cardIdentifier']: value,
    });
  }
}

/** A personalization document the registry cannot keep; `path` names the field. */
export class DocumentInvalidError extends OperationRefusedError {
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('DOCUMENT_INVALID', `${path === '' ? 'personalization document' : path}: ${problem}`, { path }, options);
    this.path = path;
  }
}

/** The card-side step an operation ran inside its transaction failed; nothing was recorded but this. */
export class CardSideFailedError extends OperationRefusedError {
  constructor(operation: string, cause: unknown) {
    const code = cause instanceof SscardError ? cause.code : undefined;
    super(
      'CARD_SIDE_FAILED',
      `${operation}: the card-side step failed${code === undefined ? '' : ` (${code})`}`,
      code === undefined ? {} : { cause: code },
      {
        cause,
      },
    );
  }
}

export class ScriptNotFoundError extends OperationRefusedError {
  constructor(id: number) {
    super('SCRIPT_NOT_FOUND', `no issuer script ${id}`);
  }
}

/** An issuer script that is no longer pending (applied, expired or cancelled). */
export class ScriptStateError extends OperationRefusedError {
  constructor(id: number, state: string) {
    super('SCRIPT_STATE', `issuer script ${id} is ${state}, not pending`, { state });
  }
}

// ---- loss reporting, replacement, bank activation ---------------------------------------------

/** Self-service loss reporting while the application PIN is still the initial one (anyone could have used it). */
export class InitialPinSelfServiceError extends OperationRefusedError {
  constructor(cardNumber: string) {
    super(
      'INITIAL_PIN_SELF_SERVICE',
      `card ${cardNumber}: self-service loss reporting is only for cards whose PIN the holder has changed; ` +
        'report it to an operator in office hours, or in writing at a window',
    );
  }
}

/** A manual report (or withdrawal) outside the operators' office hours. */
export class OutsideOfficeHoursError extends OperationRefusedError {
  constructor(at: string, hours: string) {
    super('OUTSIDE_OFFICE_HOURS', `manual loss reports are taken ${hours}; it is ${at}`, { at, hours });
  }
}

/** The name given is not the card holder's (manual reports check card number, name and ID number). */
export class NameMismatchError extends OperationRefusedError {
  constructor(cardNumber: string) {
    super('NAME_MISMATCH', `the name given is not the holder's of card ${cardNumber}`);
  }
}

/** Someone acting for the holder without the proxy's own ID number. */
export class ProxyIdRequiredError extends OperationRefusedError {
  constructor(operation: string) {
    super('PROXY_ID_REQUIRED', `${operation} by a proxy needs both IDs: the holder's and the proxy's ID number`);
  }
}

/** The terminal's role or the channel may not take this kind of report (or withdrawal). */
export class LossChannelNotAllowedError extends OperationRefusedError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('LOSS_CHANNEL_NOT_ALLOWED', message, details);
  }
}

/** Replacement before a written loss report on the side named. */
export class WrittenReportRequiredError extends OperationRefusedError {
  constructor(cardNumber: string, side: 'ssc' | 'bank', state: string | null) {
    const where = side === 'ssc' ? 'social security side' : 'bank side';
    super(
      'WRITTEN_REPORT_REQUIRED',
      `card ${cardNumber}: a replacement needs a written loss report of the ${where} first (it is ${String(state)})`,
      {
        side,
        state,
      },
    );
  }
}

/** The bank PIN check of a written bank-side report failed (wrong PIN, locked PIN, no answer). */
export class BankPinCheckFailedError extends OperationRefusedError {
  constructor(on: string, cause: unknown) {
    const code = cause instanceof SscardError ? cause.code : undefined;
    super(
      'BANK_PIN_CHECK_FAILED',
      `the bank PIN check (${on}) failed${code === undefined ? '' : ` (${code})`}`,
      code === undefined ? { on } : { on, cause: code },
      {
        cause,
      },
    );
  }
}

/** Bank activation after the window (60 days by default) closed. */
export class ActivationWindowClosedError extends OperationRefusedError {
  constructor(cardNumber: string, from: string, day: number, limit: number) {
    super(
      'ACTIVATION_WINDOW_CLOSED',
      `card ${cardNumber}: the bank application must be activated within ${limit} days of ${from}; this is day ${day}. ` +
        'A written request at the bank branch re-opens the window',
      { from, day, limit },
    );
  }
}

/**
 * The office's secure module failed (e.g. enciphering a PIN change): not a rule, so nothing is
 * recorded; the message names the module's error code, never its input.
 */
export class SecureModuleFailedError extends OfficeError {
  constructor(operation: string, cause: unknown) {
    const code = cause instanceof SscardError ? cause.code : undefined;
    super('SECURE_MODULE_FAILED', `${operation}: the secure module failed${code === undefined ? '' : ` (${code})`}`, {
      cause,
    });
  }
}

// ---- the registry itself -------------------------------------------------------------------

/** `Registry.open` was given a location it does not understand. */
export class RegistryUrlError extends OfficeError {
  constructor(url: string, problem: string) {
    super('REGISTRY_URL', `registry location ${JSON.stringify(redactUrl(url))}: ${problem}`);
  }
}

/** The embedded store's directory is open in another live process. */
export class RegistryLockedError extends OfficeError {
  readonly directory: string;
  readonly holderPid: number | undefined;

  constructor(directory: string, holderPid: number | undefined, detail: string) {
    super('REGISTRY_LOCKED', `the registry directory ${directory} is in use by ${detail}; close it there first`);
    this.directory = directory;
    this.holderPid = holderPid;
  }
}

/** The optional database package for the chosen backend is not installed. */
export class RegistryDriverMissingError extends OfficeError {
  readonly packageName: string;

  constructor(packageName: string, message: string, options?: { cause?: unknown }) {
    super('REGISTRY_DRIVER_MISSING', message, options);
    this.packageName = packageName;
  }
}

/** The database was migrated by a newer sscard than this one. */
export class SchemaTooNewError extends OfficeError {
  readonly databaseVersion: number;
  readonly codeVersion: number;

  constructor(databaseVersion: number, codeVersion: number) {
    super(
      'SCHEMA_TOO_NEW',
      `the registry's schema is version ${databaseVersion}, newer than this sscard understands (${codeVersion}); upgrade sscard`,
    );
    this.databaseVersion = databaseVersion;
    this.codeVersion = codeVersion;
  }
}

/** Concurrent transactions kept conflicting beyond the bounded retries. */
export class RegistryBusyError extends OfficeError {
  constructor(operation: string, attempts: number, options?: { cause?: unknown }) {
    super('REGISTRY_BUSY', `${operation} conflicted with concurrent operations ${attempts} times; try again`, options);
  }
}

/** The registry (or the store under it) failed for a reason that is not a rule. */
export class RegistryStorageError extends OfficeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REGISTRY_STORAGE', message, options);
  }
}

export class RegistryClosedError extends OfficeError {
  constructor() {
    super('REGISTRY_CLOSED', 'the registry is closed');
  }
}

/** An argument that no operation could accept (programming error, not a refusal). */
export class OfficeArgumentError extends OfficeError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** ID numbers in messages: the terminal SDK's mask (region and last four characters; messages reach logs). */
export function maskId(idNumber: string): string {
  return maskIdNumber(idNumber);
}

/** A URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, '$1****@');
}

// ---- the information-query password (password/) ---------------------------------------------

/** The query password presented is not the card's; `triesLeft` 0 means this try locked it. */
export class QueryPasswordIncorrectError extends OperationRefusedError {
  readonly triesLeft: number;

  constructor(cardNumber: string, triesLeft: number) {
    super(
      'QUERY_PASSWORD_INCORRECT',
      `card ${cardNumber}: the query password is incorrect (${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left)`,
      { triesLeft },
    );
    this.triesLeft = triesLeft;
  }
}

/** The query password is locked after too many wrong tries: only a reset opens it again. */
export class QueryPasswordLockedError extends OperationRefusedError {
  constructor(cardNumber: string) {
    super(
      'QUERY_PASSWORD_LOCKED',
      `card ${cardNumber}: the query password is locked after too many wrong tries; reset it with the holder's identity`,
    );
  }
}

/** A password of the wrong shape: nothing was spent or recorded (like a PIN of the wrong length). */
export class QueryPasswordFormatError extends OfficeError {
  readonly which: 'current' | 'new';
  readonly problem: 'malformed' | 'length' | 'characters' | 'too-simple';

  constructor(which: 'current' | 'new', problem: QueryPasswordFormatError['problem'], message: string) {
    super('QUERY_PASSWORD_FORMAT', message);
    this.which = which;
    this.problem = problem;
  }
}

/** The identity facts given for a reset (name, personal number) are not the holder's. */
export class IdentityMismatchError extends OperationRefusedError {
  constructor(idNumber: string) {
    super('IDENTITY_MISMATCH', `the name or personal number given is not that of ID number ${maskId(idNumber)}`);
  }
}

/** The person has no card that is still live (every card replaced or blocked). */
export class NoLiveCardError extends OperationRefusedError {
  constructor(idNumber: string) {
    super('NO_LIVE_CARD', `person ${maskId(idNumber)} holds no live card`);
  }
}

/** The card's query password was reset too often in the last 24 hours. */
export class QueryPasswordResetLimitError extends OperationRefusedError {
  constructor(cardNumber: string, limit: number) {
    super(
      'QUERY_PASSWORD_RESET_LIMIT',
      `card ${cardNumber}: the query password was already reset ${limit} times in 24 hours; try again tomorrow or ask at a service window`,
      { limit },
    );
  }
}
