import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, fromHex, toHex } from '../../../src/apdu/index.js';
import { ALWAYS, MasterFile, SimulatedCard, buildSscCard, samplePerson } from '../../../src/card-sim/index.js';
import {
  CardChannel,
  CardRemovedError,
  CardResetError,
  InitialPinInEffectError,
  PinBlockedError,
  PinIncorrectError,
  SecurityStatusError,
  SoftwarePsam,
  SscCard,
  TransportError,
  type CardEvent,
  type TraceEvent,
  type Transport,
  NoCardError,
  PcscTransportError,
  ReaderNotFoundError,
  type PcscTransportOptions,
} from '../../../src/terminal/index.js';
import type { InsertedCard, ReaderRig } from './rig.js';
import { ZHANG_WEI_CARDHOLDER, ZHANG_WEI_CARD_INFO } from '../zhang-wei.js';
import { until } from '../../support/until.js';

/*
 * One suite for every PC/SC transport: SDK -> transport -> PC/SC -> SimulatedCard. The reader rig
 * decides what PC/SC is: the real pcscd with vpcd readers and the bridge (vpcdReaderRig, run by
 * smartcard-transport.test.ts, pcsclite-transport.test.ts and pcscd-socket-transport.test.ts when
 * the lab is up), or PC/SC in memory (fake-backend.ts, run by pcsc-transport.test.ts everywhere).
 */

/** What the suite needs of a PC/SC transport beyond the Transport seam. */
export interface PcscTransportUnderTest extends Transport {
  readonly reader: string;
  readonly cardRemoved: boolean;
  reconnect(opts?: { waitForCardMs?: number }): Promise<Uint8Array>;
}

export type ConnectTransport = (opts: PcscTransportOptions) => Promise<PcscTransportUnderTest>;

const NEW_PIN = '135790';
const SSSE_SELECT = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF00';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A card with one large transparent EF (32767 bytes, the most a file can hold) that answers extended APDUs. */
function extendedCard(): { sim: SimulatedCard; data: Uint8Array } {
  const data = new Uint8Array(32767);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
  const mf = new MasterFile({ atrCardBytes: fromHex('0102030405060708') });
  mf.addEf({ fid: 0x0101, sfi: 1, structure: 'transparent', data, read: ALWAYS });
  return { sim: new SimulatedCard({ tree: mf, transmission: 'T=1', extendedLength: true }), data };
}

/** READ BINARY of SFI 1 from offset 0, extended Le. */
function readBinaryExtended(le: number): Uint8Array {
  return encodeCommand({ cla: 0x00, ins: 0xb0, p1: 0x81, p2: 0x00, data: new Uint8Array(0), ne: le, extended: true });
}

