/**
 * Errors are data: every error the library throws derives from SscardError and carries a
 * stable, literal `code` that callers can switch on, plus the original `cause` when there is one.
 */
export class SscardError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** Malformed bytes or text handed to a decoder (APDU, TLV, hex, BCD, ...). */
export class ApduParseError extends SscardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('APDU_PARSE', message, options);
  }
}

/** A value that cannot be encoded (out of range, too long for its field, ...). */
export class ApduEncodeError extends SscardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('APDU_ENCODE', message, options);
  }
}

/**
 * A status word raised inside the card OS. Handlers throw it; the OS converts it to the two SW
 * bytes in one place. The message never carries secrets.
 */
export class StatusWordError extends SscardError {
  readonly sw: number;

  constructor(sw: number, message?: string) {
    super('STATUS_WORD', message ?? `card answered ${sw.toString(16).toUpperCase().padStart(4, '0')}`);
    this.sw = sw;
  }
}
