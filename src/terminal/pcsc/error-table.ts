import { SscardError } from '../../apdu/index.js';
import { CardRemovedError, CardResetError } from '../errors.js';
import { NoCardError, PcscServiceError, PcscTransportError, ReaderNotFoundError } from './errors.js';

/*
 * The one table from PC/SC failures to the SDK's typed errors, for both native bindings:
 * - `smartcard` rejects with a plain Error whose message is a fixed English text per code
 *   ("Card was removed") and no numeric code, so its texts are listed here verbatim;
 * - `pcsclite` puts the code in the message: "SCardTransmit error: Card was removed.(0x80100069)";
 * - the pcscd socket backend's errors carry it as `pcscCode`.
 * Anything not in the table is a PcscTransportError keeping the original error as `cause`.
 */

/** What a PC/SC failure means to the caller. */
export type PcscErrorKind =
  /** The card left the reader (or the reader left the machine): the connection to it is over. */
  | 'removed'
  /** Someone reset or powered down the card: its security state is gone, the handle still works. */
  | 'reset'
  /** The reader is empty. */
  | 'no-card'
  /** pcscd is not running. */
  | 'service'
  /** No such reader. */
  | 'reader'
  /** Anything else: a transport failure with the PC/SC code attached. */
  | 'transport';

export interface PcscErrorEntry {
  /** PC/SC return code (winscard.h). */
  code: number;
  /** winscard.h name. */
  name: string;
  kind: PcscErrorKind;
  /** Exact message of the `smartcard` binding for this code. */
  smartcardMessage: string;
}

export const PCSC_ERROR_TABLE: readonly PcscErrorEntry[] = [
  { code: 0x80100069, name: 'SCARD_W_REMOVED_CARD', kind: 'removed', smartcardMessage: 'Card was removed' },
  // Seen between the card leaving (socket closed, contacts lost) and pcscd marking the slot empty
  // (up to ~0.4 s with vpcd): the exchange failed because the card is going away.
  { code: 0x80100016, name: 'SCARD_E_NOT_TRANSACTED', kind: 'removed', smartcardMessage: 'Transaction failed' },
  // A reader unplugged with the card in it: the card is as gone as if pulled out.
  { code: 0x80100017, name: 'SCARD_E_READER_UNAVAILABLE', kind: 'removed', smartcardMessage: 'Reader unavailable' },
  { code: 0x80100068, name: 'SCARD_W_RESET_CARD', kind: 'reset', smartcardMessage: 'Card was reset' },
  { code: 0x80100067, name: 'SCARD_W_UNPOWERED_CARD', kind: 'reset', smartcardMessage: 'Card is unpowered' },
  { code: 0x8010000c, name: 'SCARD_E_NO_SMARTCARD', kind: 'no-card', smartcardMessage: 'No smart card present' },
  { code: 0x8010001d, name: 'SCARD_E_NO_SERVICE', kind: 'service', smartcardMessage: 'PC/SC service not running' },
  { code: 0x8010001e, name: 'SCARD_E_SERVICE_STOPPED', kind: 'service', smartcardMessage: 'PC/SC service stopped' },
  { code: 0x80100009, name: 'SCARD_E_UNKNOWN_READER', kind: 'reader', smartcardMessage: 'Unknown reader' },
  { code: 0x8010002e, name: 'SCARD_E_NO_READERS_AVAILABLE', kind: 'reader', smartcardMessage: 'No readers available' },
  { code: 0x8010000b, name: 'SCARD_E_SHARING_VIOLATION', kind: 'transport', smartcardMessage: 'Sharing violation' },
  { code: 0x8010000f, name: 'SCARD_E_PROTO_MISMATCH', kind: 'transport', smartcardMessage: 'Protocol mismatch' },
  { code: 0x80100008, name: 'SCARD_E_INSUFFICIENT_BUFFER', kind: 'transport', smartcardMessage: 'Insufficient buffer' },
  { code: 0x80100066, name: 'SCARD_W_UNRESPONSIVE_CARD', kind: 'transport', smartcardMessage: 'Card is unresponsive' },
  { code: 0x80100065, name: 'SCARD_W_UNSUPPORTED_CARD', kind: 'transport', smartcardMessage: 'Card is not supported' },
  { code: 0x8010000a, name: 'SCARD_E_TIMEOUT', kind: 'transport', smartcardMessage: 'Operation timed out' },
  { code: 0x80100002, name: 'SCARD_E_CANCELLED', kind: 'transport', smartcardMessage: 'Operation cancelled' },
  { code: 0x80100003, name: 'SCARD_E_INVALID_HANDLE', kind: 'transport', smartcardMessage: 'Invalid handle' },
  { code: 0x80100004, name: 'SCARD_E_INVALID_PARAMETER', kind: 'transport', smartcardMessage: 'Invalid parameter' },
  { code: 0x80100011, name: 'SCARD_E_INVALID_VALUE', kind: 'transport', smartcardMessage: 'Invalid value' },
  { code: 0x80100010, name: 'SCARD_E_NOT_READY', kind: 'transport', smartcardMessage: 'Reader not ready' },
  { code: 0x80100013, name: 'SCARD_F_COMM_ERROR', kind: 'transport', smartcardMessage: 'Communication error' },
  { code: 0x80100001, name: 'SCARD_F_INTERNAL_ERROR', kind: 'transport', smartcardMessage: 'Internal error' },
  { code: 0x80100006, name: 'SCARD_E_NO_MEMORY', kind: 'transport', smartcardMessage: 'Not enough memory' },
  { code: 0x8010000d, name: 'SCARD_E_UNKNOWN_CARD', kind: 'transport', smartcardMessage: 'Unknown card type' },
  { code: 0x80100015, name: 'SCARD_E_INVALID_ATR', kind: 'transport', smartcardMessage: 'Invalid ATR' },
  { code: 0x80100024, name: 'SCARD_E_PCI_TOO_SMALL', kind: 'transport', smartcardMessage: 'PCI struct too small' },
];