export function pcscTransportSuite(label: string, connect: ConnectTransport, readers: ReaderRig): void {
  describe.runIf(readers.available(`${label} PC/SC suite`))(`${label}: the SDK through ${readers.kind}`, () => {
    const transports: PcscTransportUnderTest[] = [];

    beforeAll(() => readers.setUp(), 180_000);

    afterAll(() => {
      readers.tearDown();
    });

    afterEach(async () => {
      for (const transport of transports.splice(0).reverse()) await transport.close().catch(() => undefined);
      await readers.afterEach();
    });

    function plug(sim: SimulatedCard): Promise<InsertedCard> {
      return readers.insert(sim);
    }

    async function open(opts: PcscTransportOptions = {}): Promise<PcscTransportUnderTest> {
      const transport = await connect({ reader: readers.reader, ...opts });
      transports.push(transport);
      return transport;
    }

    interface OpenCard {
      sim: SimulatedCard;
      inserted: InsertedCard;
      transport: PcscTransportUnderTest;
      card: SscCard;
      trace: TraceEvent[];
    }

    async function rig(
      person: string,
      transmission: 'T=0' | 'T=1',
      opts: { psam?: SoftwarePsam } = {},
    ): Promise<OpenCard> {
      const sim = buildSscCard(samplePerson(person), { transmission });
      const inserted = await plug(sim);
      const transport = await open();
      const trace: TraceEvent[] = [];
      const card = await SscCard.open(transport, { trace: (e) => trace.push(e), ...opts });
      return { sim, inserted, transport, card, trace };
    }

    const sws = (trace: TraceEvent[], name: string): string[] =>
      trace
        .filter((e) => e.command.name === name)
        .map((e) =>
          e.response === undefined
            ? (e.error?.code ?? '?')
            : toHex(Uint8Array.of(e.response.sw >> 8, e.response.sw & 0xff)),
        );

    describe.each(['T=1', 'T=0'] as const)('a %s card', (transmission) => {
      it('opens and reads the card issuer data and the cardholder', async () => {
        const { transport, card, trace, sim } = await rig('zhang-wei', transmission);
        expect(transport.protocol).toBe(transmission);
        expect(transport.atr()).toEqual(sim.atr);
        expect(card.specVersion).toBe('2.00');
        expect(card.algorithm).toBe('3des');
        expect(await card.readCardInfo()).toEqual(ZHANG_WEI_CARD_INFO);
        expect(await card.readCardholder()).toEqual(ZHANG_WEI_CARDHOLDER);
        // T=0: the card's 61xx went up through pcscd untouched and the channel fetched the rest.
        expect(trace.some((e) => e.command.name === 'GET RESPONSE')).toBe(transmission === 'T=0');
      });

      it('PIN: wrong tries count down 63C2, 63C1, 63C0 blocks, then 6983 even for the right PIN', async () => {
        const { card, trace, sim } = await rig('zhang-wei', transmission);
        expect(await card.pinStatus()).toEqual({ triesLeft: 3, verified: false, blocked: false });
        const first = await card.verifyPin('000000').catch((e: unknown) => e);
        expect(first).toBeInstanceOf(PinIncorrectError);
        expect((first as PinIncorrectError).triesLeft).toBe(2);
        await expect(card.verifyPin('999999')).rejects.toMatchObject({ code: 'PIN_INCORRECT', triesLeft: 1 });
        expect(await card.pinStatus()).toEqual({ triesLeft: 1, verified: false, blocked: false });
        const blocking = await card.verifyPin('000000').catch((e: unknown) => e);
        expect(blocking).toBeInstanceOf(PinBlockedError);
        expect((blocking as PinBlockedError).justBlocked).toBe(true);
        const right = await card.verifyPin('123456').catch((e: unknown) => e);
        expect(right).toBeInstanceOf(PinBlockedError);
        expect((right as PinBlockedError).justBlocked).toBe(false);
        expect(sws(trace, 'VERIFY')).toEqual(['63C3', '63C2', '63C1', '63C1', '63C0', '6983']);
        expect(await card.pinStatus()).toEqual({ triesLeft: 0, verified: false, blocked: true });
        // The card itself is blocked, not just the SDK's view of it.
        const ssse = sim.tree.findByDfName(fromHex('7378312E73682EC9E7BBE1B1A3D5CF'));
        expect(ssse?.pins[0]?.pin.status()).toMatchObject({ blocked: true, triesLeft: 0 });
      });

      it('changes the initial PIN, then reads work records, health, contraindications and medical history', async () => {
        const { card, sim } = await rig('zhang-wei', transmission);
        const doc = samplePerson('zhang-wei');
        await expect(card.readHealth()).rejects.toBeInstanceOf(SecurityStatusError);
        await expect(card.verifyPin('123456')).rejects.toBeInstanceOf(InitialPinInEffectError);
        await card.changePin('123456', NEW_PIN);
        await expect(card.changePin('654321', '246802')).rejects.toMatchObject({ code: 'PIN_INCORRECT', triesLeft: 2 });
        await card.verifyPin(NEW_PIN);
        expect(await card.pinStatus()).toEqual({ triesLeft: null, verified: true, blocked: false });
        expect(await card.readWorkRecord()).toEqual(doc.workRecords);
        expect(await card.readHealth()).toMatchObject({ abo: 'A', rh: 'positive' });
        expect(await card.readContraindications()).toEqual(doc.health?.contraindications);
        expect(await card.readMedicalHistory()).toEqual(doc.health?.history);
        expect(sim.securityState().verifiedPins).toHaveLength(1);
      });

      it('bank PIN of a financial card: its own counter, independent of the social-security PIN', async () => {
        const { card } = await rig('zhang-wei', transmission);
        expect(await card.bank.pinTriesLeft()).toBe(3);
        await expect(card.bank.verifyPin('111111')).rejects.toMatchObject({ code: 'PIN_INCORRECT', triesLeft: 2 });
        expect(await card.bank.pinTriesLeft()).toBe(2);
        await card.bank.verifyPin('888888');
        expect(await card.bank.pinTriesLeft()).toBe(3);
        expect(await card.pinStatus()).toEqual({ triesLeft: 3, verified: false, blocked: false });
      });
    });

    it('a 3.00 card gives its cardholder after external authentication (SM4) through pcscd', async () => {
      const { card, trace } = await rig('li-xiuying', 'T=1', { psam: SoftwarePsam.withTestKeys(['RKSSSE']) });
      expect(card.algorithm).toBe('sm4');
      expect((await card.readCardholder()).name).toBe('李秀英');
      expect(sws(trace, 'EXTERNAL AUTHENTICATE')).toEqual(['9000']);
    });

    it('carries an extended-length READ BINARY answer of 32767 bytes in one exchange', async () => {
      const { sim, data } = extendedCard();
      await plug(sim);
      const transport = await open();
      const raw = await transport.transmit(readBinaryExtended(data.length));
      expect(raw.length).toBe(data.length + 2);
      expect(raw.subarray(0, data.length)).toEqual(data);
      expect(toHex(raw.subarray(data.length))).toBe('9000');
      // The same through the channel layer: one exchange, no GET RESPONSE.
      const channel = new CardChannel(transport);
      const trace: TraceEvent[] = [];
      channel.subscribe((e) => trace.push(e));
      const r = await channel.transmit({
        cla: 0,
        ins: 0xb0,
        p1: 0x81,
        p2: 0,
        data: new Uint8Array(0),
        ne: 30000,
        extended: true,
      });
      expect(r.sw).toBe(0x9000);
      expect(r.data).toEqual(data.subarray(0, 30000));
      expect(trace).toHaveLength(1);
    });

    it("passes a T=0 card's 61xx up unchanged: GET RESPONSE is the channel's job", async () => {
      await plug(buildSscCard(samplePerson('zhang-wei'), { transmission: 'T=0' }));
      const transport = await open();
      expect(transport.protocol).toBe('T=0');
      const raw = await transport.transmit(fromHex(SSSE_SELECT));
      expect(raw.length).toBe(2);
      expect(raw[0]).toBe(0x61);
      const rest = await transport.transmit(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, raw[1] as number));
      expect(toHex(rest.subarray(rest.length - 2))).toBe('9000');
      expect(rest.length).toBe((raw[1] as number) + 2);
    });

    it('card pulled while in use: in-flight and next calls fail with CardRemovedError within a second; reconnect after re-insert', async () => {
      const { sim, inserted, transport, card } = await rig('zhang-wei', 'T=1');
      const events: CardEvent[] = [];
      transport.onEvent((e) => events.push(e));
      let reads = 0;
      const busy = (async (): Promise<{ error: unknown; at: number }> => {
        for (;;) {
          try {
            await card.readCardInfo();
            reads++;
          } catch (error) {
            return { error, at: performance.now() };
          }
        }
      })();
      await until('a few reads', () => reads >= 3);
      const pulled = performance.now();
      await inserted.pull();
      const failed = await busy;
      expect(failed.error).toBeInstanceOf(CardRemovedError);
      expect(failed.at - pulled).toBeLessThan(1000);
      const next = performance.now();
      await expect(card.readCardholder()).rejects.toBeInstanceOf(CardRemovedError);
      expect(performance.now() - next).toBeLessThan(1000);
      await until('the removed event', () => events.some((e) => e.type === 'removed'));
      expect(transport.cardRemoved).toBe(true);

      // Put the same card back: the transport reports it, the old handle stays dead until reconnect().
      const again = await plug(sim);
      await until('the inserted event', () => events.some((e) => e.type === 'inserted'));
      await expect(card.readCardInfo()).rejects.toBeInstanceOf(CardRemovedError);
      expect(await transport.reconnect({ waitForCardMs: 2000 })).toEqual(sim.atr);
      expect(transport.cardRemoved).toBe(false);
      expect((await card.readCardInfo()).cardNumber).toBe('A10500031');
      // After the power cycle the PIN must be verified again.
      expect(await card.pinStatus()).toEqual({ triesLeft: 3, verified: false, blocked: false });
      await again.remove();
      await expect(transport.reconnect()).rejects.toBeInstanceOf(NoCardError);
    });

    it('card process killed in the middle of a command: CardRemovedError within a second, no hang', async () => {
      const served = await readers.insertKillable(buildSscCard(samplePerson('zhang-wei'), { transmission: 'T=1' }));
      const transport = await open();
      const card = await SscCard.open(transport);
      expect((await card.readCardInfo()).cardNumber).toBe('A10500031');
      // The card takes the next command and never answers it...
      served.freeze();
      const inFlight = card.readCardholder().then(
        () => undefined,
        (error: unknown) => ({ error, at: performance.now() }),
      );
      await sleep(300);
      // ...and then dies.
      const killed = performance.now();
      served.kill();
      const failed = await inFlight;
      expect(failed?.error).toBeInstanceOf(CardRemovedError);
      expect((failed?.at ?? Infinity) - killed).toBeLessThan(1000);
      const next = performance.now();
      await expect(card.readCardInfo()).rejects.toBeInstanceOf(CardRemovedError);
      expect(performance.now() - next).toBeLessThan(1000);
    });

    it('warm and cold resets end the PIN verification and are reported as reset events', async () => {
      const { transport, card, sim } = await rig('zhang-wei', 'T=1');
      const events: CardEvent[] = [];
      transport.onEvent((e) => events.push(e));
      await card.changePin('123456', NEW_PIN);
      for (const kind of ['warm', 'cold'] as const) {
        await card.verifyPin(NEW_PIN);
        expect(sim.securityState().verifiedPins).toHaveLength(1);
        const atr = await card.channel.reset(kind);
        expect(atr).toEqual(sim.atr);
        expect(sim.securityState().verifiedPins).toEqual([]);
        await expect(card.readHealth()).rejects.toBeInstanceOf(SecurityStatusError);
      }
      expect(events.filter((e) => e.type === 'reset')).toHaveLength(2);
      expect(events.every((e) => e.type !== 'reset' || (e.atr !== undefined && toHex(e.atr) === toHex(sim.atr)))).toBe(
        true,
      );
    });

    it('a reset by another program is CardResetError once; the next call works on the reset card', async () => {
      const { card, sim } = await rig('zhang-wei', 'T=1');
      await card.changePin('123456', NEW_PIN);
      await card.verifyPin(NEW_PIN);
      expect(await readers.resetByAnotherProgram()).toBe(toHex(sim.atr));
      await expect(card.readHealth()).rejects.toBeInstanceOf(CardResetError);
      // The PIN verification died with the reset; the SDK selects SSSE again by itself.
      await expect(card.readHealth()).rejects.toBeInstanceOf(SecurityStatusError);
      await card.verifyPin(NEW_PIN);
      expect(await card.readHealth()).toMatchObject({ abo: 'A' });
    });

    it('typed errors: empty reader, unknown reader, protocol mismatch, sharing violation, buffer too small', async () => {
      await expect(connect({ reader: readers.reader })).rejects.toBeInstanceOf(NoCardError);
      await expect(connect({ reader: 'No Such Reader 99' })).rejects.toBeInstanceOf(ReaderNotFoundError);
      const { sim, data } = extendedCard();
      await plug(sim);
      // The card's ATR offers T=1 only.
      const mismatch = await connect({ reader: readers.reader, protocols: ['T=0'] }).catch((e: unknown) => e);
      expect(mismatch).toBeInstanceOf(PcscTransportError);
      expect(mismatch).toBeInstanceOf(TransportError);
      expect((mismatch as PcscTransportError).pcscName).toBe('SCARD_E_PROTO_MISMATCH');
      const shared = await open();
      const exclusive = await connect({ reader: readers.reader, share: 'exclusive' }).catch((e: unknown) => e);
      expect(exclusive).toBeInstanceOf(PcscTransportError);
      expect((exclusive as PcscTransportError).pcscName).toBe('SCARD_E_SHARING_VIOLATION');
      await shared.close();
      const small = await open({ maxRecvLength: 258 });
      const tooBig = await small.transmit(readBinaryExtended(data.length)).catch((e: unknown) => e);
      expect(tooBig).toBeInstanceOf(PcscTransportError);
      expect((tooBig as PcscTransportError).pcscName).toBe('SCARD_E_INSUFFICIENT_BUFFER');
      expect((tooBig as Error).cause).toBeInstanceOf(Error);
      // A short answer still fits, and the transport is still usable.
      expect(toHex(await small.transmit(readBinaryExtended(4)))).toBe(`${toHex(data.subarray(0, 4))}9000`);
    });
  });
}
