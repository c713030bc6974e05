import { describe, expect, it } from 'vitest';
import {
  bytesEqual,
  concatBytes,
  decodeCommand,
  encodeBerTlv,
  encodeResponse,
  fromHex,
  toHex,
  type DecodedCommandApdu,
} from '../../../src/apdu/index.js';
import { buildSscCard, samplePerson, type SimulatedCard } from '../../../src/card-sim/index.js';
import {
  BANK_AID,
  CardDataError,
  FileNotFoundError,
  MemoryTransport,
  PSE_DF_NAME,
  SscCard,
} from '../../../src/terminal/index.js';

/*
 * card.bank.readAccount(): the PAN read the PBOC way, over a simulated card (both protocols), and
 * over answers the simulator would not give (another PSE priority order, a PDOL, format 1 GPO, no
 * PSE at all, a record without a PAN).
 */

type Override = (cmd: DecodedCommandApdu, real: Uint8Array) => Uint8Array | undefined;

async function open(person: string, opts: { transmission?: 'T=0' | 'T=1'; override?: Override } = {}) {
  const sim: SimulatedCard = buildSscCard(samplePerson(person), { transmission: opts.transmission ?? 'T=1' });
  sim.powerOn();
  const sent: string[] = [];
  const transport = new MemoryTransport(
    (bytes) => {
      sent.push(toHex(bytes));
      const real = sim.transmit(bytes);
      return opts.override?.(decodeCommand(bytes), real) ?? real;
    },
    { atr: sim.atr },
  );
  const card = await SscCard.open(transport, { refuseInitialPin: false });
  return { card, sent };
}

const ok = (data: Uint8Array): Uint8Array => encodeResponse(data, 0x9000);

describe('bank.readAccount', () => {
  for (const transmission of ['T=1', 'T=0'] as const) {
    it(`reads PAN, expiry, name and track 2 through PSE, AID, GPO and the AFL records (${transmission})`, async () => {
      const { card, sent } = await open('zhang-wei', { transmission });
      sent.length = 0;
      const account = await card.bank.readAccount();
      const doc = samplePerson('zhang-wei');
      expect(account).toEqual({
        aid: 'A000000333010101',
        label: 'PBOC DEBIT',
        pan: doc.card.pan,
        expiryDate: doc.card.expiryDate,
        cardholderName: 'ZHANG/WEI',
        track2: `${doc.card.pan}D${doc.card.expiryDate.slice(2, 4)}${doc.card.expiryDate.slice(5, 7)}2200000000000`,
      });
      const commands = sent.map((c) => c.slice(0, 8));
      expect(commands.filter((c) => c !== '00C00000')).toEqual([
        '00A40400', // PSE
        '00B2010C',
        '00B2020C', // its directory, until 6A83
        '00A40400', // the AID
        '80A80000', // GET PROCESSING OPTIONS
        '00B20114',
        '00B20214',
        '00B2011C', // SFI 2 records 1-2, SFI 3 record 1
      ]);
      // The SDK's other reads still find their way back.
      expect((await card.readCardInfo()).cardNumber).toBe(doc.card.number);
    });
  }

  it('reads the 3.00 card with the RID-form identifier', async () => {
    const doc = samplePerson('wang-yan');
    const { card } = await open('wang-yan');
    const account = await card.bank.readAccount();
    expect(account.pan).toBe(doc.card.pan);
    expect(account.cardholderName).toBe('WANG/YAN');
  });

  it('a card without a bank application: FileNotFoundError', async () => {
    const { card } = await open('li-xiuying');
    await expect(card.bank.readAccount()).rejects.toBeInstanceOf(FileNotFoundError);
  });

  it('follows what other cards answer: no PSE, a PDOL filled with zeros, GPO format 1', async () => {
    // An FCI with a PDOL asking for 9F66 (4 bytes): the terminal answers it with zeros.
    const pdolFci = encodeBerTlv(
      0x6f,
      concatBytes(encodeBerTlv(0x84, BANK_AID), encodeBerTlv(0xa5, encodeBerTlv(0x9f38, fromHex('9F6604')))),
    );
    let gpoData = '';
    const { card } = await open('zhang-wei', {
      override: (c) => {
        if (c.ins === 0xa4 && bytesEqual(c.data, PSE_DF_NAME)) return encodeResponse(new Uint8Array(0), 0x6a82);
        if (c.ins === 0xa4 && bytesEqual(c.data, BANK_AID)) return ok(pdolFci);
        if (c.ins === 0xa8) {
          gpoData = toHex(c.data);
          return ok(encodeBerTlv(0x80, fromHex('7C00 10010200 18010100')));
        }
        return undefined;
      },
    });
    const account = await card.bank.readAccount();
    expect(gpoData).toBe('830400000000');
    expect(account.pan).toBe(samplePerson('zhang-wei').card.pan);
    expect(account.label).toBe('');
  });

  it("records without a PAN, or a GPO without an AFL, are the card's fault (CardDataError)", async () => {
    const noPan = await open('zhang-wei', {
      override: (c) => (c.ins === 0xb2 && c.p2 >> 3 === 2 ? ok(fromHex('7003 5F3401 01')) : undefined),
    });
    await expect(noPan.card.bank.readAccount()).rejects.toBeInstanceOf(CardDataError);
    const noAfl = await open('zhang-wei', {
      override: (c) => (c.ins === 0xa8 ? ok(fromHex('7704 82027C00')) : undefined),
    });
    await expect(noAfl.card.bank.readAccount()).rejects.toThrow(/no AFL/);
  });
});