const BY_CODE = new Map(PCSC_ERROR_TABLE.map((e) => [e.code, e]));
const BY_SMARTCARD_MESSAGE = new Map(PCSC_ERROR_TABLE.map((e) => [e.smartcardMessage, e]));
/** pcsclite: "<function> error: <pcsc_stringify_error text>(0x8010xxxx)". */
const PCSCLITE_CODE = /\(0x([0-9a-f]{8})\)\s*$/i;

/** What a binding's error says, as far as the table can tell. */
export interface PcscErrorIdentity {
  /** The table entry, when the code (or the smartcard message) is known. */
  entry: PcscErrorEntry | undefined;
  /** The PC/SC code when the error carried one (pcsclite) or the table knew its message (smartcard). */
  code: number | undefined;
  /** The binding's message. */
  message: string;
}

/** Looks a binding error up in the table (smartcard message text, or pcsclite's "(0x...)" suffix). */
export function identifyPcscError(error: unknown): PcscErrorIdentity {
  const message = error instanceof Error ? error.message : String(error);
  // The pcscd socket backend's errors carry the code itself.
  const carried = error instanceof Error ? (error as { pcscCode?: unknown }).pcscCode : undefined;
  if (typeof carried === 'number') return { entry: BY_CODE.get(carried), code: carried, message };
  const coded = PCSCLITE_CODE.exec(message);
  if (coded !== null) {
    const code = Number.parseInt(coded[1] as string, 16);
    return { entry: BY_CODE.get(code), code, message };
  }
  const entry = BY_SMARTCARD_MESSAGE.get(message.trim());
  return { entry, code: entry?.code, message };
}

/** Where the failure happened, for the message. */
export interface PcscErrorContext {
  /** e.g. 'transmit', 'connect', 'reset'. */
  operation: string;
  reader?: string;
}

function hexCode(code: number | undefined): string {
  return code === undefined ? '' : ` 0x${code.toString(16).toUpperCase().padStart(8, '0')}`;
}

/**
 * The SDK error for a binding's failure: CardRemovedError, CardResetError, NoCardError,
 * PcscServiceError, ReaderNotFoundError or PcscTransportError (a TransportError). An error that
 * already is an SscardError is returned as it is. The original error is always the `cause`.
 */
export function pcscErrorToSdk(error: unknown, context: PcscErrorContext): SscardError {
  if (error instanceof SscardError) return error;
  const { entry, code, message } = identifyPcscError(error);
  const where = context.reader === undefined ? '' : ` on reader '${context.reader}'`;
  const pcsc = `PC/SC: ${message.trim()}${entry === undefined ? hexCode(code) : ` (${entry.name})`}`;
  const options = { cause: error };
  switch (entry?.kind) {
    case 'removed':
      return new CardRemovedError(`card removed during ${context.operation}${where} (${pcsc})`, options);
    case 'reset':
      return new CardResetError(
        `card was reset by another program during ${context.operation}${where}; its security state is lost (${pcsc})`,
        options,
      );
    case 'no-card': {
      const opts = context.reader === undefined ? options : { ...options, reader: context.reader };
      return new NoCardError(`no card in the reader${where} (${pcsc})`, opts);
    }
    case 'service':
      return new PcscServiceError(
        `pcscd is not running: ${context.operation}${where} failed (${pcsc}); start it (e.g. scripts/pcsc-lab up, or systemctl start pcscd)`,
        code === undefined ? options : { ...options, pcscCode: code },
      );
    case 'reader': {
      const opts = context.reader === undefined ? options : { ...options, reader: context.reader };
      return new ReaderNotFoundError(`reader not found during ${context.operation}${where} (${pcsc})`, opts);
    }
    case 'transport':
      return new PcscTransportError(`${context.operation} failed${where} (${pcsc})`, entry.name, entry.code, options);
    case undefined:
      return new PcscTransportError(`${context.operation} failed${where} (${pcsc})`, 'unknown', code, options);
  }
}
