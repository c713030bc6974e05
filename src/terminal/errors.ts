import { INS, SW, SscardError, codedErrorClass, describe, detailErrorClass, swHex, swInfo } from '../apdu/index.js';

/*
 * Typed errors of the terminal SDK. Status words are named and described by the one table in
 * src/apdu/status.ts (swInfo/describe); this file only decides which class a caller catches.
 * Messages carry the command name and the status word, never command data (so never a PIN).
 */

/** What the terminal was doing when the card answered; used for messages and for mapping. */
export interface StatusContext {
  /** Command name for messages, e.g. 'VERIFY', 'READ RECORD'. */
  command?: string;
  /** INS byte of the command; some status words mean different things per command. */
  ins?: number;
  /**
   * What the caller can do about it, when the code that sent the command knows (e.g. 'verify the
   * PIN first'); it becomes the error's `hint` and ends its message.
   */
  hint?: string;
}

/** `text`, followed by the hint when there is one: the one way messages carry the action. */
function withHint(text: string, hint: string | undefined): string {
  return hint === undefined ? text : `${text}; ${hint}`;
}

/**
 * A card answered a status word other than success. `swName` is the stable name from the SW table;
 * `hint` says what to do when the SDK knows.
 */
export class CardStatusError extends SscardError {
  readonly sw: number;
  readonly swName: string;
  readonly command: string | undefined;

  /**
   * @param code the stable code of the subclass
   * @param summary replaces the status word's table text in the message (the SW stays in it)
   */
  constructor(sw: number, context?: StatusContext, code = 'CARD_STATUS', summary?: string, defaultHint?: string) {
    const what = context?.command ?? 'command';
    const hint = context?.hint ?? defaultHint;
    super(
      code,
      withHint(`${what} failed: ${summary ?? describe(sw)}`, hint),
      hint === undefined ? undefined : { hint },
    );
    this.sw = sw;
    this.swName = swInfo(sw).name;
    this.command = context?.command;
  }
}

/**
 * The base of a CardStatusError subclass that differs from it only by its `code` (and fields read
 * from the status word): `class FileNotFoundError extends statusErrorClass('FILE_NOT_FOUND') {}`.
 * Each subclass stays a named class of its own, for `instanceof`, `name` and the reference.
 */
export function statusErrorClass<C extends string>(
  code: C,
): new (sw: number, context?: StatusContext) => CardStatusError & { readonly code: C } {
  return class extends CardStatusError {
    declare readonly code: C;

    constructor(sw: number, context?: StatusContext) {
      super(sw, context, code);
    }
  };
}

/** 63Cx from VERIFY / CHANGE PIN: the PIN was wrong, `triesLeft` tries remain (x > 0). */
export class PinIncorrectError extends statusErrorClass('PIN_INCORRECT') {
  readonly triesLeft: number = swInfo(this.sw).triesLeft ?? 0;
}

/** What a POS tells the holder of a blocked application PIN. */
const UNBLOCK_AT_WINDOW = 'unlock it at a service window';

/**
 * The PIN is blocked: 6983, or 63C0 (the wrong try that blocked it; `justBlocked` is then true).
 * Project choice: 63C0 maps here rather than to PinIncorrectError, because what a POS has to do
 * next (send the holder to a service window) is what a blocked PIN demands; the message and the
 * hint say so instead of the status word's "0 tries left".
 */
export class PinBlockedError extends CardStatusError {
  declare readonly code: 'PIN_BLOCKED';
  readonly justBlocked: boolean;

  constructor(sw: number, context?: StatusContext) {
    const justBlocked = sw !== SW.AUTH_METHOD_BLOCKED;
    const summary = `${justBlocked ? 'the PIN is now blocked' : 'the PIN is blocked'} (${swHex(sw)})`;
    super(sw, context, 'PIN_BLOCKED', summary, UNBLOCK_AT_WINDOW);
    this.justBlocked = justBlocked;
  }
}

/** 63Cx from EXTERNAL AUTHENTICATE: the cryptogram was wrong; the key has `triesLeft` tries. */
export class AuthenticationFailedError extends statusErrorClass('AUTH_FAILED') {
  readonly triesLeft: number = swInfo(this.sw).triesLeft ?? 0;
}

