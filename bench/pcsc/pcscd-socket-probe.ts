/*
 * A measurement probe, not a backend: SCardTransmit spoken from JavaScript straight to pcscd's
 * client socket (pcsc-lite on Linux), with no native binding and so no thread-pool hop. It does
 * only what one exchange needs (protocol version, context, connect shared, transmit, disconnect,
 * release), to show in the bench what the bindings' hop costs next to the event loop reading a
 * socket itself. Messages are a header (payload size, command; host byte order, little-endian
 * here) and a fixed struct; pcscd answers with the struct filled in, and for a transmit the
 * response bytes after it.
 */
import { connect, type Socket } from 'node:net';

const SOCKET = process.env.PCSCLITE_CSOCK_NAME ?? '/run/pcscd/pcscd.comm';
/** The message protocol version this probe speaks; pcscd refuses a client whose version it does not know. */
const PROTOCOL = { major: 4, minor: 4 } as const;
const CMD = { establish: 0x01, release: 0x02, connect: 0x04, disconnect: 0x06, transmit: 0x09, version: 0x11 };
const READER_NAME_BYTES = 128;
const SCOPE_SYSTEM = 2;
const SHARE_SHARED = 2;
const PROTOCOL_T0_T1 = 3;
const LEAVE_CARD = 0;
/** sizeof(SCARD_IO_REQUEST) on 64-bit Linux: two unsigned longs. */
const IO_REQUEST_BYTES = 16;
const TRANSMIT_STRUCT_BYTES = 32;

export class PcscdProtocolError extends Error {
  readonly code = 'PCSCD_PROTOCOL';
}

/** A reply reader over the socket: waits for exactly `n` bytes. */
class Replies {
  private pending: Buffer = Buffer.alloc(0);
  private want = 0;
  private wake: ((bytes: Buffer) => void) | undefined;
  private failed: Error | undefined;
  private fail: ((error: Error) => void) | undefined;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      const wake = this.wake;
      if (wake !== undefined && this.pending.length >= this.want) {
        this.wake = undefined;
        this.fail = undefined;
        wake(this.take(this.want));
      }
    });
    const end = (error?: Error): void => {
      this.failed = error ?? new PcscdProtocolError('pcscd closed the connection');
      this.fail?.(this.failed);
    };
    socket.on('error', end);
    socket.on('close', () => end());
  }

  read(n: number): Promise<Buffer> {
    if (this.pending.length >= n) return Promise.resolve(this.take(n));
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.want = n;
      this.wake = resolve;
      this.fail = reject;
    });
  }

  private take(n: number): Buffer {
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }
}

function message(command: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(command, 4);
  return Buffer.concat([header, body]);
}

function check(what: string, rv: number): void {
  if (rv !== 0) throw new PcscdProtocolError(`${what}: pcscd answered 0x${rv.toString(16).padStart(8, '0')}`);
}

export interface PcscdSocketCard {
  /** One SCardTransmit; answers the R-APDU. */
  transmit(command: Uint8Array): Promise<Buffer>;
  close(): Promise<void>;
}

/** Opens a context and connects (shared, T=0 or T=1) to the card in `reader`. */
export async function openPcscdSocket(reader: string, maxRecvLength: number): Promise<PcscdSocketCard> {
  const socket = connect(SOCKET);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const replies = new Replies(socket);
  const version = Buffer.alloc(12);
  version.writeInt32LE(PROTOCOL.major, 0);
  version.writeInt32LE(PROTOCOL.minor, 4);
  socket.write(message(CMD.version, version));
  const v = await replies.read(12);
  if (v.readUInt32LE(8) !== 0) {
    socket.destroy();
    throw new PcscdProtocolError(
      `pcscd does not speak message protocol ${PROTOCOL.major}.${PROTOCOL.minor} (it answered ${v.readInt32LE(0)}.${v.readInt32LE(4)})`,
    );
  }
  const establish = Buffer.alloc(12);
  establish.writeUInt32LE(SCOPE_SYSTEM, 0);
  socket.write(message(CMD.establish, establish));
  const e = await replies.read(12);
  check('SCardEstablishContext', e.readUInt32LE(8));
  const context = e.readUInt32LE(4);

  const request = Buffer.alloc(4 + READER_NAME_BYTES + 20);
  request.writeUInt32LE(context, 0);
  request.write(reader, 4, READER_NAME_BYTES - 1, 'latin1');
  request.writeUInt32LE(SHARE_SHARED, 4 + READER_NAME_BYTES);
  request.writeUInt32LE(PROTOCOL_T0_T1, 8 + READER_NAME_BYTES);
  socket.write(message(CMD.connect, request));
  const c = await replies.read(request.length);
  check('SCardConnect', c.readUInt32LE(20 + READER_NAME_BYTES));
  const card = c.readInt32LE(12 + READER_NAME_BYTES);
  const protocol = c.readUInt32LE(16 + READER_NAME_BYTES);

  return {
    async transmit(command) {
      const out = Buffer.alloc(8 + TRANSMIT_STRUCT_BYTES + command.length);
      out.writeUInt32LE(TRANSMIT_STRUCT_BYTES, 0);
      out.writeUInt32LE(CMD.transmit, 4);
      out.writeInt32LE(card, 8);
      out.writeUInt32LE(protocol, 12);
      out.writeUInt32LE(IO_REQUEST_BYTES, 16);
      out.writeUInt32LE(command.length, 20);
      out.writeUInt32LE(protocol, 24);
      out.writeUInt32LE(IO_REQUEST_BYTES, 28);
      out.writeUInt32LE(maxRecvLength, 32);
      out.set(command, 8 + TRANSMIT_STRUCT_BYTES);
      socket.write(out);
      const t = await replies.read(TRANSMIT_STRUCT_BYTES);
      check('SCardTransmit', t.readUInt32LE(28));
      return replies.read(t.readUInt32LE(24));
    },
    async close() {
      const disconnect = Buffer.alloc(12);
      disconnect.writeInt32LE(card, 0);
      disconnect.writeUInt32LE(LEAVE_CARD, 4);
      socket.write(message(CMD.disconnect, disconnect));
      await replies.read(12);
      const release = Buffer.alloc(8);
      release.writeUInt32LE(context, 0);
      socket.write(message(CMD.release, release));
      await replies.read(8);
      socket.destroy();
    },
  };
}
