import { endianness } from 'node:os';
import { SscardError } from '../../apdu/index.js';

/*
 * pcsc-lite's client/server messages, as pcscd reads them on its Unix socket (winscard_msg.h,
 * message protocol 4.4 as in pcsc-lite 1.8.24 to 2.2; 4.5 is the same for what is used here). A request is a header (payload size, command) followed
 * by the command's fixed struct; pcscd answers with the same struct filled in (no header), and
 * for SCardTransmit the response bytes after it. Fields are 32-bit in host byte order at natural
 * alignment, so every offset below is a multiple of 4 except inside the reader-state records.
 * Pure encoding and decoding: the socket is pcscd-client.ts's.
 */

/** The message protocol this client asks for first (pcsc-lite 1.8.24 to 2.2.x speak it, and 2.4.1 on accept it). */
export const PCSCD_PROTOCOL_VERSION = { major: 4, minor: 4 } as const;

/**
 * The minor versions of major 4 this client speaks. pcsc-lite's message protocol history
 * (winscard_msg.h): 4.3 up to 1.8.23; 4.4 from 1.8.24 to 2.2.3; 4.5 from 2.3.0, which only adds
 * CMD_GET_READER_EVENTS (0x15, the reader-count notification; this client never sends it), every
 * struct and every other answer unchanged, so a 4.4 client is a 4.5 client that does not use it.
 * pcscd up to 2.4.0 refuses any other version than its own and answers with it; 2.4.1 and later
 * accept an older minor (down to 4) and serve it as that version, so 4.6 (2.5.x, whose new
 * messages lift the 16-reader table) is never asked for. 4.3 is refused: its structs differ.
 */
export const PCSCD_SPOKEN_MINORS: readonly number[] = [4, 5];

/** Where pcscd listens unless PCSCLITE_CSOCK_NAME says otherwise (the variable libpcsclite reads too). */
export const PCSCD_DEFAULT_SOCKET = '/run/pcscd/pcscd.comm';

export function pcscdSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.PCSCLITE_CSOCK_NAME;
  return named !== undefined && named !== '' ? named : PCSCD_DEFAULT_SOCKET;
}

export const PCSCD_COMMAND = {
  establishContext: 0x01,
  releaseContext: 0x02,
  connect: 0x04,
  reconnect: 0x05,
  disconnect: 0x06,
  transmit: 0x09,
  status: 0x0b,
  version: 0x11,
  getReadersState: 0x12,
  waitReaderStateChange: 0x13,
  stopWaitingReaderStateChange: 0x14,
} as const;

export const HEADER_BYTES = 8;
export const MAX_READER_NAME = 128;
/** PCSCLITE_MAX_READERS_CONTEXTS: CMD_GET_READERS_STATE always answers this many records. */
export const MAX_READERS = 16;
const MAX_ATR = 33;
/** One READER_STATE record: name[128], eventCounter, readerState, readerSharing, cardAtr[33], 3 pad, cardAtrLength, cardProtocol. */
export const READER_STATE_BYTES = 184;
export const READER_STATES_BYTES = MAX_READERS * READER_STATE_BYTES;
/** MAX_BUFFER_SIZE_EXTENDED: pcscd drops a client that sends a longer command. */
export const MAX_COMMAND_BYTES = 4 + 3 + (1 << 16) + 3 + 2;

export const VERSION_BYTES = 12;
export const ESTABLISH_BYTES = 12;
export const RELEASE_BYTES = 8;
export const CONNECT_BYTES = 4 + MAX_READER_NAME + 20;
export const RECONNECT_BYTES = 24;
export const DISCONNECT_BYTES = 12;
export const STATUS_BYTES = 8;
export const TRANSMIT_BYTES = 32;
/** wait_reader_state_change: the signal pcscd sends a waiting client on an event (and the answer to a stop). */
export const WAIT_SIGNAL_BYTES = 8;

export const SCARD_SCOPE_SYSTEM = 2;
export const SCARD_SHARE_EXCLUSIVE = 1;
export const SCARD_SHARE_SHARED = 2;
export const SCARD_PROTOCOL_T0 = 1;
export const SCARD_PROTOCOL_T1 = 2;
export const SCARD_LEAVE_CARD = 0;
export const SCARD_RESET_CARD = 1;
export const SCARD_UNPOWER_CARD = 2;
/** readerState bit: a card is in the reader. */
export const SCARD_PRESENT = 0x0004;
/** readerState bit: the card is in but gave no ATR (libpcsclite reports it as SCARD_STATE_MUTE). */
export const SCARD_SWALLOWED = 0x0008;
/** readerSharing: a context holds the card exclusively (>0: that many contexts share it). */
export const PCSCLITE_SHARING_EXCLUSIVE = -1;