/** 6983 from EXTERNAL AUTHENTICATE: the key is blocked. */
export class AuthenticationBlockedError extends statusErrorClass('AUTH_BLOCKED') {}

/**
 * 6982: the file or command needs a PIN or an external authentication first. The SDK's reads of
 * PIN-protected files give the hint 'verify the PIN first'; its health writes name the key.
 */
export class SecurityStatusError extends statusErrorClass('SECURITY_STATUS') {}

/** 6A82. */
export class FileNotFoundError extends statusErrorClass('FILE_NOT_FOUND') {}

/** 6A83. */
export class RecordNotFoundError extends statusErrorClass('RECORD_NOT_FOUND') {}

/** 6985. */
export class ConditionsNotSatisfiedError extends statusErrorClass('CONDITIONS_NOT_SATISFIED') {}

/** 6700, or a 6Cxx that survived the one corrected resend; `correctLe` when the card named it. */
export class WrongLengthError extends statusErrorClass('WRONG_LENGTH') {
  readonly correctLe: number | undefined = swInfo(this.sw).correctLe;
}

/** 6A80: the card rejected the command data (for CHANGE PIN: a malformed new PIN). */
export class WrongDataError extends statusErrorClass('WRONG_DATA') {}

/** 9303 (permanent), or 6A81 answering SELECT (the application is blocked). */
export class ApplicationBlockedError extends statusErrorClass('APPLICATION_BLOCKED') {
  readonly permanent: boolean = this.sw === SW.APP_PERMANENTLY_BLOCKED;
}

type StatusErrorConstructor = new (sw: number, context?: StatusContext) => CardStatusError;

/** The class of each status word (by its SW table name) whose meaning is the same for every command. */
const CLASS_BY_STATUS_NAME: ReadonlyMap<string, StatusErrorConstructor> = new Map<string, StatusErrorConstructor>([
  ['SECURITY_STATUS_NOT_SATISFIED', SecurityStatusError],
  ['FILE_NOT_FOUND', FileNotFoundError],
  ['RECORD_NOT_FOUND', RecordNotFoundError],
  ['CONDITIONS_NOT_SATISFIED', ConditionsNotSatisfiedError],
  ['WRONG_LENGTH', WrongLengthError],
  ['WRONG_LE', WrongLengthError],
  ['WRONG_DATA', WrongDataError],
  ['APP_PERMANENTLY_BLOCKED', ApplicationBlockedError],
]);

/**
 * The typed error for a status word that is not success. The name from the SW table decides the
 * class; `context.ins` disambiguates the few status words whose meaning depends on the command.
 */
export function errorForStatus(sw: number, context?: StatusContext): CardStatusError {
  const info = swInfo(sw);
  const externalAuth = context?.ins === INS.EXTERNAL_AUTHENTICATE;
  switch (info.name) {
    case 'PIN_TRIES_LEFT':
      if (externalAuth) return new AuthenticationFailedError(sw, context);
      return (info.triesLeft ?? 0) > 0 ? new PinIncorrectError(sw, context) : new PinBlockedError(sw, context);
    case 'AUTH_METHOD_BLOCKED':
      return externalAuth ? new AuthenticationBlockedError(sw, context) : new PinBlockedError(sw, context);
    case 'FUNCTION_NOT_SUPPORTED':
      if (context?.ins === INS.SELECT) return new ApplicationBlockedError(sw, context);
      return new CardStatusError(sw, context);
    default:
      return new (CLASS_BY_STATUS_NAME.get(info.name) ?? CardStatusError)(sw, context);
  }
}

