import { describe, expect, it } from 'vitest';
import { commandApdu, fromHex, toHex } from '../../src/apdu/index.js';
import {
  AbortError,
  CardChannel,
  CardRemovedError,
  CardResetError,
  ChannelClosedError,
  FileNotFoundError,
  MemoryTransport,
  TimeoutError,
  TransportError,
} from '../../src/terminal/index.js';
import type { TraceEvent } from '../../src/terminal/index.js';
import { expectRejectsClass } from '../support/throws.js';
import { RecordingTransport } from './recording-transport.js';
import { ScriptedCard, never, ok, reply } from './scripted-card.js';
import { READ } from './channel-rig.js';

// What the channel promises between its callers and its transport, where the other channel tests
// would not notice a change: who waits for whom (a reset, a session used after its block), which
// signal stops a nested block, what each refusal says, what a trace event holds, and that the
// command bytes the caller keeps are not what goes to the card.

const later = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A gate a test opens when it wants: `wait` resolves then. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe('CardChannel: who waits for whom', () => {
  it('a reset asked for outside a running block waits for the block to end', async () => {
    const card = new ScriptedCard(() => ok());
    const transport = new MemoryTransport(card);
    const channel = new CardChannel(transport);
    const order: string[] = [];
    transport.onEvent((e) => order.push(e.type));
    const held = gate();
    const block = channel.exclusive(async (s) => {
      await s.transmit(READ);
      order.push('first');
      await held.wait;
      await s.transmit(READ);
      order.push('second');
    });
    await later(5);
    const reset = channel.reset();
    await later(5);
    held.open();
    await block;
    await reset;
    expect(order).toEqual(['first', 'second', 'reset']);
  });

  it('a reset through the channel inside a block joins the block, as a warm reset', async () => {
    const transport = new RecordingTransport(() => Promise.resolve(ok()));
    const channel = new CardChannel(transport, { timeoutMs: 2000 });
    await channel.exclusive(async (s) => {
      await channel.reset();
      await s.reset();
      await s.transmit(READ);
    });
    expect(transport.resetKinds).toEqual(['warm', 'warm']);
    expect(transport.commands).toHaveLength(1);
  });

  it('a session used after its block ended queues behind the block running then', async () => {
    const card = new ScriptedCard((cmd) => ok(Uint8Array.of(cmd?.p1 ?? 0)));
    const channel = new CardChannel(new MemoryTransport(card));
    let saved: Parameters<Parameters<CardChannel['exclusive']>[0]>[0] | undefined;
    await channel.exclusive(async (s) => {
      saved = s;
      await s.transmit(commandApdu(0x00, 0xb2, 0x01, 0x04));
    });
    const held = gate();
    const block = channel.exclusive(async (s) => {
      await s.transmit(commandApdu(0x00, 0xb2, 0x02, 0x04));
      await held.wait;
      await s.transmit(commandApdu(0x00, 0xb2, 0x03, 0x04));
    });
    await later(5);
    const late = [
      saved!.transmit(commandApdu(0x00, 0xb2, 0x04, 0x04)),
      saved!.send(commandApdu(0x00, 0xb2, 0x05, 0x04)),
      saved!.reset(),
    ];
    await later(5);
    held.open();
    await block;
    await Promise.all(late);
    expect(card.log.map((l) => l.split(' ')[2])).toEqual(['01', '02', '03', '04', '05']);
    expect(card.resets).toBe(1);
  });
});

describe('CardChannel: calls that outlive their block', () => {
  it('a call started from inside a block after the block ended queues like any other', async () => {
    const card = new ScriptedCard((cmd) => ok(Uint8Array.of(cmd?.p1 ?? 0)));
    const channel = new CardChannel(new MemoryTransport(card));
    let late: Promise<unknown> | undefined;
    const fired = gate();
    await channel.exclusive(async (s) => {
      await s.transmit(commandApdu(0x00, 0xb2, 0x01, 0x04));
      // A timer set inside the block runs in its async context, after the block has ended.
      setTimeout(() => {
        late = channel.transmit(commandApdu(0x00, 0xb2, 0x04, 0x04));
        fired.open();
      }, 20);
    });
    const held = gate();
    const block = channel.exclusive(async (s) => {
      await s.transmit(commandApdu(0x00, 0xb2, 0x02, 0x04));
      await held.wait;
      await s.transmit(commandApdu(0x00, 0xb2, 0x03, 0x04));
    });
    await fired.wait;
    await later(5);
    held.open();
    await block;
    await late;
    expect(card.log.map((l) => l.split(' ')[2])).toEqual(['01', '02', '03', '04']);
  });
});

