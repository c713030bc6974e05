import { describe as group, expect, it } from 'vitest';
import { concatBytes, decodeResponse, fromHex, toHex } from '../../src/apdu/index.js';
import {
  buildSscCard,
  importState,
  samplePerson,
  SimulatedCard,
  type PersonalizationDocument,
} from '../../src/card-sim/index.js';
import { commandMac } from '../../src/keys/index.js';
import { referenceEcb, referenceMac } from './crypto-oracle.js';
import { cardKey, subject, type Subject } from './subjects.js';
import { sw } from '../support/card-exchange.js';
import { SELECT_SSSE } from '../support/card-image.js';

/*
 * The PBOC forms of PIN UNBLOCK and RELOAD PIN on a personalized card, beside the project's forms:
 * PIN UNBLOCK `84 24 00 00 Lc E(LV(PIN) || 80 00..) || MAC4` (challenge-bound), and RELOAD PIN
 * `80 5E 00 00 Lc PIN || MAC4` with the MAC over the PIN alone, IV zeros, key halves XOR-ed,
 * accepted only when the personalization enables it. PIN data and MACs come from the reference
 * ciphers of crypto-oracle.ts (node:crypto's own CBC / ECB), not from the card's code.
 */

const SUBJECTS = [subject('zhang-wei', '3des'), subject('wang-yan', 'sm4')];

const key = cardKey;

function card(s: Subject, zeroIvReload = false): SimulatedCard {
  const doc: PersonalizationDocument = samplePerson(s.who);
  if (zeroIvReload) doc.pin = { ...doc.pin, zeroIvReload: true };
  const c = buildSscCard(doc, { powered: true });
  expect(sw(c, SELECT_SSSE)).toBe('9000');
  return c;
}

function blockPin(c: SimulatedCard): void {
  while (sw(c, '0020000003000000') !== '6983');
}

/** `hex` padded with `pad` nibbles to one cipher block of the subject's algorithm (SM4 16 bytes, 3DES 8). */
function oneBlock(s: Subject, hex: string, pad: '0' | 'F'): Uint8Array {
  return fromHex(hex.padEnd((s.algorithm === 'sm4' ? 16 : 8) * 2, pad));
}

/** PBOC PIN UNBLOCK with the PIN data LV(BCD) || 80 00.. (or `layout` bytes instead). */
function pbocUnblock(c: SimulatedCard, s: Subject, pinBcd: string, layout?: Uint8Array): string {
  const plain = layout ?? oneBlock(s, `${(pinBcd.length / 2).toString(16).padStart(2, '0')}${pinBcd}80`, '0');
  const enciphered = referenceEcb(s.algorithm, key(s, 'PIN_UNBLOCK'), plain);
  const header = Uint8Array.of(0x84, 0x24, 0x00, 0x00, plain.length + 4);
  const challenge = decodeResponse(c.transmit(fromHex('0084000008'))).data;
  const mac = referenceMac(s.algorithm, key(s, 'PIN_UNBLOCK'), concatBytes(header, enciphered), challenge);
  return sw(c, concatBytes(header, enciphered, mac));
}

/** PBOC RELOAD PIN: MAC over the PIN alone, IV zeros, 3DES key = K1 xor K2 (single DES). */
function pbocReload(s: Subject, pinBcd: string, corrupt = false): Uint8Array {
  const pin = fromHex(pinBcd);
  const k = key(s, 'PIN_RELOAD');
  const macKey =
    s.algorithm === 'sm4'
      ? k
      : (() => {
          const x = k.subarray(0, 8).map((b, i) => b ^ (k[i + 8] as number));
          return concatBytes(x, x);
        })();
  // A single-DES CBC-MAC is the retail MAC with K1 = K2.
  const mac = referenceMac(s.algorithm, macKey, pin, new Uint8Array(0));
  if (corrupt) mac[0] = (mac[0] as number) ^ 1;
  return concatBytes(fromHex('805E0000'), Uint8Array.of(pin.length + 4), pin, mac);
}

for (const s of SUBJECTS) {
  group(`PBOC issuer PIN forms, ${s.who} (${s.algorithm})`, () => {
    it('PIN UNBLOCK with the PBOC PIN data: counter restored, the new PIN set; the project form still works', () => {
      const c = card(s);
      blockPin(c);
      expect(pbocUnblock(c, s, '975310')).toBe('9000');
      expect(sw(c, '0020000000')).toMatch(/^63C/);
      expect(sw(c, '0020000003975310')).toBe('9000');
      // An odd PIN length: 5 digits, an F nibble.
      blockPin(c);
      expect(pbocUnblock(c, s, '24680F')).toBe('6700'); // the policy wants 6 digits
      expect(pbocUnblock(c, s, '246801')).toBe('9000');
      // The project's own layout n || BCD || FF.. in the same command.
      blockPin(c);
      expect(pbocUnblock(c, s, '', oneBlock(s, '06135790', 'F'))).toBe('9000');
      expect(sw(c, '0020000003135790')).toBe('9000');
    });

    it('a PIN block in neither layout is 6A80, and the PIN stays blocked', () => {
      const c = card(s);
      blockPin(c);
      expect(pbocUnblock(c, s, '', oneBlock(s, '03123456', '0'))).toBe('6A80');
      expect(sw(c, '0020000000')).toBe('6983');
    });

    it('RELOAD PIN in the PBOC zero-IV form: refused by default (6984), taken when personalized', () => {
      const plain = card(s);
      expect(sw(plain, pbocReload(s, '864202'))).toBe('6984');
      expect(sw(plain, '0020000003864202')).toMatch(/^63C/);

      const enabled = card(s, true);
      blockPin(enabled);
      expect(sw(enabled, pbocReload(s, '864202', true))).toBe('6988');
      const command = pbocReload(s, '864202');
      expect(sw(enabled, command)).toBe('9000');
      expect(sw(enabled, '0020000003864202')).toBe('9000');
      // Why it is off by default: the same bytes work again later.
      expect(sw(enabled, '0020000003000000')).toMatch(/^63C/);
      expect(sw(enabled, command)).toBe('9000');
      // With a challenge pending the card wants the challenge-bound form.
      expect(sw(enabled, '0084000008')).toBe('9000');
      expect(sw(enabled, command)).toBe('6988');
    });

    it('the personalization choice is kept in the card state', () => {
      const state = card(s, true).exportState();
      const ssse = state.mf.children.find((ch) => ch.type === 'df' && ch.label === 'SSSE') as {
        zeroIvReload?: boolean;
      };
      expect(ssse.zeroIvReload).toBe(true);
      const again = new SimulatedCard({ tree: importState(state), powered: true });
      expect(sw(again, SELECT_SSSE)).toBe('9000');
      expect(sw(again, pbocReload(s, '864202'))).toBe('9000');
      const off = card(s)
        .exportState()
        .mf.children.find((ch) => ch.type === 'df' && ch.label === 'SSSE') as object;
      expect('zeroIvReload' in off).toBe(false);
    });

    it('the reference MAC agrees with the project commandMac where both apply', () => {
      const k = key(s, 'PIN_UNBLOCK');
      const data = fromHex('0102030405');
      expect(
        toHex(referenceMac(s.algorithm, k, concatBytes(fromHex('8424000009'), data), fromHex('1122334455667788'))),
      ).toBe(toHex(commandMac(s.algorithm, k, fromHex('84240000'), data, fromHex('1122334455667788'))));
    });
  });
}
