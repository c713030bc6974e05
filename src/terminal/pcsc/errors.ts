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

/** pcscd is not running (or stopped): no PC/SC context can be established. */
export class PcscServiceError extends SscardError {
  declare readonly code: 'PCSC_SERVICE';
  /** The PC/SC return code, e.g. 0x8010001D (SCARD_E_NO_SERVICE), when known. */
  readonly pcscCode: number | undefined;

  constructor(message: string, options?: { cause?: unknown; pcscCode?: number }) {
    super('PCSC_SERVICE', message, options);
    this.pcscCode = options?.pcscCode;
  }
}

/** The reader is there but holds no card (connect, or reconnect after a removal). */
export class NoCardError extends SscardError {
  declare readonly code: 'NO_CARD';
  readonly reader: string | undefined;

  constructor(message: string, options?: { cause?: unknown; reader?: string }) {
    super('NO_CARD', message, options);
    this.reader = options?.reader;
  }
}

/** No reader of that name (or no reader at all) is known to pcscd. */
export class ReaderNotFoundError extends SscardError {
  declare readonly code: 'READER_NOT_FOUND';
  readonly reader: string | undefined;
  /** The readers pcscd did list. */
  readonly available: readonly string[];

  constructor(message: string, options?: { cause?: unknown; reader?: string; available?: readonly string[] }) {
    super('READER_NOT_FOUND', message, options);
    this.reader = options?.reader;
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