describe('CardChannel: the signal of a nested block', () => {
  it("stops the nested block's later commands, and a command's own signal still counts", async () => {
    const transport = new RecordingTransport(() => Promise.resolve(ok()));
    const channel = new CardChannel(transport);
    const inner = new AbortController();
    const own = new AbortController();
    own.abort();
    const err = await channel
      .exclusive(async () => {
        await channel.exclusive(
          async (s) => {
            await s.transmit(READ);
            await expectRejectsClass(s.transmit(READ, { signal: own.signal }), AbortError, {
              message: /^the command aborted/,
            });
            inner.abort();
            await s.send(READ);
          },
          { signal: inner.signal },
        );
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).message).toMatch(/^the command aborted/);
    expect(transport.commands).toHaveLength(1);
  });

  it('a nested block whose signal has already fired does not run', async () => {
    const channel = new CardChannel(new RecordingTransport(() => Promise.resolve(ok())));
    let ran = false;
    await channel.exclusive(async () => {
      await expectRejectsClass(
        Promise.resolve().then(() =>
          channel.exclusive(
            async () => {
              ran = true;
            },
            { signal: AbortSignal.abort() },
          ),
        ),
        AbortError,
        { message: /^waiting for the card aborted/ },
      );
    });
    expect(ran).toBe(false);
  });

  it('says which wait an abort stopped: the card, the operation or the command', async () => {
    const channel = new CardChannel(new RecordingTransport(() => Promise.resolve(ok())));
    await expectRejectsClass(channel.transmit(READ, { signal: AbortSignal.abort() }), AbortError, {
      message: /^waiting for the card aborted/,
    });
    const block = new AbortController();
    await expectRejectsClass(
      channel.exclusive(
        async (s) => {
          block.abort();
          await s.transmit(READ);
        },
        { signal: block.signal },
      ),
      AbortError,
      { message: /^the operation aborted/ },
    );
  });
});

describe('CardChannel: refusals and what they say', () => {
  it('an exclusive block after a reset by someone else: start over', async () => {
    const transport = new MemoryTransport(new ScriptedCard(() => ok()));
    const channel = new CardChannel(transport);
    await expectRejectsClass(
      channel.exclusive(async (s) => {
        await s.transmit(READ);
        await transport.reset('warm');
        await s.transmit(READ);
      }),
      CardResetError,
      { message: 'card was reset, removed or replaced during the exclusive block; start over' },
    );
  });

  it('a reset between a command and its GET RESPONSE stops the chain', async () => {
    const reader: { transport?: MemoryTransport } = {};
    const card = new ScriptedCard((cmd) => {
      if (cmd?.ins === 0xc0) return ok(fromHex('AABB'));
      void reader.transport?.reset('warm');
      return reply(0x6102);
    });
    reader.transport = new MemoryTransport(card);
    const channel = new CardChannel(reader.transport);
    await expectRejectsClass(channel.transmit(READ), CardResetError, {
      message: 'card was reset during the command',
    });
    expect(card.log).toEqual(['00 B2 01 0C 00']);
  });

  it('a card removed during an exchange the transport does not fail itself', async () => {
    const transport = new RecordingTransport(never);
    const channel = new CardChannel(transport, { timeoutMs: 60_000 });
    const pending = channel.transmit(READ);
    await later(5);
    transport.emit({ type: 'removed' });
    await expectRejectsClass(pending, CardRemovedError, { message: 'card removed during the exchange' });
  });

  it('closing the channel fails the exchange in flight, and later commands are not sent', async () => {
    const transport = new RecordingTransport(never);
    const channel = new CardChannel(transport, { timeoutMs: 60_000 });
    const pending = channel.transmit(READ);
    await later(5);
    await channel.close();
    await expectRejectsClass(pending, ChannelClosedError, { message: 'card channel closed during the exchange' });
    await expectRejectsClass(channel.transmit(READ), ChannelClosedError);
    expect(transport.commands).toHaveLength(1);
  });

  it('a transport whose direct answer throws gives a TransportError keeping the cause', async () => {
    const boom = new Error('driver bug');
    const transport = new RecordingTransport(never);
    const direct = Object.assign(transport, {
      transmitDirect: (): Uint8Array => {
        throw boom;
      },
    });
    const err = await expectRejectsClass(new CardChannel(direct).transmit(READ), TransportError, {
      message: 'transport failed',
    });
    expect(err.cause).toBe(boom);
  });

  it('a transport that rejects gives a TransportError keeping the cause, at once', async () => {
    const boom = new Error('reader unplugged');
    const channel = new CardChannel(new RecordingTransport(() => Promise.reject(boom)), { timeoutMs: 60_000 });
    const err = await expectRejectsClass(channel.transmit(READ), TransportError, { message: 'transport failed' });
    expect(err.cause).toBe(boom);
  });

  it('an answer that is not bytes, a time limit and a reset that never ends say what they were', async () => {
    const notBytes = new CardChannel(new RecordingTransport(() => Promise.resolve('9000' as unknown as Uint8Array)));
    await expectRejectsClass(notBytes.transmit(READ), TransportError, {
      message: 'transport answered something that is not bytes',
    });
    const silent = new CardChannel(new RecordingTransport(never), { timeoutMs: 20 });
    await expectRejectsClass(silent.transmit(READ), TimeoutError, { message: 'command timed out after 20 ms' });
    const stuck = new CardChannel(new RecordingTransport(never, never), { timeoutMs: 20 });
    await expectRejectsClass(stuck.reset(), TimeoutError, { message: 'card reset timed out after 20 ms' });
  });

  it('a command whose time ran out during a synchronous answer sends no GET RESPONSE', async () => {
    const card = new ScriptedCard((cmd) => {
      if (cmd?.ins === 0xc0) return ok(fromHex('AABB'));
      const until = performance.now() + 40;
      while (performance.now() < until);
      return reply(0x6102);
    });
    const channel = new CardChannel(new MemoryTransport(card), { timeoutMs: 20 });
    await expectRejectsClass(channel.transmit(READ), TimeoutError, { message: 'command timed out after 20 ms' });
    expect(card.log).toHaveLength(1);
  });

  it('send() names the command in the error of its status word', async () => {
    const channel = new CardChannel(new MemoryTransport(new ScriptedCard(() => reply(0x6a82))));
    const err = await expectRejectsClass(channel.send(READ), FileNotFoundError, { message: /^READ RECORD failed/ });
    expect(err.command).toBe('READ RECORD');
  });
});