/** The card left the reader (or the transport lost it); the security state is gone. */
export class CardRemovedError extends codedErrorClass('CARD_REMOVED') {
  constructor(message = 'card removed', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The card was reset, powered off or replaced since the caller's exchange or exclusive block
 * began: PIN verification and authentication are lost, so the caller must start over.
 */
export class CardResetError extends codedErrorClass('CARD_RESET') {
  constructor(message = 'card was reset; its security state is lost', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The transport failed or answered something that is not an R-APDU (e.g. fewer than 2 bytes). */
export class TransportError extends codedErrorClass('TRANSPORT') {}

/** An exchange did not complete within its time limit; the transport call was abandoned. */
export class TimeoutError extends SscardError {
  declare readonly code: 'TIMEOUT';
  readonly timeoutMs: number;

  constructor(timeoutMs: number, what = 'exchange') {
    super('TIMEOUT', `${what} timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The card broke the transmission protocol rules the terminal enforces: a GET RESPONSE chain
 * longer than the bound, more response bytes than allowed, a 6Cxx after the corrected resend.
 */
export class CardProtocolError extends SscardError {
  declare readonly code: 'CARD_PROTOCOL';
  readonly sw: number | undefined;

  constructor(message: string, sw?: number) {
    super('CARD_PROTOCOL', sw === undefined ? message : `${message} (last status ${swHex(sw)})`);
    this.sw = sw;
  }
}

/** A record or FCI the card returned does not have the layout the SSC profile defines. */
export class CardDataError extends codedErrorClass('CARD_DATA') {}

/**
 * The holder's PIN is still the issuer's initial value. Terminal policy: no transaction until the
 * holder has changed it (changePin); the card itself would accept the initial PIN.
 */
export class InitialPinInEffectError extends SscardError {
  declare readonly code: 'INITIAL_PIN_IN_EFFECT';

  constructor(message = 'the initial PIN is still in effect; the cardholder must change it first') {
    super('INITIAL_PIN_IN_EFFECT', message, { hint: 'have the cardholder choose a new PIN (SscCard.changePin)' });
  }
}

/** Why a new PIN was refused before it was sent to the card. */
export type NewPinProblem = 'format' | 'mismatch' | 'initial';

/** A new PIN refused by terminal policy. The message names the rule, never the digits. */
export class NewPinRejectedError extends detailErrorClass('NEW_PIN_REJECTED', 'problem')<NewPinProblem> {}

/** The channel (or its transport) was closed; no more exchanges are possible. */
export class ChannelClosedError extends SscardError {
  declare readonly code: 'CHANNEL_CLOSED';

  constructor(message = 'card channel is closed') {
    super('CHANNEL_CLOSED', message);
  }
}

/** An argument the caller passed is out of range or of the wrong kind; `message` names it. */
export class InvalidArgumentError extends codedErrorClass('INVALID_ARGUMENT') {}

/**
 * The card wants external authentication with `key` (e.g. RKSSSE before a 3.00 card's cardholder
 * file EF06) and the terminal cannot do it: no secure module, or one without that key. Raised
 * before anything is sent when the SDK knows it from the card's spec version, or after the card's
 * 6982 (kept as `cause`) otherwise.
 */
export class SecureModuleRequiredError extends SscardError {
  declare readonly code: 'SECURE_MODULE_REQUIRED';
  /** The SSC key name (SSC_KEYS) the secure module must hold. */
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    const hint = `open the card with a secure module holding ${key} (SscCard.open(transport, { psam }))`;
    super('SECURE_MODULE_REQUIRED', withHint(message, hint), { ...options, hint });
    this.key = key;
  }
}

/**
 * The caller's AbortSignal fired while the SDK was waiting (for the card lock, for a card, between
 * the commands of an operation). Project choice: a typed error with a stable code rather than a
 * rethrow of `signal.reason`, so callers switch on `code` as for every other SDK error; `name` is
 * 'AbortError' like the platform's, and the signal's reason is kept as `reason` and `cause`.
 * Abort never tears a command already on the wire: that command completes (within its time
 * limit) and its result stands; the operation stops before its next command.
 */
export class AbortError extends SscardError {
  declare readonly code: 'ABORTED';
  /** `signal.reason`: a DOMException AbortError by default, or what the caller passed to abort(). */
  readonly reason: unknown;

  constructor(what: string, reason: unknown) {
    super('ABORTED', `${what} aborted${reasonText(reason)}`, { cause: reason });
    this.reason = reason;
  }
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error && reason.message !== '' && reason.name !== 'AbortError') return `: ${reason.message}`;
  return '';
}
