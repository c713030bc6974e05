import { ApduEncodeError, ApduParseError } from './errors.js';

/** A command APDU as ISO 7816-4 defines it: header, command data (Nc = data.length) and Ne. */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  /** Maximum number of response bytes expected (Ne), 1..65536; undefined = no Le field. */
  ne?: number;
  /** Force the extended length form even when the short form would fit. */
  extended?: boolean;
}

/** ISO 7816-4 command case: 1 no data/no Le, 2 Le only, 3 data only, 4 data and Le. */
export type CommandCase = 1 | 2 | 3 | 4;

export type DecodedCommandApdu = CommandApdu & { case: CommandCase; extended: boolean };

export const MAX_SHORT_NC = 255;
export const MAX_SHORT_NE = 256;
export const MAX_EXTENDED_NC = 65535;
export const MAX_EXTENDED_NE = 65536;

/** Convenience constructor; omits `ne` when not given. */
export function commandApdu(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data: Uint8Array = new Uint8Array(0),
  ne?: number,
): CommandApdu {
  const cmd: CommandApdu = { cla, ins, p1, p2, data };
  if (ne !== undefined) cmd.ne = ne;
  return cmd;
}

/** The case a command falls in, from its Nc and Ne. */
export function commandCase(cmd: Pick<CommandApdu, 'data' | 'ne'>): CommandCase {
  const hasData = cmd.data.length > 0;
  const hasLe = cmd.ne !== undefined;
  if (hasData) return hasLe ? 4 : 3;
  return hasLe ? 2 : 1;
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) {
    throw new ApduEncodeError(`${name} must be an integer 0..255, got ${String(v)}`);
  }
}

/**
 * Encodes a command APDU. The short form is used unless Nc > 255, Ne > 256 or `extended` is set;
 * in the extended form Lc is `00 hh ll` and Le is `00 hh ll` (case 2) or `hh ll` (case 4), with
 * Le `00 00` meaning 65536. A case 1 command has no length fields, so `extended` does not change it.
 */
export function encodeCommand(cmd: CommandApdu): Uint8Array {
  checkByte('CLA', cmd.cla);
  checkByte('INS', cmd.ins);
  checkByte('P1', cmd.p1);
  checkByte('P2', cmd.p2);
  if (!(cmd.data instanceof Uint8Array)) {
    throw new ApduEncodeError('command data must be a Uint8Array');
  }
  const nc = cmd.data.length;
  if (nc > MAX_EXTENDED_NC) {
    throw new ApduEncodeError(`command data too long: Nc=${nc}, at most ${MAX_EXTENDED_NC}`);
  }
  const ne = cmd.ne;
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > MAX_EXTENDED_NE)) {
    throw new ApduEncodeError(`Ne must be an integer 1..${MAX_EXTENDED_NE}, got ${String(ne)}`);
  }
  const extended = cmd.extended === true || nc > MAX_SHORT_NC || (ne !== undefined && ne > MAX_SHORT_NE);

  let size = 4;
  if (nc > 0) size += extended ? 3 + nc : 1 + nc;
  if (ne !== undefined) size += extended ? (nc > 0 ? 2 : 3) : 1;
  const out = new Uint8Array(size);
  out[0] = cmd.cla;
  out[1] = cmd.ins;
  out[2] = cmd.p1;
  out[3] = cmd.p2;
  let off = 4;
  if (nc > 0) {
    if (extended) {
      out[off++] = 0;
      out[off++] = nc >> 8;
      out[off++] = nc & 0xff;
    } else {
      out[off++] = nc;
    }
    out.set(cmd.data, off);
    off += nc;
  }
  if (ne !== undefined) {
    if (extended) {
      if (nc === 0) out[off++] = 0; // case 2E: Le carries its own leading 00
      const le = ne === MAX_EXTENDED_NE ? 0 : ne;
      out[off++] = le >> 8;
      out[off++] = le & 0xff;
    } else {
      out[off++] = ne === MAX_SHORT_NE ? 0 : ne;
    }
  }
  return out;
}

