import { describe, expect, it } from 'vitest';
import { concatBytes, encodeCommand, fromHex } from '../../src/apdu/index.js';
import { SimulatedCard } from '../../src/card-sim/index.js';
import { expectTranscript, send, sw } from '../support/card-exchange.js';
import { SSSE_NAME, buildTestTree, hex, selectSsse, ssseCard, testCard } from './fixtures.js';

const SSSE_FCI = '6F19840F7378312E73682EC9E7BBE1B1A3D5CFA5069F0C03860101';
const SELECT_SSSE = concatBytes(fromHex('00A40400'), Uint8Array.of(SSSE_NAME.length), SSSE_NAME);

describe('T=0', () => {
  it('a case-4 answer comes as 61xx and GET RESPONSE fetches it', () => {
    const card = testCard({ transmission: 'T=0' });
    const r = send(card, concatBytes(SELECT_SSSE, Uint8Array.of(0)));
    expect(r.sw).toBe(0x611b);
    expect(r.data.length).toBe(0);
    const g = send(card, '00C000001B');
    expect(g.sw).toBe(0x9000);
    expect(hex(g.data)).toBe(SSSE_FCI);
  });

  it('case 3 with response data also answers 61xx', () => {
    const card = testCard({ transmission: 'T=0' });
    expect(sw(card, SELECT_SSSE)).toBe('611B');
  });

  it('GET RESPONSE: wrong Le 6Cxx (data kept), smaller Le chunks with 61xx, then the original SW', () => {
    const card = testCard({ transmission: 'T=0' });
    send(card, SELECT_SSSE);
    expect(sw(card, '00C0000020')).toBe('6C1B');
    expect(sw(card, '00C0000000')).toBe('6C1B'); // Le 00 = 256 in T=0
    const first = send(card, '00C0000010');
    expect(first.sw).toBe(0x610b);
    const rest = send(card, '00C000000B');
    expect(rest.sw).toBe(0x9000);
    expect(hex(concatBytes(first.data, rest.data))).toBe(SSSE_FCI);
    expect(sw(card, '00C000000B')).toBe('6985'); // nothing pending any more
  });

  it('any other command clears the pending response', () => {
    const card = testCard({ transmission: 'T=0' });
    send(card, SELECT_SSSE);
    expect(sw(card, '0020000000')).toBe('63C3');
    expect(sw(card, '00C000001B')).toBe('6985');
    send(card, SELECT_SSSE);
    expect(sw(card, '00FF0000')).toBe('6D00'); // even a rejected command
    expect(sw(card, '00C000001B')).toBe('6985');
  });

  it('case 2 (READ RECORD) answers directly; wrong Le is 6Cxx', () => {
    const card = testCard({ transmission: 'T=0' });
    send(card, SELECT_SSSE);
    expect(sw(card, '00B2072C05')).toBe('6C0B');
    const r = send(card, '00B2072C0B');
    expect(r.sw).toBe(0x9000);
    expect(r.data.length).toBe(11);
  });

  it('an answer of 256 bytes or more is announced as 6100 and fetched in chunks', () => {
    const card = bigFciCard('T=0');
    expect(sw(card, '00A4000002D0D0')).toBe('6100');
    const first = send(card, '00C0000000');
    expect(first.data.length).toBe(256);
    expect(first.sw).toBe(0x6100 | (BIG_FCI_LENGTH - 256));
    const rest = send(card, `00C00000${(BIG_FCI_LENGTH - 256).toString(16).padStart(2, '0')}`);
    expect(rest.sw).toBe(0x9000);
    expect(hex(concatBytes(first.data, rest.data))).toBe(hex(bigFci()));
  });
});

/** A DF whose FCI is longer than 256 bytes (a large proprietary template). */
const BIG_PROPRIETARY = concatBytes(fromHex('DF0182012C'), new Uint8Array(300).fill(0x5a));
const BIG_FCI_LENGTH = 4 + 4 + 4 + BIG_PROPRIETARY.length; // 6F 82 LL LL, 83 02 D0D0, A5 82 LL LL
function bigFci(): Uint8Array {
  return concatBytes(
    fromHex('6F82'),
    Uint8Array.of((BIG_FCI_LENGTH - 4) >> 8, (BIG_FCI_LENGTH - 4) & 0xff),
    fromHex('8302D0D0A582'),
    Uint8Array.of(BIG_PROPRIETARY.length >> 8, BIG_PROPRIETARY.length & 0xff),
    BIG_PROPRIETARY,
  );
}
function bigFciCard(transmission: 'T=0' | 'T=1'): SimulatedCard {
  const tree = buildTestTree();
  tree.addDf({ fid: 0xd0d0, fciProprietary: BIG_PROPRIETARY });
  return new SimulatedCard({ tree, transmission, powered: true });
}

