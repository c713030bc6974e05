/**
 * Testing POS code with sscard: a simulated card in a MemoryTransport stands in for the card in
 * the reader. The test imports the package by its name, as a POS project that depends on sscard
 * does (run `npm run build` first in this checkout: the names resolve to dist/).
 *
 * Run: npx vitest run examples/testing/pos.test.ts
 */
import { describe, expect, it } from 'vitest';
import type { CardEndpoint } from 'sscard/apdu';
import { SimulatedCard, buildSscCard, samplePerson, type PersonalizationDocument } from 'sscard/card-sim';
import { CardStatusError, MemoryTransport, SoftwarePsam, TimeoutError, type PrescriptionItem } from 'sscard/terminal';
import { counterCheck } from './pos.js';

/** A sample holder whose card already has a PIN of her own (not the issuer's initial one). */
function holder(key = 'li-xiuying'): PersonalizationDocument {
  return { ...samplePerson(key), pin: { initial: '580913' } };
}

const amoxicillin: PrescriptionItem = { drug: 'amoxicillin', ingredients: ['阿莫西林', '青霉素类抗生素'] };
const ibuprofen: PrescriptionItem = { drug: 'ibuprofen', ingredients: ['布洛芬'] };
// li-xiuying's card is a spec 3.00 card: the till's secure module must hold RKSSSE.
const till = { psam: SoftwarePsam.withTestKeys(['RKSSSE']) };

/**
 * Fault injection: the simulated card behind a hook that sees every command first and may answer
 * in the card's place (any bytes, late, or never: a promise that does not settle).
 */
function withFault(
  card: SimulatedCard,
  fault: (command: Uint8Array) => Uint8Array | Promise<Uint8Array> | undefined,
): CardEndpoint<Uint8Array | Promise<Uint8Array>> {
  return {
    get atr() {
      return card.atr;
    },
    get powered() {
      return card.powered;
    },
    powerOn: () => card.powerOn(),
    powerOff: () => card.powerOff(),
    reset: (kind) => card.reset(kind),
    transmit: (command) => fault(command) ?? card.transmit(command),
  };
}

const isVerify = (command: Uint8Array): boolean => command[1] === 0x20;

describe('counterCheck', () => {
  it('dispenses when nothing on the card conflicts', async () => {
    const transport = new MemoryTransport(buildSscCard(holder()));
    expect(await counterCheck(transport, '580913', [ibuprofen], till)).toEqual({ kind: 'dispense', holder: '李秀英' });
  });

  it('flags a drug the card lists as contraindicated', async () => {
    const transport = new MemoryTransport(buildSscCard(holder('zhang-wei')));
    const outcome = await counterCheck(transport, '580913', [amoxicillin, ibuprofen]);
    expect(outcome).toEqual({ kind: 'conflict', holder: '张伟', drugs: ['amoxicillin'] });
  });

  it('counts wrong PINs down, then sends the holder to a service window', async () => {
    // One card across several checks: the card keeps its try counter, as a real one does.
    const transport = new MemoryTransport(buildSscCard(holder()));
    expect(await counterCheck(transport, '000000', [ibuprofen], till)).toEqual({ kind: 'wrong-pin', triesLeft: 2 });
    expect(await counterCheck(transport, '000000', [ibuprofen], till)).toEqual({ kind: 'wrong-pin', triesLeft: 1 });
    expect(await counterCheck(transport, '000000', [ibuprofen], till)).toEqual({
      kind: 'pin-blocked',
      advice: 'unlock it at a service window',
    });
  });

  it('copes with the card pulled out mid-check, and works again once it is back', async () => {
    const sim = buildSscCard(holder());
    // The holder pulls the card as the PIN goes to it: the VERIFY never gets its answer.
    let pull = true;
    const transport: MemoryTransport = new MemoryTransport(
      withFault(sim, (command) => {
        if (!pull || !isVerify(command)) return undefined;
        pull = false;
        setTimeout(() => transport.remove(), 5);
        return new Promise<Uint8Array>(() => {});
      }),
    );
    expect(await counterCheck(transport, '580913', [ibuprofen], till)).toEqual({ kind: 'card-removed' });
    transport.insert();
    expect(await counterCheck(transport, '580913', [ibuprofen], till)).toEqual({ kind: 'dispense', holder: '李秀英' });
  });

  it('throws on a card that stops answering (bounded by the channel time limit)', async () => {
    const transport = new MemoryTransport(
      withFault(buildSscCard(holder()), (command) =>
        isVerify(command) ? new Promise<Uint8Array>(() => {}) : undefined,
      ),
    );
    await expect(counterCheck(transport, '580913', [ibuprofen], { ...till, timeoutMs: 50 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
  });

  it('throws on a card that answers an unexpected status word', async () => {
    const transport = new MemoryTransport(
      withFault(buildSscCard(holder()), (command) => (isVerify(command) ? Uint8Array.of(0x6f, 0x00) : undefined)),
    );
    const error = await counterCheck(transport, '580913', [ibuprofen], till).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardStatusError);
    expect((error as CardStatusError).sw).toBe(0x6f00);
  });
});
