import { describe, expect, it } from 'vitest';
import { commandApdu, fromHex, toHex } from '../../src/apdu/index.js';
import {
  CardChannel,
  CardProtocolError,
  CardResetError,
  ChannelClosedError,
  InvalidArgumentError,
  TransportError,
} from '../../src/terminal/index.js';
import { expectThrowsClass } from '../support/throws.js';
import { RecordingTransport } from './recording-transport.js';
import { ScriptedCard, bytes, never, ok, reply, t0Card } from './scripted-card.js';
import { channelFor, READ } from './channel-rig.js';

// The channel's limits at their bounds (a limit reached is allowed, one past it is refused), its
// option checks, and the transport seam a card in memory does not exercise: a transport without
// `transmitDirect`, its own events, and a reset that answers something other than an ATR.

describe('CardChannel limits at their bounds', () => {
  it('a chain of exactly maxGetResponseRounds GET RESPONSE commands completes', async () => {
    // 5 chunks of 2 bytes: the command is answered 6102, then 4 GET RESPONSE announce more, the 5th ends.
    const card = t0Card(bytes(10), 2);
    const r = await channelFor(card, { maxGetResponseRounds: 5 }).transmit(READ);
    expect(r.sw).toBe(0x9000);
    expect(r.data.length).toBe(10);
    expect(card.log.length).toBe(6);
    const over = t0Card(bytes(12), 2);
    await expect(channelFor(over, { maxGetResponseRounds: 5 }).transmit(READ)).rejects.toThrow(
      /more than 5 GET RESPONSE commands/,
    );
  });

  it('a chain of exactly maxResponseBytes bytes is returned whole; one byte more is refused', async () => {
    const r = await channelFor(t0Card(bytes(600)), { maxResponseBytes: 600 }).transmit(READ);
    expect(r.data.length).toBe(600);
    const err = await channelFor(t0Card(bytes(601)), { maxResponseBytes: 600 })
      .transmit(READ)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardProtocolError);
    expect((err as Error).message).toMatch(/more than 600 response bytes/);
  });

  it('a single answer of exactly maxResponseBytes is returned; one byte more is refused', async () => {
    const exact = await channelFor(new ScriptedCard(() => ok(bytes(300))), { maxResponseBytes: 300 }).transmit(READ);
    expect(exact.data.length).toBe(300);
    const err = await channelFor(new ScriptedCard(() => ok(bytes(301))), { maxResponseBytes: 300 })
      .transmit(READ)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardProtocolError);
    expect((err as Error).message).toBe('card returned 301 response bytes, more than 300');
  });

  it('an answer of the status word alone is a response, one of fewer bytes says how many came', async () => {
    const r = await channelFor(new ScriptedCard(() => reply(0x6a82))).transmit(READ);
    expect(r).toMatchObject({ sw: 0x6a82, sw1: 0x6a, sw2: 0x82 });
    expect(r.data.length).toBe(0);
    const err = await channelFor(new ScriptedCard(() => Uint8Array.of(0x90)))
      .transmit(READ)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toBe('response shorter than 2 bytes (got 1)');
  });
});

describe('CardChannel options', () => {
  it.each([0, -1, 1.5, Number.NaN])('refuses %s as timeoutMs, maxGetResponseRounds or maxResponseBytes', (value) => {
    const card = new ScriptedCard(() => ok());
    for (const name of ['timeoutMs', 'maxGetResponseRounds', 'maxResponseBytes'] as const) {
      expectThrowsClass(
        () => channelFor(card, { [name]: value }),
        InvalidArgumentError,
        new RegExp(`^${name} must be a positive integer, got ${String(value)}$`),
      );
    }
  });

  it('takes 1 as the smallest limit of each kind', async () => {
    const channel = channelFor(t0Card(bytes(1)), { timeoutMs: 1000, maxGetResponseRounds: 1, maxResponseBytes: 1 });
    expect((await channel.transmit(READ)).data.length).toBe(1);
  });

  it('refuses a per-call timeoutMs that is not a positive integer, and sends nothing', async () => {
    const card = new ScriptedCard(() => ok());
    const channel = channelFor(card);
    for (const timeoutMs of [0, 2.5]) {
      await expect(channel.transmit(READ, { timeoutMs })).rejects.toThrow(
        `timeoutMs must be a positive integer, got ${timeoutMs}`,
      );
    }
    expect(card.log).toEqual([]);
  });
});