/** Return codes this client makes itself (the others come from pcscd). */
export const SCARD_S_SUCCESS = 0;
export const SCARD_E_INSUFFICIENT_BUFFER = 0x80100008;
export const SCARD_E_UNKNOWN_READER = 0x80100009;
export const SCARD_E_NO_SERVICE = 0x8010001d;
export const SCARD_W_REMOVED_CARD = 0x80100069;

/** sizeof(SCARD_IO_REQUEST): two unsigned longs, 16 bytes on a 64-bit build, 8 on a 32-bit one. */
export const IO_REQUEST_BYTES = ['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'].includes(
  process.arch,
)
  ? 16
  : 8;
const LE = endianness() === 'LE';

/** A PC/SC return code other than success, from pcscd or from this client; the error table reads `pcscCode`. */
export class PcscdReturnError extends Error {
  readonly pcscCode: number;

  constructor(operation: string, pcscCode: number, detail?: string) {
    super(
      `${operation} returned 0x${pcscCode.toString(16).toUpperCase().padStart(8, '0')}${detail === undefined ? '' : `: ${detail}`}`,
    );
    this.name = 'PcscdReturnError';
    this.pcscCode = pcscCode;
  }
}

/** pcscd speaks a message protocol this client does not: both versions are named. */
export class PcscdProtocolVersionError extends SscardError {
  declare readonly code: 'PCSCD_PROTOCOL_VERSION';
  /** e.g. '4.4'. */
  readonly clientVersion: string;
  /** What pcscd answered, e.g. '4.5'. */
  readonly serverVersion: string;

