import { describe, expect, it } from 'vitest';
import {
  bytesEqual,
  decodeCommand,
  encodeBerTlv,
  encodeResponse,
  fromHex,
  type DecodedCommandApdu,
} from '../../src/apdu/index.js';
import { buildSscCard, samplePerson } from '../../src/card-sim/index.js';
import {
  CardDataError,
  MemoryTransport,
  SSSE_DF_NAME,
  SecurityStatusError,
  SoftwarePsam,
  SscCard,
} from '../../src/terminal/index.js';

/*
 * Card data the simulator would never produce: a real simulated card behind a seam that replaces
 * chosen answers. The SDK must report them as CardDataError naming the item, never crash.
 */

type Override = (cmd: DecodedCommandApdu) => Uint8Array | undefined;

const ok = (data: Uint8Array): Uint8Array => encodeResponse(data, 0x9000);
const isSelectSsse = (c: DecodedCommandApdu): boolean => c.ins === 0xa4 && bytesEqual(c.data, SSSE_DF_NAME);
const isRead = (c: DecodedCommandApdu, record: number, sfi: number): boolean =>
  c.ins === 0xb2 && c.p1 === record && c.p2 === ((sfi << 3) | 4);

async function open(
  person: string,
  override: Override,
  opts: Parameters<typeof SscCard.open>[1] = {},
): Promise<SscCard> {
  const sim = buildSscCard(samplePerson(person), { transmission: 'T=1' });
  sim.powerOn();
  // The real card always processes the command (so selections happen); the override may replace its answer.
  const transport = new MemoryTransport(
    (bytes) => {
      const real = sim.transmit(bytes);
      return override(decodeCommand(bytes)) ?? real;
    },
    { atr: sim.atr },
  );
  return SscCard.open(transport, { refuseInitialPin: false, ...opts });
}

async function unlocked(
  person: string,
  override: Override,
  opts: Parameters<typeof SscCard.open>[1] = {},
): Promise<SscCard> {
  const card = await open(person, override, opts);
  await card.verifyPin('123456');
  return card;
}

describe('SSSE FCI', () => {
  it('no 9F0C: the algorithm is unknown, and a 3.00 card then cannot authenticate for EF06', async () => {
    const fci = encodeBerTlv(0x6f, encodeBerTlv(0x84, SSSE_DF_NAME));
    const card = await open('wang-yan', (c) => (isSelectSsse(c) ? ok(fci) : undefined), {
      psam: SoftwarePsam.withTestKeys(['RKSSSE']),
    });
    expect(card.algorithm).toBeUndefined();
    await expect(card.readCardholder()).rejects.toBeInstanceOf(SecurityStatusError);
  });

  it('an unknown algorithm code reads as undefined', async () => {
    const fci = fromHex('6F 08 A5 06 9F 0C 03 86 01 07');
    const card = await open('zhang-wei', (c) => (isSelectSsse(c) ? ok(fci) : undefined));
    expect(card.algorithm).toBeUndefined();
  });

  it.each([
    ['truncated BER-TLV', '6F 10 84 0F 73'],
    ['9F0C without an 86 object', '6F 07 A5 05 9F 0C 02 01 01'],
    ['86 of two bytes', '6F 08 A5 06 9F 0C 03 86 02 01'],
  ])('%s is CardDataError', async (_, hex) => {
    await expect(open('zhang-wei', (c) => (isSelectSsse(c) ? ok(fromHex(hex)) : undefined))).rejects.toBeInstanceOf(
      CardDataError,
    );
  });
});

describe('TLV items of EF05 / EF06', () => {
  it('a record with the wrong tag is CardDataError naming the item', async () => {
    const card = await open('zhang-wei', (c) => (isRead(c, 1, 5) ? ok(fromHex('02 01 31')) : undefined));
    const err = await card.readCardInfo().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardDataError);
    expect((err as Error).message).toContain('EF05 cardIdentifier');
  });

  it('a date that is not a calendar date is CardDataError', async () => {
    const card = await open('zhang-wei', (c) => (isRead(c, 7, 6) ? ok(fromHex('0D 04 19 85 02 30')) : undefined));
    await expect(card.readCardholder()).rejects.toMatchObject({
      code: 'CARD_DATA',
      message: expect.stringContaining('birthDate'),
    });
  });

  it('a missing name-extension record (6A83) reads as no extension', async () => {
    const card = await open('zhang-wei', (c) =>
      isRead(c, 3, 6) ? encodeResponse(new Uint8Array(0), 0x6a83) : undefined,
    );
    expect((await card.readCardholder()).name).toBe('张伟');
  });

  it('a spec version that is not TLV fails open', async () => {
    await expect(open('zhang-wei', (c) => (isRead(c, 3, 5) ? ok(fromHex('03')) : undefined))).rejects.toBeInstanceOf(
      CardDataError,
    );
  });
});

describe('fixed records', () => {
  it('a work record of the wrong length is CardDataError', async () => {
    const card = await unlocked('zhang-wei', (c) => (isRead(c, 1, 7) ? ok(new Uint8Array(84).fill(0x41)) : undefined));
    await expect(card.readWorkRecord()).rejects.toMatchObject({
      code: 'CARD_DATA',
      message: expect.stringContaining('84 bytes'),
    });
  });

  it('empty (all 00 / all FF) records of a cyclic file are skipped', async () => {
    const card = await unlocked('zhang-wei', (c) => {
      if (isRead(c, 1, 7)) return ok(new Uint8Array(85));
      if (isRead(c, 2, 7)) return ok(new Uint8Array(85).fill(0xff));
      return undefined;
    });
    // Records 1 and 2 are blank here; the card's own record 2 is hidden, record 3 is 6A83.
    expect(await card.readWorkRecord()).toEqual([]);
  });

  it('a cyclic file that never ends is cut off with CardDataError', async () => {
    const record = new Uint8Array(96);
    const card = await unlocked('zhang-wei', (c) => (c.ins === 0xb2 && c.p2 >> 3 === 8 ? ok(record) : undefined));
    await expect(card.readMedicalHistory()).rejects.toMatchObject({
      code: 'CARD_DATA',
      message: expect.stringContaining('more than 254'),
    });
  });

  it('an ABO byte outside CV04.50.005 is CardDataError', async () => {
    // SFI 5 is EF05 under SSSE and under DF10: corrupt it only while DF10 is selected.
    let inDf10 = false;
    const card = await unlocked('zhang-wei', (c) => {
      if (c.ins === 0xa4) inDf10 = bytesEqual(c.data, fromHex('DF10'));
      return inDf10 && isRead(c, 1, 5) ? ok(fromHex('5A')) : undefined;
    });
    await expect(card.readHealth()).rejects.toMatchObject({
      code: 'CARD_DATA',
      message: expect.stringContaining('abo'),
    });
  });

  it('a GET DATA answer without 9F17 is CardDataError', async () => {
    const card = await open('zhang-wei', (c) => (c.ins === 0xca ? ok(fromHex('9F 18 01 03')) : undefined));
    await expect(card.bank.pinTriesLeft()).rejects.toBeInstanceOf(CardDataError);
  });
});