describe('CardChannel at the transport seam', () => {
  it('hands the transport the time left of the command, rounded up', async () => {
    const transport = new RecordingTransport(() => Promise.resolve(ok(fromHex('01'))));
    const channel = new CardChannel(transport, { timeoutMs: 700 });
    const r = await channel.transmit(READ);
    expect(toHex(r.data)).toBe('01');
    expect(transport.timeouts).toHaveLength(1);
    const [given] = transport.timeouts;
    expect(Number.isInteger(given)).toBe(true);
    expect(given).toBeGreaterThan(600);
    expect(given).toBeLessThanOrEqual(700);
  });

  it('a transport that throws instead of rejecting gives a TransportError keeping the cause', async () => {
    const boom = new Error('driver bug');
    const transport = new RecordingTransport(() => {
      throw boom;
    });
    const err = await new CardChannel(transport).transmit(READ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).message).toBe('transport failed');
    expect((err as TransportError).cause).toBe(boom);
  });

  it('a reset or a new card during an exchange fails it with CardResetError saying which', async () => {
    for (const [type, said] of [
      ['reset', 'card was reset during the exchange'],
      ['inserted', 'card was replaced during the exchange'],
    ] as const) {
      const transport = new RecordingTransport(never);
      const channel = new CardChannel(transport, { timeoutMs: 60_000 });
      const pending = channel.transmit(READ).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 5));
      transport.emit({ type });
      const err = await pending;
      expect(err).toBeInstanceOf(CardResetError);
      expect((err as Error).message).toBe(said);
      expect(channel.generation).toBe(1);
    }
  });

  it('counts every card event as a new generation, also with no command in flight', () => {
    const transport = new RecordingTransport(never);
    const channel = new CardChannel(transport);
    expect(channel.generation).toBe(0);
    transport.emit({ type: 'removed' });
    transport.emit({ type: 'inserted' });
    expect(channel.generation).toBe(2);
  });

  it('a reset that answers something other than an ATR is a TransportError', async () => {
    const transport = new RecordingTransport(never, () => 'no atr');
    const err = await new CardChannel(transport).reset().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toBe('transport reset did not return an ATR');
  });

  it('a transport that does not report its own resets: the channel counts the reset it asked for', async () => {
    const transport = new RecordingTransport(() => Promise.resolve(ok()));
    const channel = new CardChannel(transport);
    expect(toHex(await channel.reset('cold'))).toBe('3B00');
    expect(channel.generation).toBe(1);
  });

  it('closes its transport once, however often it is closed, and then refuses the ATR', async () => {
    const transport = new RecordingTransport(never);
    const channel = new CardChannel(transport);
    expect(toHex(channel.atr())).toBe('3B00');
    await channel.close();
    await channel.close();
    expect(transport.closes).toBe(1);
    expectThrowsClass(() => channel.atr(), ChannelClosedError);
    await expect(channel.reset()).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it('stops listening to the transport when closed', async () => {
    const transport = new RecordingTransport(never);
    const channel = new CardChannel(transport);
    await channel.close();
    transport.emit({ type: 'reset' });
    expect(channel.generation).toBe(0);
  });
});

describe('CardChannel 6Cxx resend of an extended command', () => {
  it('keeps the extended form when it resends with the corrected Le', async () => {
    const card = new ScriptedCard((cmd) => (cmd?.ne === 0x20 ? ok(bytes(0x20)) : reply(0x6c20)));
    const command = { ...commandApdu(0x00, 0xb0, 0x00, 0x00, undefined, 0x10), extended: true };
    const r = await channelFor(card).transmit(command);
    expect(r.data.length).toBe(0x20);
    expect(card.log).toEqual(['00 B0 00 00 00 00 10', '00 B0 00 00 00 00 20']);
  });

  it('does not resend a 6Cxx answer that came with data', async () => {
    const card = new ScriptedCard(() => reply(0x6c20, fromHex('AA')));
    const r = await channelFor(card).transmit(READ);
    expect(r.sw).toBe(0x6c20);
    expect(card.log.length).toBe(1);
  });

  it('returns bytes that are not one APDU answered 6Cxx as they are, without a resend', async () => {
    const card = new ScriptedCard(() => reply(0x6c20));
    const r = await channelFor(card).transmit(fromHex('00B2'));
    expect(r.sw).toBe(0x6c20);
    expect(card.log).toEqual(['00 B2']);
  });
});