  constructor(clientVersion: string, serverVersion: string, options?: { cause?: unknown }) {
    super(
      'PCSCD_PROTOCOL_VERSION',
      `pcscd speaks message protocol ${serverVersion}, this client speaks ${clientVersion} (pcsc-lite 1.8.24 to 2.x); use the smartcard backend, which goes through the system's libpcsclite`,
      options,
    );
    this.clientVersion = clientVersion;
    this.serverVersion = serverVersion;
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A request: header, then `words` as 32-bit fields (a string field is written by the caller). */
function request(command: number, bodyBytes: number, words: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + bodyBytes);
  const v = view(out);
  v.setUint32(0, bodyBytes, LE);
  v.setUint32(4, command, LE);
  for (const [offset, value] of words) v.setUint32(HEADER_BYTES + offset, value >>> 0, LE);
  return out;
}

const u32 = (bytes: Uint8Array, offset: number): number => view(bytes).getUint32(offset, LE);
const i32 = (bytes: Uint8Array, offset: number): number => view(bytes).getInt32(offset, LE);

export function encodeVersion(major: number, minor: number): Uint8Array {
  return request(PCSCD_COMMAND.version, VERSION_BYTES, [
    [0, major],
    [4, minor],
  ]);
}

export function decodeVersion(reply: Uint8Array): { major: number; minor: number; rv: number } {
  return { major: i32(reply, 0), minor: i32(reply, 4), rv: u32(reply, 8) };
}

export function encodeEstablish(scope: number): Uint8Array {
  return request(PCSCD_COMMAND.establishContext, ESTABLISH_BYTES, [[0, scope]]);
}

export function decodeEstablish(reply: Uint8Array): { context: number; rv: number } {
  return { context: u32(reply, 4), rv: u32(reply, 8) };
}

export function encodeRelease(context: number): Uint8Array {
  return request(PCSCD_COMMAND.releaseContext, RELEASE_BYTES, [[0, context]]);
}

/** A reader name as pcscd stores it: UTF-8, NUL-terminated within 128 bytes. */
export function encodeConnect(context: number, reader: string, share: number, protocols: number): Uint8Array {
  const name = new TextEncoder().encode(reader);
  if (name.length >= MAX_READER_NAME)
    throw new PcscdReturnError('SCardConnect', SCARD_E_UNKNOWN_READER, 'reader name too long');
  const out = request(PCSCD_COMMAND.connect, CONNECT_BYTES, [
    [0, context],
    [4 + MAX_READER_NAME, share],
    [8 + MAX_READER_NAME, protocols],
  ]);
  out.set(name, HEADER_BYTES + 4);
  return out;
}

export function decodeConnect(reply: Uint8Array): { card: number; protocol: number; rv: number } {
  return {
    card: i32(reply, 12 + MAX_READER_NAME),
    protocol: u32(reply, 16 + MAX_READER_NAME),
    rv: u32(reply, 20 + MAX_READER_NAME),
  };
}

export function encodeReconnect(card: number, share: number, protocols: number, initialization: number): Uint8Array {
  return request(PCSCD_COMMAND.reconnect, RECONNECT_BYTES, [
    [0, card],
    [4, share],
    [8, protocols],
    [12, initialization],
  ]);
}

export function decodeReconnect(reply: Uint8Array): { protocol: number; rv: number } {
  return { protocol: u32(reply, 16), rv: u32(reply, 20) };
}

export function encodeDisconnect(card: number, disposition: number): Uint8Array {
  return request(PCSCD_COMMAND.disconnect, DISCONNECT_BYTES, [
    [0, card],
    [4, disposition],
  ]);
}

export function encodeStatus(card: number): Uint8Array {
  return request(PCSCD_COMMAND.status, STATUS_BYTES, [[0, card]]);
}

/** The return code of a reply whose struct ends with it (release, disconnect, status, the wait signal). */
export function lastWordRv(reply: Uint8Array): number {
  return u32(reply, reply.length - 4);
}

/** A request with no struct: CMD_GET_READERS_STATE, CMD_WAIT_READER_STATE_CHANGE, CMD_STOP_WAITING_.... */
export function encodeBare(command: number): Uint8Array {
  return request(command, 0, []);
}

/**
 * The fixed part of a transmit request, written into `out` (made once per card handle and reused):
 * header, then transmit_struct; the command bytes go after it at TRANSMIT_HEAD_BYTES.
 */
export const TRANSMIT_HEAD_BYTES = HEADER_BYTES + TRANSMIT_BYTES;

export function writeTransmitHead(out: Uint8Array, card: number, protocol: number, maxRecvLength: number): void {
  const v = view(out);
  v.setUint32(0, TRANSMIT_BYTES, LE);
  v.setUint32(4, PCSCD_COMMAND.transmit, LE);
  v.setInt32(8, card, LE);
  v.setUint32(12, protocol, LE);
  v.setUint32(16, IO_REQUEST_BYTES, LE);
  v.setUint32(24, protocol, LE);
  v.setUint32(28, IO_REQUEST_BYTES, LE);
  v.setUint32(32, maxRecvLength, LE);
}

/** cbSendLength, the one field that changes from one transmit to the next. */
export function writeTransmitLength(out: Buffer, commandBytes: number): void {
  if (LE) out.writeUInt32LE(commandBytes, 20);
  else out.writeUInt32BE(commandBytes, 20);
}

/** transmit_struct of the reply at `offset`: the response length and the return code. */
export function decodeTransmit(reply: Uint8Array, offset = 0): { recvLength: number; rv: number } {
  const v = view(reply);
  return { recvLength: v.getUint32(offset + 24, LE), rv: v.getUint32(offset + 28, LE) };
}

/** One reader as pcscd publishes it. */
export interface PcscdReaderState {
  name: string;
  /** Counts the card's insertions and removals. */
  eventCounter: number;
  /** SCARD_ABSENT / SCARD_PRESENT / SCARD_POWERED ... bits. */
  state: number;
  /** PCSCLITE_SHARING_EXCLUSIVE, or how many contexts are connected to the card (0: none). */
  sharing: number;
  atr: Uint8Array;
  /** The protocol pcscd fixed for the card (SCARD_PROTOCOL_T0 / T1), or 0. */
  protocol: number;
}

/** CMD_GET_READERS_STATE's answer: the records whose name is not empty. */
export function decodeReaderStates(reply: Uint8Array): PcscdReaderState[] {
  const readers: PcscdReaderState[] = [];
  const decoder = new TextDecoder();
  for (let at = 0; at + READER_STATE_BYTES <= reply.length; at += READER_STATE_BYTES) {
    const field = reply.subarray(at, at + MAX_READER_NAME);
    // Bytes past the terminator are what the slot held before: read up to the first NUL only.
    const end = field.indexOf(0);
    if (end === 0) continue;
    const atrLength = Math.min(u32(reply, at + 176), MAX_ATR);
    readers.push({
      name: decoder.decode(field.subarray(0, end === -1 ? MAX_READER_NAME : end)),
      eventCounter: u32(reply, at + 128),
      state: u32(reply, at + 132),
      sharing: i32(reply, at + 136),
      atr: reply.slice(at + 140, at + 140 + atrLength),
      protocol: u32(reply, at + 180),
    });
  }
  return readers;
}
