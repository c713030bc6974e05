import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/apdu/index.js';
import {
  CardRemovedError,
  ChannelClosedError,
  MemoryTransport,
  TransportError,
  protocolFromAtr,
  type CardEvent,
} from '../../src/terminal/index.js';
import { ScriptedCard, never, ok } from './scripted-card.js';

describe('MemoryTransport', () => {
  it('powers the card when it connects and passes bytes both ways', async () => {
    const card = new ScriptedCard(() => ok(fromHex('CAFE')));
    expect(card.powered).toBe(false);
    const t = new MemoryTransport(card, { name: 'bench' });
    expect(card.powered).toBe(true);
    expect(t.name).toBe('bench');
    expect(toHex(await t.transmit(fromHex('00B2010C00')))).toBe('CAFE9000');
    expect(card.log).toEqual(['00 B2 01 0C 00']);
  });

  it('wraps an async responder function, with a configurable ATR', async () => {
    const t = new MemoryTransport(async (c) => Uint8Array.of(c.length, 0x90, 0x00), { atr: fromHex('3B8001') });
    expect(toHex(t.atr())).toBe('3B8001');
    expect(toHex(await t.transmit(fromHex('00A40400')))).toBe('049000');
  });

  it("the card cannot alter the caller's command buffer", async () => {
    const t = new MemoryTransport((c) => {
      c.fill(0xee);
      return ok();
    });
    const cmd = fromHex('00B2010C00');
    await t.transmit(cmd);
    expect(toHex(cmd)).toBe('00B2010C00');
  });

  it('remove() fails pending and later exchanges with CardRemovedError and emits removed; insert() brings it back', async () => {
    let silent = true;
    const card = new ScriptedCard(() => (silent ? never() : ok()));
    const t = new MemoryTransport(card);
    const events: CardEvent[] = [];
    const off = t.onEvent((e) => events.push(e));
    const pending = t.transmit(fromHex('00B2010C00'));
    t.remove();
    await expect(pending).rejects.toBeInstanceOf(CardRemovedError);
    await expect(t.transmit(fromHex('00B2010C00'))).rejects.toBeInstanceOf(CardRemovedError);
    expect(() => t.atr()).toThrow(CardRemovedError);
    expect(card.powered).toBe(false);
    expect(t.present).toBe(false);
    silent = false;
    const atr = t.insert();
    expect(toHex(atr)).toBe('3B00');
    expect(card.powered).toBe(true);
    await expect(t.transmit(fromHex('00B2010C00'))).resolves.toBeInstanceOf(Uint8Array);
    expect(events.map((e) => e.type)).toEqual(['removed', 'inserted']);
    expect(toHex(events[1]!.atr!)).toBe('3B00');
    off();
    t.remove();
    expect(events.length).toBe(2);
  });

  it('inserting while a card is present is an error', () => {
    const t = new MemoryTransport(() => ok());
    expect(() => t.insert()).toThrow(TransportError);
  });

  it('reset() resets the card and emits reset with the ATR', async () => {
    const card = new ScriptedCard(() => ok());
    const t = new MemoryTransport(card);
    const events: CardEvent[] = [];
    t.onEvent((e) => events.push(e));
    const atr = await t.reset('cold');
    expect(card.resets).toBe(1);
    expect(toHex(atr)).toBe('3B00');
    expect(events).toEqual([{ type: 'reset', atr: Uint8Array.of(0x3b, 0x00) }]);
  });

  it('an unpowered card is a TransportError, not a hang', async () => {
    const card = new ScriptedCard(() => ok());
    const t = new MemoryTransport(card);
    card.powerOff();
    await expect(t.transmit(fromHex('00B2010C00'))).rejects.toBeInstanceOf(TransportError);
  });

  it('close() powers the card off and ends the transport', async () => {
    const card = new ScriptedCard(() => never());
    const t = new MemoryTransport(card);
    const pending = t.transmit(fromHex('00B2010C00'));
    await t.close();
    await expect(pending).rejects.toBeInstanceOf(ChannelClosedError);
    expect(card.powered).toBe(false);
    await expect(t.transmit(fromHex('00B2010C00'))).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it('a listener that throws does not stop other listeners', async () => {
    const t = new MemoryTransport(() => ok());
    const seen: string[] = [];
    t.onEvent(() => {
      throw new Error('listener bug');
    });
    t.onEvent((e) => seen.push(e.type));
    await t.reset('warm');
    expect(seen).toEqual(['reset']);
  });
});

describe('protocolFromAtr', () => {
  it.each([
    ['3B 95 13 81 01 80 73 FF 01 00 0B', 'T=1'],
    ['3B FA 18 00 00 81 31 FE 45 4A 43 4F 50 33 31 56 32 33 32 98', 'T=1'],
    ['3B 00', 'T=0'],
    ['3B 80 00', 'T=0'],
    ['3B 90 11 00', 'T=0'],
    ['3B 80', 'T=0'],
    ['3B', 'T=0'],
  ])('%s -> %s', (atr, protocol) => {
    expect(protocolFromAtr(fromHex(atr))).toBe(protocol);
  });

  it('MemoryTransport takes its protocol from the ATR unless told', () => {
    expect(new MemoryTransport(() => ok(), { atr: fromHex('3B 95 13 81 01 80 73 FF 01 00 0B') }).protocol).toBe('T=1');
    expect(new MemoryTransport(() => ok()).protocol).toBe('T=0');
    expect(new MemoryTransport(() => ok(), { protocol: 'T=1' }).protocol).toBe('T=1');
  });
});