describe('CardChannel: response handling details', () => {
  it('a GET RESPONSE answered 6Cxx with data ends the chain', async () => {
    const card = new ScriptedCard((cmd) => (cmd?.ins === 0xc0 ? reply(0x6c05, fromHex('AA')) : reply(0x6102)));
    const r = await new CardChannel(new MemoryTransport(card)).transmit(READ);
    expect(r.sw).toBe(0x6c05);
    expect(toHex(r.data)).toBe('AA');
    expect(card.log).toHaveLength(2);
  });

  it('a 6Cxx resend is built from the bytes as they were sent, whatever the caller does with its array', async () => {
    const card = new ScriptedCard((cmd) =>
      cmd?.ne === 0x10 ? ok(new Uint8Array(0x10)) : later(10).then(() => reply(0x6c10)),
    );
    const command = fromHex('00B2010C08');
    const pending = new CardChannel(new MemoryTransport(card)).transmit(command);
    command.set([0x80, 0xca, 0x9f, 0x17, 0x00]);
    expect((await pending).data.length).toBe(0x10);
    expect(card.log).toEqual(['00 B2 01 0C 08', '00 B2 01 0C 10']);
  });
});

describe('CardChannel: PIN bytes it made', () => {
  /** A memory transport that keeps the very arrays the channel hands it. */
  class KeepingTransport extends MemoryTransport {
    readonly given: Uint8Array[] = [];
    override transmitDirect(command: Uint8Array): Uint8Array | Promise<Uint8Array> {
      this.given.push(command);
      return super.transmitDirect(command);
    }
  }

  it('wipes its copies of a PIN command once the card has answered, the 6Cxx resend too', async () => {
    const card = new ScriptedCard((cmd) => (cmd?.ne === 4 ? ok() : reply(0x6c04)));
    const transport = new KeepingTransport(card);
    const r = await new CardChannel(transport).transmit(fromHex('0020000003123456 00'));
    expect(r.sw).toBe(0x9000);
    expect(card.log).toEqual(['00 20 00 00 03 12 34 56 00', '00 20 00 00 03 12 34 56 04']);
    expect(transport.given).toHaveLength(2);
    for (const sent of transport.given) expect(toHex(sent)).toMatch(/^0+$/);
  });

  it('wipes them when the command fails too, and leaves other commands as they were sent', async () => {
    const transport = new KeepingTransport(new ScriptedCard((cmd) => (cmd?.p2 === 0x02 ? never() : reply(0x63c2))));
    const channel = new CardChannel(transport);
    expect((await channel.transmit(commandApdu(0x00, 0x20, 0x00, 0x01, fromHex('123456')))).sw).toBe(0x63c2);
    const silent = channel.transmit(commandApdu(0x00, 0x20, 0x00, 0x02, fromHex('654321')), { timeoutMs: 20 });
    await expectRejectsClass(silent, TimeoutError);
    expect((await channel.transmit(READ)).sw).toBe(0x63c2);
    expect(transport.given.map((sent) => toHex(sent))).toEqual(['0000000000000000', '0000000000000000', '00B2010C00']);
  });

  it('leaves the 6Cxx resend of a command without a PIN as it was sent', async () => {
    const transport = new KeepingTransport(
      new ScriptedCard((cmd) => (cmd?.ne === 0x10 ? ok(new Uint8Array(0x10)) : reply(0x6c10))),
    );
    expect((await new CardChannel(transport).transmit(fromHex('00B2010C08'))).sw).toBe(0x9000);
    expect(transport.given.map((sent) => toHex(sent))).toEqual(['00B2010C08', '00B2010C10']);
  });
});

