import { SscardError, detailErrorClass } from '../../apdu/index.js';
import { TransportError } from '../errors.js';

/*
 * Errors only a PC/SC reader produces. Failures that mean the same thing for every transport
 * (card removed, card reset, transport failure) use the shared classes of ../errors.ts; the PC/SC
 * error table (error-table.ts) decides which one a binding error becomes.
 */

/** The optional native PC/SC binding is not installed (or did not build); the message says what to install. */
export class PcscBindingMissingError extends detailErrorClass('PCSC_BINDING_MISSING', 'binding')<string> {
  /** npm package name of the binding that could not be loaded. */
  declare readonly binding: string;
}

/**
 * The base of a PC/SC error whose facts (`pcscCode`, `reader`) come with its options, as the
 * error table raises them: each is kept as a property, undefined when not given.
 * `class NoCardError extends optionFactsErrorClass('NO_CARD', 'reader')<{ reader: string }> {}`
 */
function optionFactsErrorClass<C extends string, K extends string>(
  code: C,
  ...keys: K[]
): new <F extends { [P in K]: unknown }>(
  message: string,
  options?: { cause?: unknown } & { [P in K]?: F[P] },
) => SscardError & { readonly code: C } & { readonly [P in K]: F[P] | undefined } {
  class OptionFactsError extends SscardError {
    declare readonly code: C;

    constructor(message: string, options?: { cause?: unknown } & { [P in K]?: unknown }) {
      super(code, message, options);
      for (const key of keys) (this as unknown as Record<K, unknown>)[key] = options?.[key];
    }
  }
  // A class cannot declare properties whose names are a parameter; the signature above says what it holds.
  return OptionFactsError as never;
}

/** pcscd is not running (or stopped): no PC/SC context can be established. */
export class PcscServiceError extends optionFactsErrorClass('PCSC_SERVICE', 'pcscCode')<{ pcscCode: number }> {
  /** The PC/SC return code, e.g. 0x8010001D (SCARD_E_NO_SERVICE), when known. */
  declare readonly pcscCode: number | undefined;
}

/** The reader is there but holds no card (connect, or reconnect after a removal). */
export class NoCardError extends optionFactsErrorClass('NO_CARD', 'reader')<{ reader: string }> {}

/** No reader of that name (or no reader at all) is known to pcscd. */
export class ReaderNotFoundError extends optionFactsErrorClass('READER_NOT_FOUND', 'reader')<{ reader: string }> {
  /** The readers pcscd did list. */
  readonly available: readonly string[];

  constructor(message: string, options?: { cause?: unknown; reader?: string; available?: readonly string[] }) {
    super(message, options);
    this.available = options?.available ?? [];
  }
}

/**
 * A PC/SC failure with no meaning of its own to the SDK (sharing violation, protocol mismatch,
 * buffer too small, unknown codes): a TransportError that also names the PC/SC code.
 */
export class PcscTransportError extends TransportError {
  /** PC/SC return code (e.g. 0x8010000B), or undefined when the binding did not say. */
  readonly pcscCode: number | undefined;
  /** PC/SC name of the code, e.g. 'SCARD_E_SHARING_VIOLATION', or 'unknown'. */
  readonly pcscName: string;

  constructor(message: string, pcscName: string, pcscCode: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.pcscName = pcscName;
    this.pcscCode = pcscCode;
  }
}
