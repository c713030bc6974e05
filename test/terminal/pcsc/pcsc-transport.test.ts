import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/apdu/index.js';
import { buildSscCard, samplePerson } from '../../../src/card-sim/index.js';
import {
  CardRemovedError,
  CardResetError,
  ChannelClosedError,
  InvalidArgumentError,
  SscCard,
  type CardEvent,
  NoCardError,
  PcscServiceError,
  PcscTransport,
  PcscliteTransport,
  ReaderNotFoundError,
  SmartcardTransport,
  type PcscBackend,
} from '../../../src/terminal/index.js';
import { FakePcsc, fakeReaderRig } from './fake-backend.js';
import { pcscTransportSuite } from './transport-suite.js';

/*
 * PcscTransport on PC/SC in memory: the transport contract suite, which the lab runs through both
 * real bindings and the pcscd socket backend, here on every machine; then what the lifecycle does
 * around it.
 */

const suitePcsc = new FakePcsc();
pcscTransportSuite(
  'PcscTransport (in-memory PC/SC)',
  (opts) => PcscTransport.connect({ ...opts, backend: suitePcsc }),
  fakeReaderRig(suitePcsc),
);

const SELECT_MF = fromHex('00A4000C023F00');

function zhangWei(): ReturnType<typeof buildSscCard> {
  return buildSscCard(samplePerson('zhang-wei'), { transmission: 'T=1' });
}

/** A FakePcsc with a card that pcscd already sees in `reader`. */
async function withCard(reader = 'Fake Reader 00'): Promise<{ pcsc: FakePcsc; sim: ReturnType<typeof buildSscCard> }> {
  const pcsc = new FakePcsc({ noticeMs: 20 });
  const sim = zhangWei();
  pcsc.insert(reader, sim);
  await pcsc.settled(reader);
  return { pcsc, sim };
}

