import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fromHex, toHex } from '../../../src/apdu/index.js';
import {
  PcscServiceError,
  PcscTransportError,
  PcscdProtocolVersionError,
  PcscdSocketTransport,
} from '../../../src/terminal/index.js';
import { PcscdClient } from '../../../src/terminal/pcsc/pcscd-client.js';
import { rejection } from '../../support/throws.js';

/*
 * The pcscd socket backend against a pcscd stand-in on a socket of its own (no lab needed): what
 * the real pcscd never does on cue. Replies split over many reads, several in one read, a version
 * pcscd refuses, pcscd gone mid-exchange, pcscd silent.
 */

const LE = endianness() === 'LE';

function words(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (LE ? out.writeUInt32LE(v >>> 0, i * 4) : out.writeUInt32BE(v >>> 0, i * 4)));
  return out;
}

const word = (b: Buffer, at: number): number => (LE ? b.readUInt32LE(at) : b.readUInt32BE(at));

function readerStates(): Buffer {
  const states = Buffer.alloc(16 * 184);
  states.write('Fake Reader 0', 0, 'utf8');
  words(1, 0x34, 0).copy(states, 128);
  Buffer.from('3B00', 'hex').copy(states, 140);
  words(2, 2).copy(states, 176);
  return states;
}

type TransmitAnswer = (command: Buffer, socket: Socket) => void;