/**
 * The data of every command without data: one shared empty array (it has no bytes to change), so
 * decoding a case 1 or 2 command allocates nothing for it.
 */
const NO_DATA = new Uint8Array(0);

/**
 * The command data, copied (the decoded command owns it; the caller may reuse its buffer). A short
 * field is copied byte by byte: `slice` looks up the array's species constructor on every call,
 * which costs more than copying a PIN or a record.
 */
function copyData(bytes: Uint8Array, start: number, length: number): Uint8Array {
  if (length > 64) return bytes.slice(start, start + length);
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = bytes[start + i] as number;
  return data;
}

function fail(message: string): never {
  throw new ApduParseError(message);
}

function result(
  bytes: Uint8Array,
  kind: CommandCase,
  extended: boolean,
  data: Uint8Array,
  ne: number | undefined,
): DecodedCommandApdu {
  const cmd: DecodedCommandApdu = {
    cla: bytes[0] as number,
    ins: bytes[1] as number,
    p1: bytes[2] as number,
    p2: bytes[3] as number,
    data,
    case: kind,
    extended,
  };
  if (ne !== undefined) cmd.ne = ne;
  return cmd;
}

/**
 * Decodes raw command APDU bytes per ISO 7816-4 §5.1. The length of the whole APDU decides the
 * case; anything the standard does not allow (short Lc of 00, an extended Lc of 0, lengths that
 * disagree with the data, trailing bytes) is an ApduParseError saying what is wrong.
 */
export function decodeCommand(bytes: Uint8Array): DecodedCommandApdu {
  if (!(bytes instanceof Uint8Array)) fail('command APDU must be a Uint8Array');
  const len = bytes.length;
  if (len < 4) fail(`command APDU shorter than 4 bytes (got ${len})`);
  const empty = NO_DATA;
  if (len === 4) return result(bytes, 1, false, empty, undefined);
  const b1 = bytes[4] as number;
  if (len === 5) return result(bytes, 2, false, empty, b1 === 0 ? MAX_SHORT_NE : b1);

  if (b1 !== 0) {
    // Short form: Lc = b1.
    if (len === 5 + b1) return result(bytes, 3, false, copyData(bytes, 5, b1), undefined);
    if (len === 6 + b1) {
      const le = bytes[len - 1] as number;
      return result(bytes, 4, false, copyData(bytes, 5, b1), le === 0 ? MAX_SHORT_NE : le);
    }
    if (len < 5 + b1) fail(`short Lc=${b1} but only ${len - 5} data bytes follow`);
    fail(`short Lc=${b1} leaves ${len - 6 - b1} trailing bytes after the data and Le`);
  }

  // b1 === 00 with more bytes following: extended length form.
  if (len === 6) {
    fail('short Lc of 00 is invalid (an extended length needs 2 more bytes)');
  }
  const n = ((bytes[5] as number) << 8) | (bytes[6] as number);
  if (len === 7) return result(bytes, 2, true, empty, n === 0 ? MAX_EXTENDED_NE : n);
  if (n === 0) fail('extended Lc of 0 is invalid (Nc must be 1..65535)');
  if (len === 7 + n) return result(bytes, 3, true, bytes.slice(7), undefined);
  if (len === 9 + n) {
    const le = ((bytes[len - 2] as number) << 8) | (bytes[len - 1] as number);
    return result(bytes, 4, true, bytes.slice(7, 7 + n), le === 0 ? MAX_EXTENDED_NE : le);
  }
  if (len < 7 + n) fail(`extended Lc=${n} but only ${len - 7} data bytes follow`);
  if (len === 8 + n) fail(`extended Lc=${n} is followed by a 1-byte Le; an extended Le needs 2 bytes`);
  fail(`extended Lc=${n} leaves ${len - 9 - n} trailing bytes after the data and Le`);
}
