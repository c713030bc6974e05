import { describe as group, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/apdu/index.js';
import type { SimulatedCard, PersonalizationDocument } from '../../src/card-sim/index.js';
import { samplePerson, SSSE_DF_NAME, buildSscCard, buildSscTree } from '../../src/card-sim/index.js';
import {
  SSC_KEYS,
  commandMac,
  diversifyKey,
  encipherPinChange,
  issuerTestMasterKey,
  type KeyAlgorithm,
} from '../../src/keys/index.js';
import { encodePinBcd } from '../../src/pin/index.js';
import { exchange as send } from '../support/card-exchange.js';
import { subject } from './subjects.js';

/*
 * The issuer's PIN change script `84 5E 01 00 Lc E(R || PB(current) || PB(new)) || MAC4` on the
 * card, through APDU bytes: the PIN data enciphered and the MAC computed with src/keys under the
 * TEST master key PIN_CHANGE diversified with the card identifier, as the office's secure module
 * does; the MAC's IV is the card's challenge.
 */

const SELECT_SSSE = toHex(concatBytes(fromHex('00A404000F'), SSSE_DF_NAME));

const subjects = [subject('zhang-wei', '3des'), subject('wang-yan', 'sm4')];

interface ScriptOptions {
  skipChallenge?: boolean;
  corruptMac?: boolean;
  header?: string;
  data?: Uint8Array;
  random?: (n: number) => Uint8Array;
}

function cardKey(doc: PersonalizationDocument, alg: KeyAlgorithm): Uint8Array {
  return diversifyKey(issuerTestMasterKey('PIN_CHANGE'), doc.card.identifier, alg);
}

/** Sends the script for (current, new); returns the bytes sent and the status word. */
function script(
  card: SimulatedCard,
  doc: PersonalizationDocument,
  alg: KeyAlgorithm,
  current: string,
  next: string,
  o: ScriptOptions = {},
) {
  const header = o.header ?? '845E0100';
  const data = o.data ?? encipherPinChange(alg, cardKey(doc, alg), current, next, o.random);
  let iv: Uint8Array = new Uint8Array(0);
  if (o.skipChallenge !== true) iv = send(card, '0084000008').data;
  const mac = commandMac(alg, cardKey(doc, alg), fromHex(header), data, iv);
  if (o.corruptMac === true) mac[1] = (mac[1] as number) ^ 0x80;
  const bytes = concatBytes(fromHex(header), Uint8Array.of(data.length + 4), data, mac);
  return { bytes, sw: send(card, bytes).sw };
}

const verify = (card: SimulatedCard, pin: string): string =>
  send(card, concatBytes(fromHex('0020000003'), encodePinBcd(pin))).sw;
const tries = (card: SimulatedCard): string => send(card, '0020000000').sw;

for (const s of subjects) {
  group(`PIN change script, ${s.who} (${s.algorithm})`, () => {
    const setup = (edit?: (doc: PersonalizationDocument) => void, random?: (n: number) => Uint8Array) => {
      const doc = samplePerson(s.who);
      edit?.(doc);
      const card = buildSscCard(doc, random === undefined ? { powered: true } : { powered: true, random });
      expect(send(card, SELECT_SSSE).sw).toBe('9000');
      return { doc, card };
    };

    it('the SSSE holds the PIN change key, diversified from its master key', () => {
      const doc = samplePerson(s.who);
      const key = buildSscTree(doc).findByDfName(SSSE_DF_NAME)!.key(SSC_KEYS.PIN_CHANGE.kid);
      expect(key?.usage).toBe('change');
      expect(toHex(key!.key)).toBe(toHex(cardKey(doc, s.algorithm)));
    });

    it('the right current PIN: 9000, the new PIN works, the old one no longer, and nothing is left verified', () => {
      const { doc, card } = setup();
      expect(script(card, doc, s.algorithm, '123456', '246810').sw).toBe('9000');
      // The terminal that sent it is not the holder: no security state.
      expect(tries(card)).toBe('63C3');
      expect(verify(card, '123456')).toBe('63C2');
      expect(verify(card, '246810')).toBe('9000');
    });

    it('a wrong current PIN costs a try (63Cx), the PIN stays; the last try gives 63C0 and blocks it; then 63C0 again', () => {
      const { doc, card } = setup();
      expect(script(card, doc, s.algorithm, '111111', '246810').sw).toBe('63C2');
      expect(script(card, doc, s.algorithm, '111111', '246810').sw).toBe('63C1');
      expect(verify(card, '123456')).toBe('9000');
      expect(script(card, doc, s.algorithm, '111111', '246810').sw).toBe('63C2');
      expect(script(card, doc, s.algorithm, '111111', '246810').sw).toBe('63C1');
      expect(script(card, doc, s.algorithm, '111111', '246810').sw).toBe('63C0');
      expect(tries(card)).toBe('6983');
      // Blocked: even the right current PIN changes nothing, and the answer is still 63C0 (6983 means the key).
      expect(script(card, doc, s.algorithm, '123456', '246810').sw).toBe('63C0');
      expect(verify(card, '246810')).toBe('6983');
    });

    it('applied twice is harmless: the second answers 9000 and spends nothing', () => {
      const { doc, card } = setup();
      const data = encipherPinChange(s.algorithm, cardKey(doc, s.algorithm), '123456', '246810');
      expect(script(card, doc, s.algorithm, '', '', { data }).sw).toBe('9000');
      expect(script(card, doc, s.algorithm, '', '', { data }).sw).toBe('9000');
      expect(tries(card)).toBe('63C3');
      expect(verify(card, '246810')).toBe('9000');
    });

    it('needs a fresh challenge (6984), a good MAC (6988, a try of the key, not of the PIN), P1 01 and the exact length', () => {
      const { doc, card } = setup();
      expect(script(card, doc, s.algorithm, '123456', '246810', { skipChallenge: true }).sw).toBe('6984');
      expect(script(card, doc, s.algorithm, '123456', '246810', { corruptMac: true }).sw).toBe('6988');
      const changeKey = card.tree.findByDfName(SSSE_DF_NAME)!.key(SSC_KEYS.PIN_CHANGE.kid)!;
      expect(changeKey.triesLeft).toBe(changeKey.tryLimit - 1);
      expect(script(card, doc, s.algorithm, '123456', '246810', { header: '845E0000' }).sw).toBe('6A86');
      const short = encipherPinChange(s.algorithm, cardKey(doc, s.algorithm), '123456', '246810').subarray(8);
      expect(script(card, doc, s.algorithm, '', '', { data: short }).sw).toBe('6700');
      expect(tries(card)).toBe('63C3');
      // A good script restores the key's counter.
      expect(script(card, doc, s.algorithm, '123456', '246810').sw).toBe('9000');
      expect(changeKey.triesLeft).toBe(changeKey.tryLimit);
    });

    it('a replayed script (its MAC bound to a used challenge) is refused', () => {
      const { doc, card } = setup();
      const first = script(card, doc, s.algorithm, '123456', '246810');
      expect(first.sw).toBe('9000');
      send(card, '0084000008');
      expect(send(card, first.bytes).sw).toBe('6988');
    });

    it('malformed PIN blocks under a good MAC are 6A80 and spend no PIN try', () => {
      const { doc, card } = setup();
      const size = s.algorithm === 'sm4' ? 16 : 8;
      const garbage = new Uint8Array(3 * size).fill(0x5a);
      expect(script(card, doc, s.algorithm, '', '', { data: garbage }).sw).toBe('6A80');
      expect(tries(card)).toBe('63C3');
    });

    it('a new PIN outside the policy is refused after the current one was checked; a forbidden initial PIN is 6985', () => {
      const { doc, card } = setup((d) => {
        d.pin = { ...d.pin, forbidReturnToInitial: true };
      });
      expect(script(card, doc, s.algorithm, '123456', '24681').sw).toBe('6700');
      expect(script(card, doc, s.algorithm, '123456', '135790').sw).toBe('9000');
      expect(script(card, doc, s.algorithm, '135790', '123456').sw).toBe('6985');
      expect(verify(card, '135790')).toBe('9000');
    });

    it('a card made without the PIN change key answers 6A88', () => {
      const { doc, card } = setup();
      const ssse = card.tree.findByDfName(SSSE_DF_NAME)!;
      // What an image made before the key existed holds: the SSSE without it.
      (ssse.keys as unknown[]).splice(
        ssse.keys.findIndex((k) => k.usage === 'change'),
        1,
      );
      expect(script(card, doc, s.algorithm, '123456', '246810').sw).toBe('6A88');
    });
  });
}

group('PIN change script test vector (3DES card, fixed card and office randomness)', () => {
  it('the whole command', () => {
    const doc = samplePerson('zhang-wei');
    const card = buildSscCard(doc, { powered: true, random: (n) => new Uint8Array(n).fill(0x11) });
    expect(send(card, SELECT_SSSE).sw).toBe('9000');
    const sent = script(card, doc, '3des', '123456', '246810', { random: (n) => new Uint8Array(n).fill(0x22) });
    expect(sent.sw).toBe('9000');
    expect(toHex(sent.bytes)).toBe(VECTOR);
  });
});

/** Computed once with src/keys (whose ciphers and MAC have their own vectors) and kept as a guard. */
const VECTOR = '845E01001C0F5BACBEC8A7ED409E7A1646F33BF58D72442EF51115CADD79F13090';