/** A pcscd that answers a single reader with a card in it; transmits as `transmit` says. */
class FakePcscd {
  readonly dir = mkdtempSync(join(tmpdir(), 'fake-pcscd-'));
  readonly path = join(this.dir, 'pcscd.comm');
  version = { major: 4, minor: 4, rv: 0 };
  /** Whether CMD_VERSION is answered at all. */
  answersVersion = true;
  readonly answer9000: TransmitAnswer = (_command, socket) =>
    socket.write(Buffer.concat([this.transmitStruct(2), Buffer.from('9000', 'hex')]));
  /** How transmits are answered; each test that changes it gets answer9000 back after it. */
  transmit: TransmitAnswer = this.answer9000;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server = createServer((socket) => this.serve(socket));

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  transmitStruct(recvLength: number, rv = 0): Buffer {
    return words(42, 2, 16, 0, 2, 16, recvLength, rv);
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
    socket.on('close', () => this.sockets.delete(socket));
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
        if (this.answersVersion) socket.write(words(this.version.major, this.version.minor, this.version.rv));
        return;
      case 0x01:
        socket.write(words(2, 7, 0));
        return;
      case 0x12:
      case 0x13:
        socket.write(readerStates());
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

describe('pcscd socket backend against a pcscd stand-in', () => {
  const pcscd = new FakePcscd();
  const opened: PcscdSocketTransport[] = [];
  const open = async (): Promise<PcscdSocketTransport> => {
    const transport = await PcscdSocketTransport.connect({ reader: 'Fake Reader 0', closeDisposition: 'leave' });
    opened.push(transport);
    return transport;
  };

  beforeAll(async () => {
    await pcscd.start();
    process.env.PCSCLITE_CSOCK_NAME = pcscd.path;
  });
  afterEach(async () => {
    for (const t of opened.splice(0)) await t.close();
    pcscd.version = { major: 4, minor: 4, rv: 0 };
    pcscd.answersVersion = true;
    pcscd.transmit = pcscd.answer9000;
  });
  afterAll(() => {
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd.stop();
  });

  it('connects: the ATR and protocol from pcscd, a transmit answered', async () => {
    const transport = await open();
    expect(toHex(transport.atr())).toBe('3B00');
    expect(transport.protocol).toBe('T=1');
    expect(transport.name).toBe('pcscd:Fake Reader 0');
    expect(toHex(await transport.transmit(fromHex('00A4000C023F00')))).toBe('9000');
  });

  it('a reply written one byte at a time is put together', async () => {
    pcscd.transmit = (_command, socket) => {
      const reply = Buffer.concat([pcscd.transmitStruct(4), Buffer.from('CAFE9000', 'hex')]);
      let i = 0;
      const next = (): void => {
        if (i < reply.length) socket.write(reply.subarray(i, ++i), () => setImmediate(next));
      };
      next();
    };
    const transport = await open();
    expect(toHex(await transport.transmit(fromHex('00B0000004')))).toBe('CAFE9000');
  });

  it('transmits under way at once are answered in order, also when their replies come in one read', async () => {
    const held: Array<{ command: Buffer; socket: Socket }> = [];
    pcscd.transmit = (command, socket) => {
      held.push({ command, socket });
      if (held.length < 3) return;
      // Each answer carries the last byte of its command, all three in one write.
      socket.write(
        Buffer.concat(
          held.map((h) => Buffer.concat([pcscd.transmitStruct(3), Buffer.from([h.command.at(-1) ?? 0, 0x90, 0x00])])),
        ),
      );
    };
    const transport = await open();
    const answers = await Promise.all(
      [1, 2, 3].map((n) => transport.transmit(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, n))),
    );
    expect(answers.map((a) => toHex(a))).toEqual(['019000', '029000', '039000']);
  });

  it('a PIN command goes in a request of its own, wiped once pcscd has answered; others reuse one', async () => {
    const transport = await open();
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
      await transport.transmit(fromHex('00A4000C023F00'));
      await transport.transmit(fromHex('0020000003123456'));
      await transport.transmit(fromHex('00B0000004'));
    } finally {
      spy.mockRestore();
    }
    expect(sent).toHaveLength(3);
    expect(sent[1]?.every((b) => b === 0)).toBe(true);
    expect(sent[2]?.buffer).toBe(sent[0]?.buffer);
    expect(toHex(sent[2]?.subarray(40) ?? new Uint8Array(0))).toBe('00B0000004');
  });

  it('a return code from pcscd is the typed error of the PC/SC table', async () => {
    pcscd.transmit = (_command, socket) => socket.write(pcscd.transmitStruct(0, 0x80100008));
    const transport = await open();
    const error = await rejection(transport.transmit(fromHex('00B0000004')));
    expect(error).toBeInstanceOf(PcscTransportError);
    expect((error as PcscTransportError).pcscName).toBe('SCARD_E_INSUFFICIENT_BUFFER');
  });

  it('a message protocol pcscd refuses: PcscdProtocolVersionError naming both versions', async () => {
    pcscd.version = { major: 4, minor: 5, rv: 0x8010001e };
    const error = await rejection(open());
    expect(error).toBeInstanceOf(PcscdProtocolVersionError);
    expect(error).toMatchObject({ code: 'PCSCD_PROTOCOL_VERSION', clientVersion: '4.4', serverVersion: '4.5' });
    expect((error as Error).message).toMatch(/4\.5.*4\.4/);
  });

  it('pcscd dying with a transmit under way fails it at once, and every later call', async () => {
    pcscd.transmit = () => undefined;
    const transport = await open();
    const inFlight = rejection(transport.transmit(fromHex('00B0000004')));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const died = performance.now();
    pcscd.die();
    expect(await inFlight).toBeInstanceOf(PcscServiceError);
    expect(performance.now() - died).toBeLessThan(500);
    await expect(transport.transmit(fromHex('00B0000004'))).rejects.toThrow();
  });

  it('no pcscd at the socket path: PcscServiceError', async () => {
    process.env.PCSCLITE_CSOCK_NAME = join(pcscd.dir, 'nothing-here.comm');
    try {
      const error = await rejection(open());
      expect(error).toBeInstanceOf(PcscServiceError);
      expect((error as PcscServiceError).pcscCode).toBe(0x8010001d);
    } finally {
      process.env.PCSCLITE_CSOCK_NAME = pcscd.path;
    }
  });

  it('a pcscd that does not answer fails the call within its bound', async () => {
    pcscd.answersVersion = false;
    const started = performance.now();
    const error = await rejection(
      PcscdClient.open(pcscd.path, { timeoutMs: 100, readBytes: 1024, holdsProcess: true }),
    );
    expect(error).toBeInstanceOf(PcscTransportError);
    expect((error as PcscTransportError).pcscName).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
