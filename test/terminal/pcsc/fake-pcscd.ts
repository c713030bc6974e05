import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { PcscdClient } from '../../../src/terminal/pcsc/pcscd-client.js';

/*
 * A pcscd stand-in on a socket of its own: message protocol 4.4 (or another, for the handshake),
 * a reader table a test changes (cards in and out, readers coming and going), every request kept
 * for the test to read, transmits answered as a test says. What the real pcscd never does on cue.
 */

const SCARD_E_SERVICE_STOPPED = 0x8010001e;

const LE = endianness() === 'LE';

export function words(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (LE ? out.writeUInt32LE(v >>> 0, i * 4) : out.writeUInt32BE(v >>> 0, i * 4)));
  return out;
}

/** The 32-bit field at `at` of a request's struct, in host byte order as pcscd reads it. */
export const word = (b: Buffer, at: number): number => (LE ? b.readUInt32LE(at) : b.readUInt32BE(at));

/** A reader of the table; `counter` counts its card's insertions and removals. */
interface FakeReader {
  name: string;
  present: boolean;
  counter: number;
  /** The card's ATR, hex (T=1). */
  atr: string;
}

export const FAKE_READER = 'Fake Reader 0';
const FIRST_READER: FakeReader = { name: FAKE_READER, present: true, counter: 1, atr: '3B00' };

/** CMD_GET_READERS_STATE's answer: 16 records of 184 bytes, the unused ones all zero. */
function readerStates(readers: readonly FakeReader[]): Buffer {
  const states = Buffer.alloc(16 * 184);
  readers.forEach((reader, i) => {
    const at = i * 184;
    states.write(reader.name, at, 'utf8');
    words(reader.counter, reader.present ? 0x34 : 0x02, 0).copy(states, at + 128);
    if (!reader.present) return;
    const atr = Buffer.from(reader.atr, 'hex');
    atr.copy(states, at + 140);
    words(atr.length, 2).copy(states, at + 176);
  });
  return states;
}

type TransmitAnswer = (command: Buffer, socket: Socket) => void;

/** A request as pcscd read it: the command and its struct (a transmit's command bytes left out). */
export interface FakeRequest {
  command: number;
  body: Buffer;
}

/** A pcscd that answers a single reader with a card in it; transmits as `transmit` says. */
export class FakePcscd {
  readonly dir = mkdtempSync(join(tmpdir(), 'fake-pcscd-'));
  readonly path = join(this.dir, 'pcscd.comm');
  /** pcscd's own message protocol, which it names in every CMD_VERSION answer. */
  version = { major: 4, minor: 4 };
  /** pcsc-lite up to 2.4.0: only its own version. */
  readonly acceptsOwn = (major: number, minor: number): boolean =>
    major === this.version.major && minor === this.version.minor;
  /** Which client versions it serves. */
  accepts: (major: number, minor: number) => boolean = this.acceptsOwn;
  /** The versions clients asked for, as 'major.minor', in order. */
  readonly asked: string[] = [];
  /** Whether CMD_VERSION is answered at all. */
  answersVersion = true;
  readonly answer9000: TransmitAnswer = (_command, socket) =>
    socket.write(Buffer.concat([this.transmitStruct(2), Buffer.from('9000', 'hex')]));
  /** How transmits are answered; each test that changes it gets answer9000 back after it. */
  transmit: TransmitAnswer = this.answer9000;
  /** Every request after the version handshake, in the order pcscd read them. */
  readonly requests: FakeRequest[] = [];
  /** What SCardConnect and SCardReconnect answer: the protocol pcscd settled on, the return code. */
  connectReply = { protocol: 2, rv: 0 };
  reconnectReply = { protocol: 2, rv: 0 };
  establishRv = 0;
  disconnectRv = 0;
  /** Commands left unanswered, and commands on which pcscd hangs up instead. */
  readonly silentOn = new Set<number>();
  readonly hangUpOn = new Set<number>();
  private readonly sockets = new Set<Socket>();
  /** Clients parked in CMD_WAIT_READER_STATE_CHANGE, signalled on the next change. */
  private readonly waiting = new Set<Socket>();
  private readers: FakeReader[] = [{ ...FIRST_READER }];
  private readonly server: Server = createServer((socket) => this.serve(socket));

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  transmitStruct(recvLength: number, rv = 0): Buffer {
    return words(42, 2, 16, 0, 2, 16, recvLength, rv);
  }

  /** Open client connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** The structs of the requests with this command, in order. */
  sent(command: number): Buffer[] {
    return this.requests.filter((r) => r.command === command).map((r) => r.body);
  }

  /** The card goes in or out: the reader table changes and every waiting client is signalled. */
  setCard(present: boolean, reader = FAKE_READER): void {
    this.change(reader, (r) => {
      r.present = present;
      r.counter++;
    });
  }

