import { describe, expect, it } from 'vitest';
import { bytesEqual, commandApdu, fromHex, toHex } from '../../src/apdu/index.js';
import {
  CardChannel,
  CardProtocolError,
  CardRemovedError,
  CardResetError,
  ChannelClosedError,
  FileNotFoundError,
  MemoryTransport,
  PinIncorrectError,
  TimeoutError,
  TransportError,
  WrongLengthError,
} from '../../src/terminal/index.js';
import { ScriptedCard, bytes, never, ok, reply, t0Card } from './scripted-card.js';
import { channelFor, READ } from './channel-rig.js';

describe('T=0 GET RESPONSE handling', () => {
  it('collects a chain of 61xx answers, 6100 meaning 256 bytes', async () => {
    const body = bytes(300, 7);
    const card = t0Card(body);
    const r = await channelFor(card).transmit(READ);
    expect(r.sw).toBe(0x9000);
    expect(bytesEqual(r.data, body)).toBe(true);
    expect(card.log).toEqual(['00 B2 01 0C 00', '00 C0 00 00 00', '00 C0 00 00 2C']);
  });

  it('keeps the data that came with the 61xx and appends the GET RESPONSE data', async () => {
    const card = new ScriptedCard((cmd) => (cmd?.ins === 0xc0 ? ok(fromHex('CCDD')) : reply(0x6102, fromHex('AABB'))));
    const r = await channelFor(card).transmit(READ);
    expect(toHex(r.data)).toBe('AABBCCDD');
  });

  it.each([
    [0x00, 0x00],
    [0x01, 0x01],
    [0x03, 0x03],
    [0x81, 0x01], // proprietary class on channel 1: GET RESPONSE is interindustry on channel 1
    [0x84, 0x00], // SM class on channel 0
    [0x87, 0x03],
    [0x45, 0x45], // further interindustry: channel 9
    [0x4f, 0x4f], // channel 19
    [0xc2, 0x42], // proprietary further layout, channel 6
  ])('GET RESPONSE after CLA %i carries its logical channel (CLA %i)', async (cla, expected) => {
    const card = t0Card(bytes(4));
    await channelFor(card).transmit(commandApdu(cla, 0xca, 0x9f, 0x17, undefined, 256));
    expect(card.log[1]).toBe(`${toHex(Uint8Array.of(expected))} C0 00 00 04`);
  });

  it('stops a card that answers 61xx forever after maxGetResponseRounds', async () => {
    const card = new ScriptedCard(() => reply(0x6101, Uint8Array.of(1)));
    const err = await channelFor(card, { maxGetResponseRounds: 5 })
      .transmit(READ)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardProtocolError);
    expect((err as CardProtocolError).code).toBe('CARD_PROTOCOL');
    expect(card.log.length).toBe(6); // the command and 5 GET RESPONSE
  });

  it('stops a chain that gathers more than maxResponseBytes', async () => {
    const card = t0Card(bytes(2000));
    const err = await channelFor(card, { maxResponseBytes: 1000 })
      .transmit(READ)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardProtocolError);
    expect(card.log.length).toBeLessThanOrEqual(5);
  });

  it('rejects a single answer larger than maxResponseBytes', async () => {
    const card = new ScriptedCard(() => ok(bytes(5000)));
    await expect(channelFor(card, { maxResponseBytes: 4096 }).transmit(READ)).rejects.toBeInstanceOf(CardProtocolError);
  });

  it('resends a GET RESPONSE that the card answers with 6Cxx', async () => {
    let asked = 0;
    const card = new ScriptedCard((cmd) => {
      if (cmd?.ins !== 0xc0) return reply(0x6110);
      asked++;
      return cmd.ne === 3 ? ok(fromHex('010203')) : reply(0x6c03);
    });
    const r = await channelFor(card).transmit(READ);
    expect(toHex(r.data)).toBe('010203');
    expect(asked).toBe(2);
    expect(card.log).toEqual(['00 B2 01 0C 00', '00 C0 00 00 10', '00 C0 00 00 03']);
  });
});