describe('PcscTransport lifecycle (in-memory PC/SC)', () => {
  it('without a reader name it takes the first reader holding a card, and names itself after the backend and the reader', async () => {
    const { pcsc, sim } = await withCard('Fake Reader 01');
    const transport = await PcscTransport.connect({ backend: pcsc });
    expect(transport.reader).toBe('Fake Reader 01');
    expect(transport.name).toBe('fake:Fake Reader 01');
    expect(transport.atr()).toEqual(sim.atr);
    expect(toHex(await transport.transmit(SELECT_MF))).toBe('9000');
    await transport.close();
    const named = await PcscTransport.connect({ backend: pcsc, name: 'counter 3' });
    expect(named.name).toBe('counter 3');
    await named.close();
    expect([pcsc.openHandles(), pcsc.openContexts()]).toEqual([0, 0]);
  });

  it('waits up to waitForCardMs for a card, and says which reader stayed empty', async () => {
    const pcsc = new FakePcsc({ noticeMs: 20 });
    await expect(PcscTransport.connect({ backend: pcsc })).rejects.toThrow(/no card in any reader/);
    const empty = await PcscTransport.connect({ backend: pcsc, reader: 'Fake Reader 01', waitForCardMs: 60 }).catch(
      (e: unknown) => e,
    );
    expect(empty).toBeInstanceOf(NoCardError);
    expect((empty as NoCardError).reader).toBe('Fake Reader 01');
    expect((empty as Error).message).toContain('within 60 ms');
    setTimeout(() => pcsc.insert('Fake Reader 01', zhangWei()), 30);
    const transport = await PcscTransport.connect({ backend: pcsc, waitForCardMs: 2000 });
    expect(transport.reader).toBe('Fake Reader 01');
    await transport.close();
    // Every failed connect released its context.
    expect(pcsc.openContexts()).toBe(0);
  });

  it('an unknown reader lists the ones there are; no pcscd is PcscServiceError; a bad backend is refused', async () => {
    const pcsc = new FakePcsc();
    const unknown = await PcscTransport.connect({ backend: pcsc, reader: 'Nope' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ReaderNotFoundError);
    expect((unknown as ReaderNotFoundError).available).toEqual(['Fake Reader 00', 'Fake Reader 01']);
    await expect(PcscTransport.connect({ backend: new FakePcsc({ readers: [] }) })).rejects.toThrow(
      /pcscd lists no reader/,
    );
    const down = new FakePcsc({ service: false });
    await expect(PcscTransport.connect({ backend: down })).rejects.toBeInstanceOf(PcscServiceError);
    await expect(PcscTransport.connect({ backend: {} as PcscBackend })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('close() resets the card by default (a verified PIN does not outlive the connection); closeDisposition leave keeps it', async () => {
    for (const [disposition, verifiedAfter] of [
      [undefined, 0],
      ['leave', 1],
    ] as const) {
      const { pcsc, sim } = await withCard();
      const transport = await PcscTransport.connect({
        backend: pcsc,
        reader: 'Fake Reader 00',
        ...(disposition === undefined ? {} : { closeDisposition: disposition }),
      });
      const card = await SscCard.open(transport);
      await card.changePin('123456', '135790');
      await card.verifyPin('135790');
      expect(sim.securityState().verifiedPins).toHaveLength(1);
      await transport.close();
      expect(sim.securityState().verifiedPins).toHaveLength(verifiedAfter);
      await expect(transport.transmit(SELECT_MF)).rejects.toBeInstanceOf(ChannelClosedError);
      expect(() => transport.atr()).toThrow(ChannelClosedError);
      expect(pcsc.openHandles()).toBe(0);
    }
  });

  it('close() gives an exchange that never ends one second, then leaves the handle and tells the backend the context was abandoned', async () => {
    const { pcsc } = await withCard();
    const transport = await PcscTransport.connect({ backend: pcsc, reader: 'Fake Reader 00' });
    pcsc.freeze('Fake Reader 00');
    const hung = transport.transmit(SELECT_MF).catch((e: unknown) => e);
    const started = performance.now();
    await transport.close();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(2000);
    expect(pcsc.abandonedContexts).toBe(1);
    // Disconnecting would have waited for the hung exchange.
    expect(pcsc.openHandles()).toBe(1);
    // When the card finally goes, the exchange ends as closed, not as a removal.
    pcsc.pull('Fake Reader 00');
    expect(await hung).toBeInstanceOf(ChannelClosedError);
  });

  it('close() waits for an exchange that ends within the grace period, then disconnects', async () => {
    const { pcsc } = await withCard();
    const transport = await PcscTransport.connect({ backend: pcsc, reader: 'Fake Reader 00' });
    const answered = transport.transmit(SELECT_MF);
    await transport.close();
    await expect(answered).rejects.toBeInstanceOf(ChannelClosedError);
    expect([pcsc.openHandles(), pcsc.abandonedContexts]).toEqual([0, 0]);
  });

  it('a removal noticed between exchanges is a removed event; atr() and transmit() then fail until reconnect()', async () => {
    const { pcsc, sim } = await withCard();
    const transport = await PcscTransport.connect({ backend: pcsc, reader: 'Fake Reader 00' });
    const events: CardEvent[] = [];
    transport.onEvent((e) => events.push(e));
    pcsc.pull('Fake Reader 00');
    await pcsc.settled('Fake Reader 00');
    expect(events).toEqual([{ type: 'removed' }]);
    expect(transport.cardRemoved).toBe(true);
    expect(() => transport.atr()).toThrow(CardRemovedError);
    await expect(transport.transmit(SELECT_MF)).rejects.toThrow(/call reconnect\(\)/);
    pcsc.insert('Fake Reader 00', sim);
    await pcsc.settled('Fake Reader 00');
    expect(events.map((e) => e.type)).toEqual(['removed', 'inserted']);
    expect(await transport.reconnect()).toEqual(sim.atr);
    expect(events.map((e) => e.type)).toEqual(['removed', 'inserted', 'inserted']);
    expect(toHex(await transport.transmit(SELECT_MF))).toBe('9000');
    await transport.close();
    expect(pcsc.openHandles()).toBe(0);
  });

  it('a reset by another program whose acknowledgement finds the card gone marks the transport removed', async () => {
    const { pcsc } = await withCard();
    const transport = await PcscTransport.connect({
      backend: pcsc,
      reader: 'Fake Reader 00',
      closeDisposition: 'leave',
    });
    const events: CardEvent[] = [];
    transport.onEvent((e) => events.push(e));
    pcsc.resetByAnotherProgram('Fake Reader 00');
    const failed = transport.transmit(SELECT_MF).catch((e: unknown) => e);
    // The card leaves right after the exchange failed with the reset, before the reconnect that
    // acknowledges the reset (queued behind the exchange's own turn of the event loop).
    setImmediate(() => pcsc.pull('Fake Reader 00'));
    expect(await failed).toBeInstanceOf(CardResetError);
    expect(transport.cardRemoved).toBe(true);
    expect(events).toEqual([{ type: 'removed' }]);
    await transport.close();
  });

  it('a listener that throws does not keep the event from the others', async () => {
    const { pcsc } = await withCard();
    const transport = await PcscTransport.connect({ backend: pcsc, reader: 'Fake Reader 00' });
    const heard: string[] = [];
    transport.onEvent(() => {
      throw new Error('listener bug');
    });
    const stop = transport.onEvent((e) => heard.push(`a:${e.type}`));
    transport.onEvent((e) => heard.push(`b:${e.type}`));
    await transport.reset('warm');
    stop();
    await transport.reset('cold');
    expect(heard).toEqual(['a:reset', 'b:reset', 'b:reset']);
    await transport.close();
  });

  it('SmartcardTransport and PcscliteTransport are PcscTransports fixed to their binding', () => {
    expect(Object.getPrototypeOf(SmartcardTransport)).toBe(PcscTransport);
    expect(Object.getPrototypeOf(PcscliteTransport)).toBe(PcscTransport);
  });
});