  /** Another card in its place, pulled and put back between two signals: two events, one signal. */
  swapCard(atr: string, reader = FAKE_READER): void {
    this.change(reader, (r) => {
      r.present = true;
      r.atr = atr;
      r.counter += 2;
    });
  }

  /** A reader comes (empty) or goes. */
  attachReader(name: string): void {
    this.readers.push({ name, present: false, counter: 0, atr: '' });
    this.signal();
  }

  detachReader(name: string): void {
    this.readers = this.readers.filter((r) => r.name !== name);
    this.signal();
  }

  /** Back to one reader with its card, every answer as at the start, the request log empty. */
  reset(): void {
    this.version = { major: 4, minor: 4 };
    this.accepts = this.acceptsOwn;
    this.answersVersion = true;
    this.transmit = this.answer9000;
    this.connectReply = { protocol: 2, rv: 0 };
    this.reconnectReply = { protocol: 2, rv: 0 };
    this.establishRv = 0;
    this.disconnectRv = 0;
    this.silentOn.clear();
    this.hangUpOn.clear();
    this.requests.length = 0;
    const counter = Math.max(...this.readers.map((r) => r.counter), 0) + 1;
    this.readers = [{ ...FIRST_READER, counter }];
    this.signal();
  }

  /** pcscd dies: every client connection closes. */
  die(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private change(name: string, edit: (reader: FakeReader) => void): void {
    const reader = this.readers.find((r) => r.name === name);
    if (reader === undefined) throw new Error(`no reader ${name} in the table`);
    edit(reader);
    this.signal();
  }

  private signal(): void {
    for (const socket of this.waiting) socket.write(words(0, 0));
    this.waiting.clear();
  }

  stop(): void {
    this.die();
    this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.waiting.delete(socket);
    });
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (pending.length < 8) return;
        const size = word(pending, 0);
        const command = word(pending, 4);
        const extra = command === 0x09 && pending.length >= 8 + 32 ? word(pending, 8 + 12) : 0;
        if (command === 0x09 && pending.length < 8 + 32) return;
        if (pending.length < 8 + size + extra) return;
        const body = pending.subarray(8, 8 + size);
        const apdu = pending.subarray(8 + size, 8 + size + extra);
        pending = pending.subarray(8 + size + extra);
        this.answer(socket, command, body, Buffer.from(apdu));
      }
    });
  }

  private answer(socket: Socket, command: number, body: Buffer, apdu: Buffer): void {
    if (command !== 0x11) this.requests.push({ command, body: Buffer.from(body) });
    if (this.hangUpOn.has(command)) {
      socket.destroy();
      return;
    }
    if (this.silentOn.has(command)) return;
    switch (command) {
      case 0x11:
        if (!this.answersVersion) return;
        this.asked.push(`${word(body, 0)}.${word(body, 4)}`);
        socket.write(
          words(
            this.version.major,
            this.version.minor,
            this.accepts(word(body, 0), word(body, 4)) ? 0 : SCARD_E_SERVICE_STOPPED,
          ),
        );
        return;
      case 0x01:
        socket.write(words(2, 7, this.establishRv));
        return;
      case 0x13:
        this.waiting.add(socket);
        socket.write(readerStates(this.readers));
        return;
      case 0x12:
        socket.write(readerStates(this.readers));
        return;
      case 0x04: {
        // context, reader[128], share, preferred protocols, then card, active protocol, rv.
        const reply = Buffer.from(body);
        words(42, this.connectReply.protocol, this.connectReply.rv).copy(reply, 4 + 128 + 8);
        socket.write(reply);
        return;
      }
      case 0x05: {
        // card, share, preferred protocols, initialization, then active protocol, rv.
        const reply = Buffer.from(body);
        words(this.reconnectReply.protocol, this.reconnectReply.rv).copy(reply, 16);
        socket.write(reply);
        return;
      }
      case 0x09:
        this.transmit(apdu, socket);
        return;
      case 0x06: {
        // card, disposition, rv.
        const reply = Buffer.from(body);
        words(this.disconnectRv).copy(reply, 8);
        socket.write(reply);
        return;
      }
      case 0x02:
        socket.write(words(7, 0));
        return;
    }
  }
}

/**
 * The transmit requests the backend hands its pcscd connection while `run` runs, as the very
 * buffers it passed (so a test sees which ones it reused, and what they hold afterwards).
 */
export async function transmitRequests(run: () => Promise<unknown>): Promise<Uint8Array[]> {
  const sent: Uint8Array[] = [];
  const original = PcscdClient.prototype.transmit;
  const spy = vi.spyOn(PcscdClient.prototype, 'transmit').mockImplementation(function (
    this: PcscdClient,
    request: Uint8Array,
  ) {
    sent.push(request);
    return original.call(this, request);
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return sent;
}