describe('6Cxx wrong Le', () => {
  it('resends once with the corrected Le and returns that answer', async () => {
    const card = new ScriptedCard((cmd) => (cmd?.ne === 0x55 ? ok(bytes(0x55)) : reply(0x6c55)));
    const r = await channelFor(card).transmit(commandApdu(0x00, 0xb2, 0x01, 0x3c, undefined, 0x10));
    expect(r.sw).toBe(0x9000);
    expect(r.data.length).toBe(0x55);
    expect(card.log).toEqual(['00 B2 01 3C 10', '00 B2 01 3C 55']);
  });

  it('6C00 asks for 256 bytes', async () => {
    const card = new ScriptedCard((cmd) => (cmd?.ne === 256 ? ok(bytes(256)) : reply(0x6c00)));
    const r = await channelFor(card).transmit(commandApdu(0x00, 0xb0, 0x00, 0x00, undefined, 1));
    expect(r.data.length).toBe(256);
    expect(card.log[1]).toBe('00 B0 00 00 00');
  });

  it('keeps the command data when it adds Le to a case 3 command', async () => {
    const card = new ScriptedCard((cmd) => (cmd?.ne === 2 ? ok(fromHex('9000')) : reply(0x6c02)));
    await channelFor(card).transmit(commandApdu(0x80, 0xca, 0x00, 0x00, fromHex('0102')));
    expect(card.log).toEqual(['80 CA 00 00 02 01 02', '80 CA 00 00 02 01 02 02']);
  });

  it('does not loop: a second 6Cxx is returned (and send() makes it a WrongLengthError)', async () => {
    const card = new ScriptedCard(() => reply(0x6c20));
    const channel = channelFor(card);
    const r = await channel.transmit(READ);
    expect(r.sw).toBe(0x6c20);
    expect(card.log.length).toBe(2);
    const err = await channel.send(READ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongLengthError);
    expect((err as WrongLengthError).correctLe).toBe(0x20);
    expect(card.log.length).toBe(4);
  });

  it('follows a 6Cxx resend that is answered with 61xx', async () => {
    let first = true;
    const card = new ScriptedCard((cmd) => {
      if (cmd?.ins === 0xc0) return ok(fromHex('0A0B'));
      if (first) {
        first = false;
        return reply(0x6c02);
      }
      return reply(0x6102);
    });
    const r = await channelFor(card).transmit(READ);
    expect(toHex(r.data)).toBe('0A0B');
    expect(card.log).toEqual(['00 B2 01 0C 00', '00 B2 01 0C 02', '00 C0 00 00 02']);
  });
});

describe('malformed and failing transports', () => {
  it.each([[new Uint8Array(0)], [Uint8Array.of(0x90)]])(
    'an answer shorter than 2 bytes is a TransportError',
    async (answer) => {
      const card = new ScriptedCard(() => answer);
      const err = await channelFor(card)
        .transmit(READ)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe('TRANSPORT');
    },
  );

  it('an answer that is not bytes is a TransportError', async () => {
    const card = new ScriptedCard(() => 'nonsense' as unknown as Uint8Array);
    await expect(channelFor(card).transmit(READ)).rejects.toBeInstanceOf(TransportError);
  });

  it('a card implementation that throws becomes a TransportError keeping the cause', async () => {
    const boom = new Error('firmware crashed');
    const card = new ScriptedCard(() => {
      throw boom;
    });
    const err = await channelFor(card)
      .transmit(READ)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).cause).toBe(boom);
  });

  it('send() turns status words into typed errors', async () => {
    const card = new ScriptedCard((cmd) => (cmd?.ins === 0x20 ? reply(0x63c2) : reply(0x6a82)));
    const channel = channelFor(card);
    const pin = await channel.send(commandApdu(0x00, 0x20, 0, 0, fromHex('123456'))).catch((e: unknown) => e);
    expect(pin).toBeInstanceOf(PinIncorrectError);
    expect((pin as PinIncorrectError).triesLeft).toBe(2);
    await expect(channel.send(READ)).rejects.toBeInstanceOf(FileNotFoundError);
  });
});

