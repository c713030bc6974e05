import { describe, expect, it } from 'vitest';
import { concatBytes, decodeCn, encodeBcd, findTlv, parseBerTlv, parseSimpleTlv, toHex } from '../../src/apdu/index.js';
import { diversifyKey, issuerTestMasterKey, SSC_KEYS } from '../../src/keys/index.js';
import { buildSscCard, samplePerson, parseAtr, type SimulatedCard } from '../../src/card-sim/index.js';
import { send, sw } from '../support/card-exchange.js';
import { referenceCryptogram, selectBank, selectSsse } from './fixtures.js';

/*
 * The OS against the real SSC profile (the personalized tree the project ships): the commands of
 * card-profile.md as a terminal sends them.
 */

function cardIdentifier(card: SimulatedCard): string {
  return decodeCn(parseSimpleTlv(send(card, '00B2012C00').data).value);
}

for (const [person, algorithm, code] of [
  ['zhang-wei', '3des', '01'],
  ['li-xiuying', 'sm4', '03'],
] as const) {
  describe(`SSC profile card (${person}, ${algorithm})`, () => {
    function card(): SimulatedCard {
      return buildSscCard(samplePerson(person), { powered: true });
    }

    it(`SELECT SSSE answers an FCI with 9F0C 03 86 01 ${code}`, () => {
      const c = card();
      const r = selectSsse(c);
      expect(r.sw).toBe(0x9000);
      const fci = parseBerTlv(r.data);
      expect(fci[0]?.tag).toBe(0x6f);
      expect(toHex(findTlv(fci, 0x9f0c)?.value ?? new Uint8Array(0))).toBe(`8601${code}`);
    });

    it('READ RECORD EF05 in all four addressing forms gives the same records', () => {
      const c = card();
      selectSsse(c);
      for (const tag of [1, 3, 7]) {
        const t = tag.toString(16).padStart(2, '0');
        const a = send(c, `00B2${t}2C00`);
        const b = send(c, `00B2${t}2800`);
        expect(a.sw).toBe(0x9000);
        expect(toHex(b.data)).toBe(toHex(a.data));
      }
      expect(sw(c, '00A4020C02EF05')).toBe('9000');
      expect(toHex(send(c, '00B2070400').data)).toBe(toHex(send(c, '00B2070000').data));
      expect(send(c, '00B2070000').data[0]).toBe(0x07);
    });

    it('the ATR ends with the last 8 bytes of the card identifier', () => {
      const c = card();
      selectSsse(c);
      // The identifier's digits (the record is F-padded cn); the same 8 bytes diversify the keys.
      const id = cardIdentifier(c);
      expect(id.length).toBeGreaterThanOrEqual(16);
      const bcd = encodeBcd(id);
      expect(toHex(parseAtr(c.atr).cardSpecific)).toBe(toHex(bcd.subarray(bcd.length - 8)));
    });

    it('EXTERNAL AUTHENTICATE with the diversified RKSSSE key (terminal side derivation)', () => {
      const c = card();
      selectSsse(c);
      const key = diversifyKey(issuerTestMasterKey('RKSSSE'), cardIdentifier(c), algorithm);
      const ch = send(c, '0084000008').data;
      const crypt = referenceCryptogram(algorithm, key, ch);
      expect(sw(c, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, SSC_KEYS.RKSSSE.kid, crypt.length), crypt))).toBe(
        '9000',
      );
      expect(sw(c, '00B2093000')).toBe('9000'); // EF06 name, by tag
    });

    it('the application PIN starts at 123456 and counts down', () => {
      const c = card();
      selectSsse(c);
      const limit = person === 'li-xiuying' ? 6 : 3;
      expect(sw(c, '0020000000')).toBe(`63C${limit}`);
      expect(sw(c, '0020000003000000')).toBe(`63C${limit - 1}`);
      expect(sw(c, '0020000003123456')).toBe('9000');
    });
  });
}

describe('SSC profile bank application', () => {
  it('financial card: bank PIN counter via GET DATA 9F17, record 70 with 5A and 5F20', () => {
    const c = buildSscCard(samplePerson('zhang-wei'), { powered: true });
    expect(selectBank(c).sw).toBe(0x9000);
    expect(toHex(send(c, '80CA9F1700').data)).toBe('9F170103');
    const rec = parseBerTlv(send(c, '00B2010C00').data);
    expect(rec[0]?.tag).toBe(0x70);
    expect(findTlv(rec, 0x5a)).toBeDefined();
    expect(findTlv(rec, 0x5f20)).toBeDefined();
  });
});
