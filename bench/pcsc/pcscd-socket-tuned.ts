/*
 * The probe of pcscd-socket-probe.ts with its per-exchange path tuned: one socket.write of a
 * command buffer made once, replies read by Node's static-buffer `onread` (no 'data' event, no
 * Buffer.concat), and the exchange settled from inside the read callback when the whole reply
 * (transmit struct + response) is there, so one promise per exchange and nothing else allocated
 * but the answer's copy.
 */
import { connect, type Socket } from 'node:net';
import { PcscdProtocolError } from './pcscd-socket-probe.js';

const SOCKET = process.env.PCSCLITE_CSOCK_NAME ?? '/run/pcscd/pcscd.comm';
const CMD = { establish: 0x01, release: 0x02, connect: 0x04, disconnect: 0x06, transmit: 0x09, version: 0x11 };
const READER_NAME_BYTES = 128;
const TRANSMIT_STRUCT_BYTES = 32;
const IO_REQUEST_BYTES = 16;

export interface TunedCard {
  transmit(command: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function openTuned(reader: string, maxRecvLength: number): Promise<TunedCard> {
  const readBuffer = Buffer.allocUnsafe(65536 + 64);
  const acc = Buffer.allocUnsafe(65536 + 64);
  let have = 0;
  // What the pending request waits for: a fixed reply, or a transmit (struct then body).
  let fixed = 0;
  let isTransmit = false;
  let resolveFixed: ((b: Buffer) => void) | undefined;
  let resolveTx: ((b: Uint8Array) => void) | undefined;
  let reject: ((e: Error) => void) | undefined;

  const settle = (bytes: Buffer, start: number, end: number): number => {
    // returns bytes consumed, or -1 if incomplete
    const n = end - start;
    if (isTransmit) {
      if (n < TRANSMIT_STRUCT_BYTES) return -1;
      const rv = bytes.readUInt32LE(start + 28);
      if (rv !== 0) {
        const r = reject;
        resolveTx = undefined;
        reject = undefined;
        r?.(new PcscdProtocolError(`SCardTransmit: 0x${rv.toString(16)}`));
        return TRANSMIT_STRUCT_BYTES;
      }
      const len = bytes.readUInt32LE(start + 24);
      if (n < TRANSMIT_STRUCT_BYTES + len) return -1;
      const out = new Uint8Array(len);
      out.set(bytes.subarray(start + TRANSMIT_STRUCT_BYTES, start + TRANSMIT_STRUCT_BYTES + len));
      const r = resolveTx;
      resolveTx = undefined;
      reject = undefined;
      r?.(out);
      return TRANSMIT_STRUCT_BYTES + len;
    }
    if (n < fixed) return -1;
    const r = resolveFixed;
    resolveFixed = undefined;
    reject = undefined;
    r?.(Buffer.from(bytes.subarray(start, start + fixed)));
    return fixed;
  };

  const socket: Socket = connect({
    path: SOCKET,
    onread: {
      buffer: readBuffer,
      callback(nread: number, buf: Uint8Array): boolean {
        if (have === 0) {
          const used = settle(buf as Buffer, 0, nread);
          if (used === -1) {
            (buf as Buffer).copy(acc, 0, 0, nread);
            have = nread;
          }
          return true;
        }
        (buf as Buffer).copy(acc, have, 0, nread);
        have += nread;
        if (settle(acc, 0, have) !== -1) have = 0;
        return true;
      },
    },
  });
  await new Promise<void>((resolve, rej) => {
    socket.once('connect', resolve);
    socket.once('error', rej);
  });
  socket.on('error', (e) => reject?.(e));
  socket.on('close', () => reject?.(new PcscdProtocolError('pcscd closed the connection')));

  const call = (command: number, body: Buffer, replyBytes: number): Promise<Buffer> => {
    const msg = Buffer.alloc(8 + body.length);
    msg.writeUInt32LE(body.length, 0);
    msg.writeUInt32LE(command, 4);
    body.copy(msg, 8);
    return new Promise((resolve, rej) => {
      isTransmit = false;
      fixed = replyBytes;
      resolveFixed = resolve;
      reject = rej;
      socket.write(msg);
    });
  };

  const version = Buffer.alloc(12);
  version.writeInt32LE(4, 0);
  version.writeInt32LE(4, 4);
  const v = await call(CMD.version, version, 12);
  if (v.readUInt32LE(8) !== 0) throw new PcscdProtocolError('version');
  const establish = Buffer.alloc(12);
  establish.writeUInt32LE(2, 0);
  const e = await call(CMD.establish, establish, 12);
  const context = e.readUInt32LE(4);
  const request = Buffer.alloc(4 + READER_NAME_BYTES + 20);
  request.writeUInt32LE(context, 0);
  request.write(reader, 4, READER_NAME_BYTES - 1, 'latin1');
  request.writeUInt32LE(2, 4 + READER_NAME_BYTES);
  request.writeUInt32LE(3, 8 + READER_NAME_BYTES);
  const c = await call(CMD.connect, request, request.length);
  if (c.readUInt32LE(20 + READER_NAME_BYTES) !== 0) throw new PcscdProtocolError('connect');
  const card = c.readInt32LE(12 + READER_NAME_BYTES);
  const protocol = c.readUInt32LE(16 + READER_NAME_BYTES);

  const out = Buffer.alloc(8 + TRANSMIT_STRUCT_BYTES + 65544);
  out.writeUInt32LE(TRANSMIT_STRUCT_BYTES, 0);
  out.writeUInt32LE(CMD.transmit, 4);
  out.writeInt32LE(card, 8);
  out.writeUInt32LE(protocol, 12);
  out.writeUInt32LE(IO_REQUEST_BYTES, 16);
  out.writeUInt32LE(protocol, 24);
  out.writeUInt32LE(IO_REQUEST_BYTES, 28);
  out.writeUInt32LE(maxRecvLength, 32);
  const HEAD = 8 + TRANSMIT_STRUCT_BYTES;

  return {
    transmit(command) {
      out.writeUInt32LE(command.length, 20);
      out.set(command, HEAD);
      return new Promise<Uint8Array>((resolve, rej) => {
        isTransmit = true;
        resolveTx = resolve;
        reject = rej;
        socket.write(out.subarray(0, HEAD + command.length));
      });
    },
    async close() {
      const d = Buffer.alloc(12);
      d.writeInt32LE(card, 0);
      await call(CMD.disconnect, d, 12);
      const r = Buffer.alloc(8);
      r.writeUInt32LE(context, 0);
      await call(CMD.release, r, 8);
      socket.destroy();
    },
  };
}