describe('timeouts', () => {
  it('a card that never answers gives TimeoutError and the channel still works afterwards', async () => {
    let silent = true;
    const card = new ScriptedCard(() => (silent ? never() : ok(fromHex('01'))));
    const channel = channelFor(card, { timeoutMs: 30 });
    const started = performance.now();
    const err = await channel.transmit(READ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).code).toBe('TIMEOUT');
    expect(performance.now() - started).toBeLessThan(1000);
    silent = false;
    const r = await channel.transmit(READ);
    expect(toHex(r.data)).toBe('01');
  });

  it('the time limit covers the whole GET RESPONSE chain, not each exchange', async () => {
    const card = new ScriptedCard(
      () => new Promise<Uint8Array>((resolve) => setTimeout(() => resolve(reply(0x6101, Uint8Array.of(1))), 15)),
    );
    const channel = channelFor(card, { timeoutMs: 100, maxGetResponseRounds: 1000 });
    const err = await channel.transmit(READ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(card.log.length).toBeLessThan(10);
  });

  it('a per-call timeout overrides the channel default', async () => {
    const card = new ScriptedCard(() => never());
    const channel = channelFor(card, { timeoutMs: 60_000 });
    await expect(channel.transmit(READ, { timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('a late answer to an abandoned exchange is not taken as the next answer', async () => {
    let n = 0;
    const card = new ScriptedCard(() => {
      n++;
      if (n === 1) return new Promise((resolve) => setTimeout(() => resolve(ok(fromHex('AA'))), 60));
      return new Promise((resolve) => setTimeout(() => resolve(ok(fromHex('BB'))), 80));
    });
    const channel = channelFor(card, { timeoutMs: 30 });
    await expect(channel.transmit(READ)).rejects.toBeInstanceOf(TimeoutError);
    const r = await channel.transmit(READ, { timeoutMs: 500 });
    expect(toHex(r.data)).toBe('BB');
  });
});

describe('serialization', () => {
  it('exclusive blocks run one after the other, never interleaved', async () => {
    const card = new ScriptedCard(
      (cmd) => new Promise((resolve) => setTimeout(() => resolve(ok(Uint8Array.of(cmd?.p1 ?? 0))), Math.random() * 5)),
    );
    const channel = channelFor(card);
    const job = (id: number): Promise<void> =>
      channel.exclusive(async (s) => {
        await s.transmit(commandApdu(0x00, 0xa4, id, 0x00, fromHex('DF01')));
        await s.transmit(commandApdu(0x00, 0xb2, id, 0x04, undefined, 256));
      });
    await Promise.all([1, 2, 3, 4, 5].map(job));
    const p1s = card.log.map((l) => l.split(' ')[2]);
    for (let i = 0; i < p1s.length; i += 2) expect(p1s[i]).toBe(p1s[i + 1]);
  });

  it('calls made inside an exclusive block join it instead of deadlocking', async () => {
    const card = new ScriptedCard(() => ok());
    const channel = channelFor(card, { timeoutMs: 500 });
    const result = await channel.exclusive(async () => {
      await channel.transmit(READ);
      return channel.exclusive(async (inner) => {
        await inner.transmit(READ);
        return 'done';
      });
    });
    expect(result).toBe('done');
    expect(card.log.length).toBe(2);
  });

  it('concurrent commands inside one block still go to the card one at a time', async () => {
    let busy = false;
    let overlapped = false;
    const card = new ScriptedCard((cmd) => {
      if (busy) overlapped = true;
      busy = true;
      return new Promise((resolve) =>
        setTimeout(() => {
          busy = false;
          resolve(cmd?.ins === 0xc0 ? ok(bytes(2)) : reply(0x6102));
        }, 2),
      );
    });
    const channel = channelFor(card);
    await channel.exclusive((s) => Promise.all([s.transmit(READ), s.transmit(READ), s.transmit(READ)]));
    expect(overlapped).toBe(false);
    // Each command is followed directly by its own GET RESPONSE.
    expect(card.log.filter((_, i) => i % 2 === 1).every((l) => l.startsWith('00 C0'))).toBe(true);
  });

  it('a block that throws releases the card', async () => {
    const card = new ScriptedCard(() => ok());
    const channel = channelFor(card, { timeoutMs: 500 });
    await expect(
      channel.exclusive(async () => {
        throw new Error('caller bug');
      }),
    ).rejects.toThrow('caller bug');
    await expect(channel.transmit(READ)).resolves.toMatchObject({ sw: 0x9000 });
  });
});

describe('resets, removal and close', () => {
  it('a reset by someone else during an exclusive block fails the block with CardResetError', async () => {
    const card = new ScriptedCard(() => ok());
    const transport = new MemoryTransport(card);
    const channel = new CardChannel(transport);
    const err = await channel
      .exclusive(async (s) => {
        await s.transmit(READ);
        await transport.reset('warm');
        await s.transmit(READ);
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardResetError);
    expect(card.log.length).toBe(1);
    await expect(channel.transmit(READ)).resolves.toMatchObject({ sw: 0x9000 });
  });

  it('a reset the block asks for itself does not fail it', async () => {
    const card = new ScriptedCard(() => ok());
    const channel = channelFor(card);
    await channel.exclusive(async (s) => {
      await s.transmit(READ);
      await s.reset('cold');
      await s.transmit(READ);
    });
    expect(card.resets).toBe(1);
    expect(card.log.length).toBe(2);
  });

  it('pulling the card during an exchange fails it with CardRemovedError, not a hang', async () => {
    const card = new ScriptedCard(() => never());
    const transport = new MemoryTransport(card);
    const channel = new CardChannel(transport, { timeoutMs: 60_000 });
    const events: string[] = [];
    transport.onEvent((e) => events.push(e.type));
    const pending = channel.transmit(READ);
    setTimeout(() => transport.remove(), 5);
    await expect(pending).rejects.toBeInstanceOf(CardRemovedError);
    await expect(channel.transmit(READ)).rejects.toBeInstanceOf(CardRemovedError);
    expect(events).toEqual(['removed']);
  });

  it('after close every call fails with ChannelClosedError', async () => {
    const card = new ScriptedCard(() => ok());
    const channel = channelFor(card);
    await channel.close();
    await expect(channel.transmit(READ)).rejects.toBeInstanceOf(ChannelClosedError);
    expect(card.powered).toBe(false);
  });
});