describe('T=1 and lengths', () => {
  it('T=1 returns data directly with Le, and none without (case 3 SELECT: 9000 alone, the DF selected)', () => {
    const card = testCard();
    const bare = send(card, SELECT_SSSE);
    expect([bare.sw, bare.data.length]).toEqual([0x9000, 0]);
    expect(card.securityState().application).toBe('SSSE');
    expect(hex(send(card, concatBytes(SELECT_SSSE, Uint8Array.of(0))).data)).toBe(SSSE_FCI);
  });

  it('a Le smaller than the answer is 6Cxx', () => {
    const card = testCard();
    expect(sw(card, concatBytes(SELECT_SSSE, Uint8Array.of(5)))).toBe('6C1B');
  });

  it('extended-length APDUs only when the card allows them', () => {
    const ext = encodeCommand({ cla: 0, ins: 0xb0, p1: 0x95, p2: 0, data: new Uint8Array(0), ne: 10, extended: true });
    const plain = ssseCard();
    expect(sw(plain, ext)).toBe('6700');
    const card = ssseCard({ extendedLength: true });
    const r = send(card, ext);
    expect(r.sw).toBe(0x9000);
    expect(r.data.length).toBe(10);
  });

  it('T=1 Le 00 with more than 256 bytes: the first 256 with 61xx, the rest via GET RESPONSE', () => {
    const card = bigFciCard('T=1');
    const first = send(card, '00A4000002D0D000');
    expect(first.data.length).toBe(256);
    expect(first.sw).toBe(0x6100 | (BIG_FCI_LENGTH - 256));
    const rest = send(card, '00C0000000'); // T=1: Le 00 takes what is left
    expect(rest.sw).toBe(0x9000);
    expect(hex(concatBytes(first.data, rest.data))).toBe(hex(bigFci()));
  });

  it('extended Le returns a long answer at once', () => {
    const tree = buildTestTree();
    tree.addEf({
      fid: 0x0102,
      sfi: 29,
      structure: 'transparent',
      data: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff),
    });
    const card = new SimulatedCard({ tree, extendedLength: true, powered: true });
    const r = send(card, encodeCommand({ cla: 0, ins: 0xb0, p1: 0x9d, p2: 0, data: new Uint8Array(0), ne: 65536 }));
    expect(r.data.length).toBe(300);
    expect(r.data[299]).toBe(299 & 0xff);
  });
});

describe('status words for bad commands', () => {
  it('unknown INS 6D00, unknown CLA 6E00, bad P1-P2 6A86, malformed lengths 6700', () => {
    const card = testCard();
    expectTranscript(card, [
      ['00500000', '6D00'],
      ['00B1000000', '6D00'],
      ['FFA40000023F00', '6E00'],
      ['10A40000023F00', '6E00', 'chaining'],
      ['01A40000023F00', '6E00', 'logical channel 1'],
      ['A0A40000023F00', '6E00'],
      ['00A4FF00023F00', '6A86'],
      ['00A400', '6700'],
    ]);
    expect(sw(card, '')).toBe('6700');
    expectTranscript(card, [
      ['00A40000053F00', '6700', 'Lc says 5, 2 bytes follow'],
      ['00A40000023F000000', '6700', 'trailing bytes'],
      ['00A4000000', '9000', 'Le 00: case 2 select MF'],
    ]);
  });

  it('a handler bug answers 6F00, is logged without APDU data, and the card keeps working', () => {
    const logged: string[] = [];
    const card = new SimulatedCard({
      tree: buildTestTree(),
      powered: true,
      random: () => {
        throw new Error('entropy source broken');
      },
      logger: { error: (message) => logged.push(message) },
    });
    selectSsse(card);
    expect(sw(card, '0020000003123456')).toBe('9000');
    expect(sw(card, '0084000008')).toBe('6F00');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/GET CHALLENGE.*entropy source broken/);
    expect(logged.join()).not.toContain('123456');
    expect(sw(card, '00B2072C00')).toBe('9000');
  });

  it('an unpowered card answers 6F00; power-on brings it back', () => {
    const card = testCard();
    card.powerOff();
    expect(card.powered).toBe(false);
    expect(sw(card, '00A40000023F00')).toBe('6F00');
    card.powerOn();
    expect(sw(card, '00A40000023F00')).toBe('9000');
  });

  it('rejects an ATR variant that does not offer the card protocol', () => {
    expect(() => new SimulatedCard({ tree: buildTestTree(), transmission: 'T=0', atrVariant: 'T=1' })).toThrow(
      expect.objectContaining({ code: 'CARD_CONFIG_INVALID' }),
    );
  });
});
