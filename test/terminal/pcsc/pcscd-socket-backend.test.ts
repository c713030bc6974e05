import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/apdu/index.js';
import {
  PcscServiceError,
  PcscTransportError,
  PcscdProtocolVersionError,
  PcscdSocketTransport,
} from '../../../src/terminal/index.js';
import { PcscdClient } from '../../../src/terminal/pcsc/pcscd-client.js';
import { rejection } from '../../support/throws.js';
import { FakePcscd, transmitRequests } from './fake-pcscd.js';

/*
 * The pcscd socket backend against a pcscd stand-in on a socket of its own (no lab needed): what
 * the real pcscd never does on cue. Replies split over many reads, several in one read, a version
 * pcscd refuses, pcscd gone mid-exchange, pcscd silent.
 */

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
    pcscd.reset();
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
    const sent = await transmitRequests(async () => {
      await transport.transmit(fromHex('00A4000C023F00'));
      await transport.transmit(fromHex('0020000003123456'));
      await transport.transmit(fromHex('00B0000004'));
    });
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
    pcscd.version = { major: 4, minor: 3 };
    const error = await rejection(open());
    expect(error).toBeInstanceOf(PcscdProtocolVersionError);
    expect(error).toMatchObject({ code: 'PCSCD_PROTOCOL_VERSION', clientVersion: '4.4/4.5', serverVersion: '4.3' });
    expect((error as Error).message).toMatch(/4\.3.*4\.4\/4\.5/);
  });

  it('a pcscd that serves only 4.5 (pcsc-lite 2.3.0 to 2.4.0) is asked again for 4.5, and works', async () => {
    pcscd.version = { major: 4, minor: 5 };
    const transport = await open();
    expect(pcscd.asked.slice(-2)).toEqual(['4.4', '4.5']);
    expect(toHex(await transport.transmit(fromHex('00A4000C023F00')))).toBe('9000');
  });

  it('a pcscd that accepts an older minor (pcsc-lite 2.4.1 on) is used at 4.4 as it answers', async () => {
    pcscd.version = { major: 4, minor: 6 };
    pcscd.accepts = (major, minor) => major === 4 && minor >= 4 && minor <= 6;
    const transport = await open();
    expect(pcscd.asked.at(-1)).toBe('4.4');
    expect(toHex(await transport.transmit(fromHex('00A4000C023F00')))).toBe('9000');
  });

  it('pcscd dying with a transmit under way fails it at once, and every later call', async () => {
    pcscd.transmit = () => undefined;
    const transport = await open();
    const inFlight = rejection(transport.transmit(fromHex('00B0000004')));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const died = performance.now();
    pcscd.die();
    expect(await inFlight).toBeInstanceOf(PcscServiceError);
    // At once: no bound ran out (the socket's close fails it), with room for a busy machine.
    expect(performance.now() - died).toBeLessThan(2000);
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