describe('CardChannel: trace events', () => {
  it('carry the start time of the exchange and its duration in milliseconds to the microsecond', async () => {
    let received = 0;
    const card = new ScriptedCard(() => {
      received = Date.now();
      return later(150).then(() => ok());
    });
    const channel = new CardChannel(new MemoryTransport(card));
    const events: TraceEvent[] = [];
    channel.subscribe((e) => events.push(e));
    const started = Date.now();
    await channel.transmit(READ);
    expect(events).toHaveLength(1);
    const [event] = events;
    // Between the call and the card getting the command (the end is 150 ms after that), however busy the machine.
    expect(Date.parse(event!.time)).toBeGreaterThanOrEqual(started);
    expect(Date.parse(event!.time)).toBeLessThanOrEqual(received);
    expect(event!.elapsedMs).toBeGreaterThanOrEqual(140);
    expect(event!.elapsedMs).toBeLessThan(5000);
    expect(Math.round(event!.elapsedMs * 1000) / 1000).toBe(event!.elapsedMs);
  });

  it('an observer that joins during an exchange gets a timed event; exchanges nobody watched are not counted', async () => {
    const card = new ScriptedCard(() => later(10).then(() => ok()));
    const channel = new CardChannel(new MemoryTransport(card));
    await channel.transmit(READ);
    const events: TraceEvent[] = [];
    const pending = channel.transmit(READ);
    channel.subscribe((e) => events.push(e));
    await pending;
    expect(events).toHaveLength(1);
    expect(events[0]!.seq).toBe(1);
    expect(events[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('a failed exchange nobody watched is not counted in seq either', async () => {
    const channel = new CardChannel(new RecordingTransport(() => Promise.reject(new Error('unplugged'))));
    await expectRejectsClass(channel.transmit(READ), TransportError);
    const events: TraceEvent[] = [];
    channel.subscribe((e) => events.push(e));
    await expectRejectsClass(channel.transmit(READ), TransportError);
    expect(events.map((e) => e.seq)).toEqual([1]);
  });

  it('a failed exchange is traced with its error code and message', async () => {
    const channel = new CardChannel(new RecordingTransport(() => Promise.reject(new Error('unplugged'))));
    const events: TraceEvent[] = [];
    channel.subscribe((e) => events.push(e));
    await expectRejectsClass(channel.transmit(READ), TransportError);
    expect(events).toHaveLength(1);
    expect(events[0]!.error).toEqual({ code: 'TRANSPORT', message: 'transport failed' });
    expect(events[0]!.response).toBeUndefined();
  });
});

describe('CardChannel: time limits after an abandoned call', () => {
  it('a reset that takes a while within its time limit gives its ATR', async () => {
    const channel = new CardChannel(
      new RecordingTransport(
        () => Promise.resolve(fromHex('9000')),
        () => later(30).then(() => Uint8Array.of(0x3b, 0x01)),
      ),
      { timeoutMs: 1000 },
    );
    expect(toHex(await channel.reset())).toBe('3B01');
  });

  for (const late of ['answers', 'fails'] as const) {
    it(`a timed-out call that ${late} late does not take the next command's time limit away`, async () => {
      const calls: number[] = [];
      const channel = new CardChannel(
        new RecordingTransport(() => {
          calls.push(calls.length);
          if (calls.length > 1) return never();
          return later(60).then(() => (late === 'answers' ? fromHex('9000') : Promise.reject(new Error('late'))));
        }),
      );
      await expectRejectsClass(channel.transmit(READ, { timeoutMs: 20 }), TimeoutError);
      // The first call settles at 60 ms, while this one waits for a card that never answers.
      const outcome = await Promise.race([
        channel.transmit(READ, { timeoutMs: 150 }).then(
          () => 'answered',
          (error: unknown) => error,
        ),
        later(2000).then(() => 'still waiting after 2 s'),
      ]);
      expect(outcome).toBeInstanceOf(TimeoutError);
      expect((outcome as TimeoutError).message).toBe('command timed out after 150 ms');
      expect(calls).toEqual([0, 1]);
    });
  }
});
