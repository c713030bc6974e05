/**
 * Errors are data: every error the library throws derives from SscardError and carries a
 * stable, literal `code` that callers can switch on, plus the original `cause` when there is one
 * and, when the library knows what the caller can do about it, a `hint` (e.g. "verify the PIN
 * first"). An error with a hint says it in its message too; the field is for code that shows only it.
 */
export class SscardError extends Error {
  readonly code: string;
  /** What the caller can do next, in a few words; undefined when there is nothing to suggest. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options?.hint;
    this.name = new.target.name;
  }
}

/**
 * The base of a room's one error class whose `code` is one of the codes `C`, the code saying
 * which failure it is: `class VpcdError extends errorFamilyClass<VpcdErrorCode>() {}`. The
 * subclass stays a named class of its own, for `instanceof`, `name` and the reference.
 */
export function errorFamilyClass<C extends string>(): new (
  code: C,
  message: string,
  options?: { cause?: unknown },
) => SscardError & { readonly code: C } {
  return class extends SscardError {
    declare readonly code: C;

    constructor(code: C, message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };
}

/**
 * The base of an SscardError subclass with a message and a `cause`, and nothing else of its own:
 * `class ApduParseError extends codedErrorClass('APDU_PARSE') {}`. The subclass stays a named
 * class of its own, for `instanceof`, `name` and the reference.
 */
export function codedErrorClass<C extends string>(
  code: C,
): new (message: string, options?: { cause?: unknown }) => SscardError & { readonly code: C } {
  return class extends SscardError {
    declare readonly code: C;

    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };
}

/**
 * The base of an SscardError subclass that carries one detail of its own, given before the message
 * and kept as the property `key`: `class PinPolicyError extends detailErrorClass('PIN_POLICY',
 * 'field')<string> {}`. The subclass stays a named class of its own; it may `declare` the property
 * again to document it.
 */
export function detailErrorClass<C extends string, K extends string>(
  code: C,
  key: K,
): new <V>(
  detail: V,
  message: string,
  options?: { cause?: unknown },
) => SscardError & { readonly code: C } & { readonly [P in K]: V } {
  class DetailError extends SscardError {
    declare readonly code: C;

    constructor(detail: unknown, message: string, options?: { cause?: unknown }) {
      super(code, message, options);
      (this as unknown as Record<K, unknown>)[key] = detail;
    }
  }
  // A class cannot declare a property whose name is a parameter; the signature above says what it holds.
  return DetailError as never;
}

/** Malformed bytes or text handed to a decoder (APDU, TLV, hex, BCD, ...). */
export class ApduParseError extends codedErrorClass('APDU_PARSE') {}

/** A value that cannot be encoded (out of range, too long for its field, ...). */
export class ApduEncodeError extends codedErrorClass('APDU_ENCODE') {}

/**
 * A status word raised inside the card OS. Handlers throw it; the OS converts it to the two SW
 * bytes in one place. The message never carries secrets.
 *
 * Stackless: it is an answer, not a bug, and it is raised on the card's hot paths (every refused
 * command), where capturing a stack trace cost more than the rest of the command. `stack` holds
 * the name and message only.
 */
export class StatusWordError extends SscardError {
  readonly sw: number;

  constructor(sw: number, message?: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super('STATUS_WORD', message ?? `card answered ${sw.toString(16).toUpperCase().padStart(4, '0')}`);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.sw = sw;
  }
}
