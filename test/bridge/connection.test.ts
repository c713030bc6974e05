import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/apdu/index.js';
import { connectToVpcd, encodeFrame, FrameDecoder, VpcdConnection, VpcdError } from '../../src/bridge/index.js';
import type { VpcdEvent } from '../../src/bridge/index.js';
import { FixedCard } from './fixed-card.js';
import { until } from '../support/until.js';

/*
 * The socket side of the bridge against a stand-in for pcscd's vpcd driver on an ephemeral
 * loopback port, which can drop connections and refuse them on cue (restarting the machine's
 * real pcscd for that would take seconds and disturb everything else using it). It writes each
 * frame as vpcd 0.8 does: the 2-byte length and the payload in separate writes. The real driver is
 * exercised by pcsc.test.ts.
 */

class FakeVpcd {
  readonly server = net.createServer();
  readonly sockets = new Set<net.Socket>();
  readonly peers: Peer[] = [];
  port = 0;

  async listen(port = 0): Promise<this> {
    this.server.on('connection', (s) => {
      s.setNoDelay(true);
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
      this.peers.push(new Peer(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async waitPeers(n: number, timeoutMs = 3000): Promise<Peer> {
    const deadline = Date.now() + timeoutMs;
    while (this.peers.length < n) {
      if (Date.now() > deadline)
        throw new Error(`only ${this.peers.length} of ${n} connections within ${timeoutMs} ms`);
      await sleep(5);
    }
    return this.peers[n - 1]!;
  }

  /** Stops listening and drops every connection (pcscd going away). */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The driver's view of one card connection. */
class Peer {
  readonly decoder = new FrameDecoder();
  readonly replies: Uint8Array[] = [];
  ended = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (c) => this.replies.push(...this.decoder.push(c)));
    socket.on('end', () => {
      this.ended = true;
    });
  }

  /** Sends a frame in two writes, length then payload, like vpcd 0.8. */
  async send(payload: Uint8Array): Promise<void> {
    const frame = encodeFrame(payload);
    this.socket.write(frame.subarray(0, 2));
    await sleep(2);
    this.socket.write(frame.subarray(2));
  }

  async reply(n: number, timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length < n) {
      if (Date.now() > deadline) throw new Error(`no reply #${n} within ${timeoutMs} ms`);
      await sleep(2);
    }
    return toHex(this.replies[n - 1]!);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port with nothing listening (bound and released at once). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options?: {
  reconnect?: { initialDelayMs?: number; factor?: number; maxAttempts?: number } | false;
}) {
  const vpcd = await new FakeVpcd().listen();
  cleanups.push(() => vpcd.stop());
  const card = new FixedCard('3B 80 80 01 01', { '00A4000C023F00': '9000' });
  const events: VpcdEvent[] = [];
  const bridge = new VpcdConnection({ card, host: '127.0.0.1', port: vpcd.port, ...options });
  cleanups.push(() => bridge.close());
  bridge.onEvent((e) => events.push(e));
  await bridge.start();
  const peer = await vpcd.waitPeers(1);
  return { vpcd, card, bridge, events, peer };
}

describe('VpcdConnection over TCP', () => {
  it('answers the driver: ATR poll while off, power on, APDU, reset, power off', async () => {
    const { card, bridge, peer } = await setup();
    expect(bridge.state).toBe('connected');
    await peer.send(Uint8Array.of(0x04));
    expect(await peer.reply(1)).toBe('3B80800101');
    await bridge.waitAttached(1000);
    await peer.send(Uint8Array.of(0x01));
    await peer.send(fromHex('00A4000C023F00'));
    expect(await peer.reply(2)).toBe('9000');
    await peer.send(Uint8Array.of(0x02));
    await peer.send(Uint8Array.of(0x00));
    await peer.send(Uint8Array.of(0x04));
    expect(await peer.reply(3)).toBe('3B80800101');
    expect(card.controls).toEqual(['power-on', 'reset-warm', 'power-off']);
    expect(peer.replies.length).toBe(3);
  });

  it('gives a listener that takes no exchanges its lifecycle events alone, and makes none while nobody takes them', async () => {
    const vpcd = await new FakeVpcd().listen();
    cleanups.push(() => vpcd.stop());
    const card = new FixedCard('3B 80 80 01 01', { '00A4000C023F00': '9000' });
    const bridge = new VpcdConnection({ card, host: '127.0.0.1', port: vpcd.port });
    cleanups.push(() => bridge.close());
    const quiet: string[] = [];
    const all: string[] = [];
    bridge.onEvent((e) => quiet.push(e.type), { exchanges: false });
    await bridge.start();
    const peer = await vpcd.waitPeers(1);
    await peer.send(Uint8Array.of(0x01));
    await peer.send(fromHex('00A4000C023F00'));
    expect(await peer.reply(1)).toBe('9000');
    const off = bridge.onEvent((e) => all.push(e.type));
    await peer.send(fromHex('00A4000C023F00'));
    expect(await peer.reply(2)).toBe('9000');
    off();
    await peer.send(fromHex('00A4000C023F00'));
    expect(await peer.reply(3)).toBe('9000');
    expect(quiet).toEqual(['connecting', 'connected', 'attached']);
    expect(all).toEqual(['command', 'response']);
  });

  it('answers every frame of a burst that arrives in one chunk, in order', async () => {
    const { peer } = await setup();
    const burst = concatBytes(
      encodeFrame(Uint8Array.of(0x04)),
      encodeFrame(Uint8Array.of(0x01)),
      encodeFrame(fromHex('00B2010400')),
      encodeFrame(fromHex('00A4000C023F00')),
      encodeFrame(fromHex('00B0000000')),
    );
    peer.socket.write(burst);
    expect(await peer.reply(4)).toBe('B09000');
    expect(peer.replies.map((r) => toHex(r))).toEqual(['3B80800101', 'B29000', '9000', 'B09000']);
  });

  it('gives the card commands of its own: one kept by the card survives the reads after it', async () => {
    const { card, peer } = await setup();
    // The bridge reads every chunk into one reused buffer: a card may keep what it is given.
    const kept: Uint8Array[] = [];
    const transmit = card.transmit.bind(card);
    card.transmit = (command: Uint8Array): Uint8Array => {
      kept.push(command);
      return transmit(command);
    };
    await peer.send(Uint8Array.of(0x01));
    // Two whole frames in one read, then frames read in two parts each (length, then payload).
    peer.socket.write(concatBytes(encodeFrame(fromHex('00B0000000')), encodeFrame(fromHex('00CA9F1700'))));
    expect(await peer.reply(2)).toBe('CA9000');
    await peer.send(fromHex('00A4000C023F00'));
    await peer.send(fromHex('00B2010400'));
    expect(await peer.reply(4)).toBe('B29000');
    expect(kept.map((c) => toHex(c))).toEqual(['00B0000000', '00CA9F1700', '00A4000C023F00', '00B2010400']);
  });

  it('close() ends the socket (the reader sees the card leave) and powers the card off', async () => {
    const { card, bridge, events, peer } = await setup();
    await peer.send(Uint8Array.of(0x01));
    await peer.send(Uint8Array.of(0x04));
    await peer.reply(1);
    expect(card.powered).toBe(true);
    await bridge.close();
    await until('FIN at the driver', () => peer.ended);
    expect(bridge.state).toBe('closed');
    expect(card.powered).toBe(false);
    expect(events.at(-1)).toEqual({ type: 'closed' });
    await bridge.close();
    await expect(bridge.waitAttached(10)).rejects.toMatchObject({ code: 'VPCD_CLOSED' });
    await expect(bridge.start()).resolves.toBeUndefined();
  });

  it('a lost connection is reported and retried; the card was pulled, so it is powered off', async () => {
    const { vpcd, card, bridge, events, peer } = await setup({ reconnect: { initialDelayMs: 20 } });
    await peer.send(Uint8Array.of(0x01));
    await peer.send(Uint8Array.of(0x04));
    await peer.reply(1);
    peer.socket.destroy();
    const again = await vpcd.waitPeers(2);
    await again.send(Uint8Array.of(0x04));
    expect(await again.reply(1)).toBe('3B80800101');
    expect(card.powered).toBe(false);
    expect(bridge.state).toBe('connected');
    const lost = events.find((e) => e.type === 'disconnected');
    expect(lost).toMatchObject({ type: 'disconnected', reason: 'peer', willRetry: true, retryInMs: 20 });
    expect(events.filter((e) => e.type === 'connected').length).toBe(2);
    expect(events.filter((e) => e.type === 'attached').length).toBe(2);
  });

  it('backs off exponentially while the reader is gone, then reconnects', async () => {
    const { vpcd, bridge, events } = await setup({ reconnect: { initialDelayMs: 20, factor: 2 } });
    const port = vpcd.port;
    await vpcd.stop();
    await until('three failed attempts', () => events.filter((e) => e.type === 'connect-failed').length >= 3);
    const failures = events.filter((e) => e.type === 'connect-failed');
    expect(
      failures.slice(0, 3).map((e) => e.type === 'connect-failed' && [e.attempt, e.retryInMs, e.willRetry]),
    ).toEqual([
      [1, 40, true],
      [2, 80, true],
      [3, 160, true],
    ]);
    expect(events.find((e) => e.type === 'disconnected')).toMatchObject({ willRetry: true, retryInMs: 20 });
    const back = await new FakeVpcd().listen(port);
    cleanups.push(() => back.stop());
    const peer = await back.waitPeers(1, 5000);
    await until('connected again', () => bridge.state === 'connected');
    await peer.send(fromHex('00A4000C023F00'));
    expect(await peer.reply(1)).toBe('9000');
  });

  it('gives up after maxAttempts consecutive failures and closes', async () => {
    const { vpcd, bridge, events } = await setup({ reconnect: { initialDelayMs: 5, maxAttempts: 2 } });
    await vpcd.stop();
    await until('closed', () => bridge.state === 'closed');
    const failures = events.filter((e) => e.type === 'connect-failed');
    expect(failures.map((e) => e.type === 'connect-failed' && e.willRetry)).toEqual([true, false]);
    expect(events.at(-1)).toEqual({ type: 'closed' });
  });

  it('start() is bounded: VPCD_CONNECT_TIMEOUT when nothing listens, then closed', async () => {
    const port = await freePort();
    const bridge = new VpcdConnection({
      card: new FixedCard(),
      host: '127.0.0.1',
      port,
      connectTimeoutMs: 150,
      reconnect: { initialDelayMs: 10 },
    });
    cleanups.push(() => bridge.close());
    const err = await bridge.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VpcdError);
    expect(err).toMatchObject({ code: 'VPCD_CONNECT_TIMEOUT' });
    expect((err as Error).message).toMatch(/scripts\/pcsc-lab up/);
    await until('closed', () => bridge.state === 'closed');
  });

  it('with reconnect: false, a refused first connection is VPCD_CONNECT_FAILED', async () => {
    const port = await freePort();
    const err = await connectToVpcd({ card: new FixedCard(), host: '127.0.0.1', port, reconnect: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'VPCD_CONNECT_FAILED' });
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('waitAttached is bounded when the reader never talks (slot held by another card)', async () => {
    const { bridge } = await setup();
    const err = await bridge.waitAttached(50).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VPCD_ATTACH_TIMEOUT' });
    expect((err as Error).message).toMatch(/another card may hold this reader slot/);
  });

  it('logs with PIN data masked, and a throwing listener does not stop the card', async () => {
    const vpcd = await new FakeVpcd().listen();
    cleanups.push(() => vpcd.stop());
    const lines: string[] = [];
    const bridge = await connectToVpcd({
      card: new FixedCard(),
      host: '127.0.0.1',
      port: vpcd.port,
      log: (l) => lines.push(l),
    });
    cleanups.push(() => bridge.close());
    let thrown = false;
    bridge.onEvent(() => {
      if (thrown) return;
      thrown = true;
      throw new Error('listener bug (expected in this test)');
    });
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', onWarning);
    cleanups.push(async () => process.off('warning', onWarning));
    const peer = await vpcd.waitPeers(1);
    await peer.send(Uint8Array.of(0x04));
    await peer.send(fromHex('0020000003987654'));
    await peer.send(fromHex('805E01000798765 4FF123456'.replace(' ', '')));
    expect(await peer.reply(3)).toBe('5E9000');
    await until('warnings delivered', () => warnings.length >= 1);
    expect(warnings.some((w) => w.includes('listener threw'))).toBe(true);
    const text = lines.join('\n');
    expect(text).toContain('vpcd: -> 00 20 00 00 ****');
    expect(text).toContain('vpcd: -> 80 5E 01 00 ****');
    expect(text).not.toMatch(/98 ?76 ?54/);
    expect(text).not.toMatch(/12 ?34 ?56/);
    // ATR polls are not logged by default.
    expect(text).not.toContain('atr-request');
  });

  it('rejects bad options by name', () => {
    expect(() => new VpcdConnection({ card: new FixedCard(), port: 70000 })).toThrow(/options.port/);
    expect(() => new VpcdConnection({ card: new FixedCard(), connectTimeoutMs: -1 })).toThrow(/connectTimeoutMs/);
    expect(() => new VpcdConnection({ card: {} as never })).toThrow(VpcdError);
  });
});
