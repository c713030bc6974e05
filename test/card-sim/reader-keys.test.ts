import { describe as group, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/apdu/index.js';
import { buildSscCard, parseAtr, samplePerson, type SimulatedCard } from '../../src/card-sim/index.js';
import {
  SSC_KEYS,
  diversificationInput,
  issuerTestMasterKey,
  type KeyAlgorithm,
  type SscKeyName,
} from '../../src/keys/index.js';
import { referenceEcb, referenceMac } from './crypto-oracle.js';
import { referenceCryptogram } from './fixtures.js';
import { cardKey, subject, type Subject } from './subjects.js';
import { exchange as send } from '../support/card-exchange.js';

/*
 * The key numbers reader programs use (card profile §7): 0A RKSSSE, 04 the issuance key that
 * authorizes UPDATE RECORD of EF05/EF06, 0D the EF0D key (3.00 cards); 6A88 for a number the card
 * has no key for; INTERNAL AUTHENTICATE P2 00 with the internal authentication key. Keys come
 * from the published test master keys diversified with the card identifier, here also in its
 * 32-character RID form (two levels: region code, then the card bytes the ATR ends with).
 */

const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';

const SUBJECTS = [subject('zhang-wei', '3des'), subject('wang-yan', 'sm4')];

const key = cardKey;

function authenticate(card: SimulatedCard, s: Subject, name: SscKeyName, kid = SSC_KEYS[name].kid): string {
  const challenge = send(card, '0084000008').data;
  const crypt = referenceCryptogram(s.algorithm, key(s, name), challenge);
  return send(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, kid, crypt.length), crypt)).sw;
}

function fresh(s: Subject): SimulatedCard {
  const card = buildSscCard(samplePerson(s.who), { powered: true });
  expect(send(card, SELECT_SSSE).sw).toBe('9000');
  return card;
}

for (const s of SUBJECTS) {
  group(`reader key numbers, ${s.who} (${s.algorithm})`, () => {
    it('answers EXTERNAL AUTHENTICATE 0A with RKSSSE, 04 with the issuance key, 0D with the EF0D key on 3.00 cards', () => {
      const card = fresh(s);
      expect([SSC_KEYS.RKSSSE.kid, SSC_KEYS.ISSUANCE.kid, SSC_KEYS.RKEF0D.kid]).toEqual([0x0a, 0x04, 0x0d]);
      expect(authenticate(card, s, 'RKSSSE')).toBe('9000');
      expect(authenticate(card, s, 'ISSUANCE')).toBe('9000');
      expect(authenticate(card, s, 'RKEF0D')).toBe(s.algorithm === 'sm4' ? '9000' : '6A88');
      // A cryptogram made with another key is a wrong cryptogram for 04, not a missing key.
      expect(authenticate(card, s, 'RKSSSE', 0x04)).toBe('63C2');
    });

    it('answers 6A88 to key numbers it has no external authentication key for', () => {
      const card = fresh(s);
      for (const kid of [0x00, 0x01, 0x09, 0x0e, 0x11, 0x99]) {
        expect(send(card, `008200${kid.toString(16).padStart(2, '0')}080000000000000000`).sw).toBe('6A88');
      }
    });

    it('INTERNAL AUTHENTICATE 00 88 00 00 enciphers with the internal authentication key', () => {
      const card = fresh(s);
      const input = fromHex('0102030405060708A1A2A3A4A5A6A7A8');
      const answer = send(card, concatBytes(fromHex('0088000010'), input, Uint8Array.of(0)));
      expect(answer.sw).toBe('9000');
      expect(toHex(answer.data)).toBe(toHex(referenceEcb(s.algorithm, key(s, 'IAK'), input)));
      expect(send(card, concatBytes(fromHex('0088000910'), input, Uint8Array.of(0))).data).toEqual(answer.data);
    });

    it('EF05 and EF06 are written after key 04, plain and with a MAC, by number and by identifier', () => {
      const card = fresh(s);
      const record = fromHex('0A0132');
      expect(send(card, concatBytes(fromHex('00DC0A3003'), record)).sw).toBe('6982');
      expect(authenticate(card, s, 'RKSSSE')).toBe('9000');
      expect(send(card, concatBytes(fromHex('00DC0A3003'), record)).sw).toBe('6982'); // RKSSSE reads, it does not write
      expect(authenticate(card, s, 'ISSUANCE')).toBe('9000');
      expect(send(card, concatBytes(fromHex('00DC0A3003'), record)).sw).toBe('9000');
      expect(toHex(send(card, '00B2043400').data)).toBe('0A0132');
      // With a MAC made by the issuance key: header || Lc || data, IV = the challenge.
      const data = fromHex('0A0131');
      const mac = (k: Uint8Array): Uint8Array => {
        const challenge = send(card, '0084000008').data;
        return referenceMac(s.algorithm, k, concatBytes(fromHex('04DC043407'), data), challenge);
      };
      expect(send(card, concatBytes(fromHex('04DC043407'), data, mac(key(s, 'RKSSSE')))).sw).toBe('6988');
      expect(authenticate(card, s, 'ISSUANCE')).toBe('9000'); // a bad MAC ended the authentication
      expect(send(card, concatBytes(fromHex('04DC043407'), data, mac(key(s, 'ISSUANCE')))).sw).toBe('9000');
      expect(toHex(send(card, '00B20A3000').data)).toBe('0A0131');
      // The data of a write by identifier must keep the tag.
      expect(send(card, '00DC0A30030B0131').sw).toBe('6A80');
    });

    it('the ATR ends with the 8 bytes the card keys are diversified with', () => {
      const card = fresh(s);
      const id = samplePerson(s.who).card.identifier;
      const { cardBytes, regionBlock } = diversificationInput(id);
      expect(toHex(card.atr.subarray(card.atr.length - 8))).toBe(toHex(cardBytes));
      expect(toHex(parseAtr(card.atr).cardSpecific)).toBe(toHex(cardBytes));
      if (regionBlock === undefined) return;
      // RID form: master -> region key -> card key, both levels in the card's algorithm.
      expect(id).toMatch(/^440305D156000005/);
      expect(toHex(regionBlock)).toBe('440305FFFFFFFFFF');
      const viaLevels = twoLevel(issuerTestMasterKey('RKSSSE'), regionBlock, cardBytes, s.algorithm);
      expect(toHex(key(s, 'RKSSSE'))).toBe(toHex(viaLevels));
    });
  });
}

/** The two-level diversification computed here with the reference ECB: div(div(M, region), card). */
function twoLevel(master: Uint8Array, region: Uint8Array, card: Uint8Array, algorithm: KeyAlgorithm): Uint8Array {
  const div = (k: Uint8Array, d: Uint8Array): Uint8Array => {
    const not = d.map((b) => b ^ 0xff);
    return algorithm === 'sm4'
      ? referenceEcb('sm4', k, concatBytes(d, not))
      : concatBytes(referenceEcb('3des', k, d), referenceEcb('3des', k, not));
  };
  return div(div(master, region), card);
}
