import { describe, expect, it } from 'vitest';
import { commandApdu, fromHex, verify } from '../../src/apdu/index.js';
import { buildSscCard, samplePerson } from '../../src/card-sim/index.js';
import {
  AbortError,
  CardChannel,
  ChannelClosedError,
  MemoryTransport,
  SscCard,
  TimeoutError,
  type TraceEvent,
} from '../../src/terminal/index.js';
import { ScriptedCard, ok } from './scripted-card.js';
import { rejection } from '../support/throws.js';
import { READ } from './channel-rig.js';

/*
 * Cancellation: a caller's AbortSignal stops the SDK's waits (the per-card lock, a card to be
 * inserted, the next command of an operation), never a command already on the wire.
 */

/** A promise and the function that settles it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Holds the channel's card in an exclusive block until the returned function is called. */
function holdCard(channel: CardChannel): { release: () => void; done: Promise<void> } {
  const gate = deferred();
  const done = channel.exclusive(() => gate.promise);
  return { release: gate.resolve, done };
}

describe('CardChannel: waiting for the card lock', () => {
  it('an exclusive block aborted in the queue never runs; the queue goes on in order', async () => {
    const card = new ScriptedCard(() => ok());
    const channel = new CardChannel(new MemoryTransport(card));
    const holder = holdCard(channel);
    const controller = new AbortController();
    const order: string[] = [];
    const aborted = channel.exclusive(
      async () => {
        order.push('aborted block ran');
      },
      { signal: controller.signal },
    );
    const third = channel.exclusive(async (s) => {
      order.push('third');
      await s.send(READ);
    });
    controller.abort();
    const e = await rejection(aborted);
    expect(e).toBeInstanceOf(AbortError);
    expect((e as AbortError).code).toBe('ABORTED');
    expect((e as AbortError).name).toBe('AbortError');
    expect((e as AbortError).message).toBe('waiting for the card aborted');
    holder.release();
    await holder.done;
    await third;
    expect(order).toEqual(['third']);
    expect(card.log).toEqual(['00 B2 01 0C 00']);
  });

  it('a transmit aborted while queued is never sent; the reason is kept', async () => {
    const card = new ScriptedCard(() => ok());
    const channel = new CardChannel(new MemoryTransport(card));
    const holder = holdCard(channel);
    const controller = new AbortController();
    const queued = channel.transmit(READ, { signal: controller.signal });
    const reason = new Error('cashier pressed cancel');
    controller.abort(reason);
    const e = (await rejection(queued)) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.reason).toBe(reason);
    expect(e.cause).toBe(reason);
    expect(e.message).toBe('waiting for the card aborted: cashier pressed cancel');
    holder.release();
    await holder.done;
    expect(card.log).toEqual([]);
  });

  it('an already aborted signal fails at once, a timeout signal keeps its TimeoutError reason', async () => {
    const card = new ScriptedCard(() => ok());
    const channel = new CardChannel(new MemoryTransport(card));
    await expect(channel.transmit(READ, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const holder = holdCard(channel);
    const e = (await rejection(
      channel.exclusive(async () => undefined, { signal: AbortSignal.timeout(20) }),
    )) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect((e.reason as DOMException).name).toBe('TimeoutError');
    holder.release();
    await holder.done;
    expect(card.log).toEqual([]);
  });
});

describe('CardChannel: a command on the wire is not torn', () => {
  it('abort during an exchange: that response is returned, the block stops before its next command', async () => {
    const answer = deferred();
    const card = new ScriptedCard((cmd) =>
      cmd?.p1 === 1 ? answer.promise.then(() => ok(fromHex('AA'))) : ok(fromHex('BB')),
    );
    const channel = new CardChannel(new MemoryTransport(card));
    const controller = new AbortController();
    const seen: string[] = [];
    const block = channel.exclusive(
      async (s) => {
        const first = await s.transmit(READ);
        seen.push(`first ${first.sw.toString(16)}`);
        await s.send(commandApdu(0x00, 0xb2, 0x02, 0x0c, undefined, 256));
        seen.push('second sent');
      },
      { signal: controller.signal },
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(card.log).toEqual(['00 B2 01 0C 00']);
    controller.abort();
    answer.resolve();
    expect(await rejection(block)).toBeInstanceOf(AbortError);
    expect(seen).toEqual(['first 9000']);
    expect(card.log).toEqual(['00 B2 01 0C 00']);
  });

  it("a transmit whose signal fires mid-flight returns the card's answer", async () => {
    const answer = deferred();
    const card = new ScriptedCard(() => answer.promise.then(() => ok(fromHex('CAFE'))));
    const channel = new CardChannel(new MemoryTransport(card));
    const controller = new AbortController();
    const pending = channel.transmit(READ, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    answer.resolve();
    const r = await pending;
    expect(r.sw).toBe(0x9000);
    expect(r.data).toEqual(fromHex('CAFE'));
  });
});

describe('SscCard: open and operations', () => {
  function simulated(person = 'zhang-wei'): { transport: MemoryTransport; channel: CardChannel; trace: TraceEvent[] } {
    const transport = new MemoryTransport(buildSscCard(samplePerson(person)));
    const channel = new CardChannel(transport);
    const trace: TraceEvent[] = [];
    channel.subscribe((e) => trace.push(e));
    return { transport, channel, trace };
  }

  it('open aborted while another caller holds the card sends nothing', async () => {
    const { channel, trace } = simulated();
    const holder = holdCard(channel);
    const controller = new AbortController();
    const opening = SscCard.open(channel, { signal: controller.signal });
    controller.abort();
    expect(await rejection(opening)).toBeInstanceOf(AbortError);
    holder.release();
    await holder.done;
    expect(trace).toEqual([]);
    // The channel is fine for the next caller.
    expect((await SscCard.open(channel)).specVersion).toBe('2.00');
  });

  it('open aborted between its commands stops after the SELECT', async () => {
    const { channel, trace } = simulated();
    const controller = new AbortController();
    channel.subscribe((e) => {
      if (e.command.name === 'SELECT') controller.abort();
    });
    expect(await rejection(SscCard.open(channel, { signal: controller.signal }))).toBeInstanceOf(AbortError);
    expect(trace.map((e) => e.command.name)).toEqual(['SELECT']);
  });

  it('open on a transport with an already aborted signal: AbortError, nothing sent', async () => {
    const card = new ScriptedCard(() => ok());
    expect(await rejection(SscCard.open(new MemoryTransport(card), { signal: AbortSignal.abort() }))).toBeInstanceOf(
      AbortError,
    );
    expect(card.log).toEqual([]);
  });

  it('verifyPin aborted while the card is busy sends no VERIFY and spends no try', async () => {
    const { channel, trace } = simulated();
    const card = await SscCard.open(channel);
    const holder = holdCard(channel);
    const controller = new AbortController();
    const verifying = card.verifyPin('000000', { signal: controller.signal });
    controller.abort();
    expect(await rejection(verifying)).toBeInstanceOf(AbortError);
    holder.release();
    await holder.done;
    expect(trace.some((e) => e.command.name === 'VERIFY')).toBe(false);
    expect((await card.pinStatus()).triesLeft).toBe(3);
  });

  it('a VERIFY already sent when the signal fires is counted, and its result reported', async () => {
    const { channel } = simulated();
    const card = await SscCard.open(channel);
    const controller = new AbortController();
    channel.subscribe((e) => {
      if (e.command.name === 'VERIFY') controller.abort();
    });
    const e = await rejection(card.verifyPin('000000', { signal: controller.signal }));
    expect((e as Error).name).toBe('PinIncorrectError');
    expect((await card.pinStatus()).triesLeft).toBe(2);
  });

  it('a multi-command read stops before its next command', async () => {
    const { channel, trace } = simulated();
    const card = await SscCard.open(channel);
    await channel.transmit(verify(0x00, fromHex('123456')));
    const controller = new AbortController();
    const off = channel.subscribe((e) => {
      if (e.command.name === 'READ RECORD') controller.abort();
    });
    const before = trace.length;
    expect(await rejection(card.readHealth({ signal: controller.signal }))).toBeInstanceOf(AbortError);
    off();
    expect(trace.slice(before).filter((e) => e.command.name === 'READ RECORD')).toHaveLength(1);
    expect((await card.readHealth()).abo).toBe('A');
  });
});

describe('MemoryTransport.waitForCard', () => {
  const atr = Uint8Array.of(0x3b, 0x00);

  it('answers at once when a card is in, else on insert()', async () => {
    const transport = new MemoryTransport(new ScriptedCard(() => ok()));
    expect(await transport.waitForCard()).toEqual(atr);
    transport.remove();
    const waiting = transport.waitForCard();
    let settled = false;
    void waiting.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    transport.insert();
    expect(await waiting).toEqual(atr);
  });

  it('abort, time limit and close end the wait with typed errors', async () => {
    const transport = new MemoryTransport(new ScriptedCard(() => ok()));
    transport.remove();
    const controller = new AbortController();
    const aborted = transport.waitForCard({ signal: controller.signal });
    controller.abort();
    expect(await rejection(aborted)).toBeInstanceOf(AbortError);
    const timed = (await rejection(transport.waitForCard({ timeoutMs: 20 }))) as TimeoutError;
    expect(timed).toBeInstanceOf(TimeoutError);
    expect(timed.message).toBe('waiting for a card timed out after 20 ms');
    const closing = transport.waitForCard();
    await transport.close();
    expect(await rejection(closing)).toBeInstanceOf(ChannelClosedError);
  });
});
