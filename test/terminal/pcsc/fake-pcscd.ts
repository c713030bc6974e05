import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * A pcscd stand-in on a socket of its own: message protocol 4.4 (or another, for the handshake),
 * one reader with a card in it, transmits answered as a test says. What the real pcscd never does
 * on cue.
 */

const SCARD_E_SERVICE_STOPPED = 0x8010001e;

const LE = endianness() === 'LE';

export function words(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (LE ? out.writeUInt32LE(v >>> 0, i * 4) : out.writeUInt32BE(v >>> 0, i * 4)));
  return out;
}

const word = (b: Buffer, at: number): number => (LE ? b.readUInt32LE(at) : b.readUInt32BE(at));

/** The reader table: 'Fake Reader 0', with a card (ATR 3B00, T=1) or empty; `counter` counts insertions and removals. */
function readerStates(present: boolean, counter: number): Buffer {
  const states = Buffer.alloc(16 * 184);
  states.write('Fake Reader 0', 0, 'utf8');
  words(counter, present ? 0x34 : 0x02, 0).copy(states, 128);
  if (present) {
    Buffer.from('3B00', 'hex').copy(states, 140);
    words(2, 2).copy(states, 176);
  }
  return states;
}

type TransmitAnswer = (command: Buffer, socket: Socket) => void;

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
  private readonly sockets = new Set<Socket>();
  /** Clients parked in CMD_WAIT_READER_STATE_CHANGE, signalled on the next change. */
  private readonly waiting = new Set<Socket>();
  private present = true;
  private eventCounter = 1;
  private readonly server: Server = createServer((socket) => this.serve(socket));

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  transmitStruct(recvLength: number, rv = 0): Buffer {
    return words(42, 2, 16, 0, 2, 16, recvLength, rv);
  }

  /** The card goes in or out: the reader table changes and every waiting client is signalled. */
  setCard(present: boolean): void {
    this.present = present;
    this.eventCounter++;
    for (const socket of this.waiting) socket.write(words(0, 0));
    this.waiting.clear();
  }

  /** pcscd dies: every client connection closes. */
  die(): void {
    for (const socket of this.sockets) socket.destroy();
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
        socket.write(words(2, 7, 0));
        return;
      case 0x13:
        this.waiting.add(socket);
        socket.write(readerStates(this.present, this.eventCounter));
        return;
      case 0x12:
        socket.write(readerStates(this.present, this.eventCounter));
        return;
      case 0x04: {
        const reply = Buffer.from(body);
        words(42, 2, 0).copy(reply, 4 + 128 + 8);
        socket.write(reply);
        return;
      }
      case 0x09:
        this.transmit(apdu, socket);
        return;
      case 0x06:
        socket.write(words(42, 0, 0));
        return;
      case 0x02:
        socket.write(words(7, 0));
        return;
    }
  }
}
