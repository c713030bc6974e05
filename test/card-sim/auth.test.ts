import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/apdu/index.js';
import { CardConfigError } from '../../src/card-sim/index.js';
import type { CardAlgorithm } from '../../src/card-sim/index.js';
import { referenceEcb } from './crypto-oracle.js';
import { expectTranscript, send, sw } from '../support/card-exchange.js';
import { KID, externalAuth, hex, referenceCryptogram, selectSsse, ssseCard, testCard, testKey } from './fixtures.js';

describe('GET CHALLENGE', () => {
  it('Le 4 or 8 on a 3DES card; 16 only on an SM4 card; anything else 6700', () => {
    const card = ssseCard();
    expect(send(card, '0084000004').data.length).toBe(4);
    expect(send(card, '0084000008').data.length).toBe(8);
    expectTranscript(card, [
      ['0084000010', '6700'],
      ['0084000005', '6700'],
      ['00840000', '6700'],
      ['0084010008', '6A86'],
    ]);
    const sm4 = ssseCard({ algorithm: 'sm4' });
    expect(send(sm4, '0084000010').data.length).toBe(16);
  });

  it('a random source giving the wrong number of bytes is a card configuration error (6F00, logged with its code)', () => {
    const logged: { message: string; error: unknown }[] = [];
    const card = testCard({
      random: () => new Uint8Array(3),
      logger: { error: (message, details) => logged.push({ message, error: details.error }) },
    });
    selectSsse(card);
    expect(sw(card, '0084000008')).toBe('6F00');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.error).toBeInstanceOf(CardConfigError);
    expect((logged[0]?.error as CardConfigError).code).toBe('CARD_CONFIG_INVALID');
    expect((logged[0]?.error as Error).message).toMatch(/random source returned 3 bytes, wanted 8/);
  });

  it('challenges differ', () => {
    const card = testCard();
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(hex(send(card, '0084000008').data));
    expect(seen.size).toBe(20);
  });
});

for (const algorithm of ['3des', 'sm4'] as CardAlgorithm[]) {
  describe(`EXTERNAL AUTHENTICATE with ${algorithm}`, () => {
    const size = algorithm === 'sm4' ? 16 : 8;

    function attempt(card: ReturnType<typeof testCard>, kid: number, good: boolean, le = 8): string {
      const ch = send(card, `00840000${le.toString(16).padStart(2, '0')}`).data;
      const crypt = referenceCryptogram(algorithm, testKey(kid), ch);
      if (!good) crypt[0] = (crypt[0] as number) ^ 0x80;
      return sw(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, kid, crypt.length), crypt));
    }

    it('a right cryptogram opens the key-protected file (6982 before)', () => {
      const card = ssseCard({ algorithm });
      expect(sw(card, '00B2013400')).toBe('6982');
      expect(attempt(card, KID.RK, true)).toBe('9000');
      expect(card.securityState().authenticatedKeys).toEqual([KID.RK]);
      expect(sw(card, '00B2013400')).toBe('9000');
    });

    it('works with a 4-byte challenge too (zero-padded)', () => {
      const card = ssseCard({ algorithm });
      expect(attempt(card, KID.RK, true, 4)).toBe('9000');
    });

    it('the challenge is single-use; none pending is 6984', () => {
      const card = ssseCard({ algorithm });
      const ch = send(card, '0084000008').data;
      const crypt = referenceCryptogram(algorithm, testKey(KID.RK), ch);
      const cmd = concatBytes(Uint8Array.of(0x00, 0x82, 0x00, KID.RK, crypt.length), crypt);
      expect(sw(card, cmd)).toBe('9000');
      expect(sw(card, cmd)).toBe('6984');
      const fresh = ssseCard({ algorithm });
      expect(sw(fresh, cmd)).toBe('6984');
    });

    it('three wrong cryptograms block the key (63C2, 63C1, 63C0, then 6983 even when right)', () => {
      const card = ssseCard({ algorithm });
      expect(attempt(card, KID.RK, false)).toBe('63C2');
      expect(attempt(card, KID.RK, true)).toBe('9000'); // success restores the counter
      expect(attempt(card, KID.RK, false)).toBe('63C2');
      expect(attempt(card, KID.RK, false)).toBe('63C1');
      expect(attempt(card, KID.RK, false)).toBe('63C0');
      expect(attempt(card, KID.RK, true)).toBe('6983');
      expect(attempt(card, KID.UK, true)).toBe('9000'); // other keys are unaffected
      const state = card.exportState();
      const keys = (state.mf.children[0] as { keys: { id: number; triesLeft: number }[] }).keys;
      expect(keys.find((k) => k.id === KID.RK)?.triesLeft).toBe(0);
    });

    it('wrong cryptogram length 6700, unknown key or not an external key 6A88, P1 6A86', () => {
      const card = ssseCard({ algorithm });
      send(card, '0084000008');
      expect(sw(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, KID.RK, size + 1), new Uint8Array(size + 1)))).toBe(
        '6700',
      );
      expect(sw(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, 0x33, size), new Uint8Array(size)))).toBe('6A88');
      expect(sw(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, KID.IAK, size), new Uint8Array(size)))).toBe('6A88');
      expect(sw(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x01, KID.RK, size), new Uint8Array(size)))).toBe('6A86');
    });

    it('INTERNAL AUTHENTICATE enciphers the terminal random with the internal key', () => {
      const card = ssseCard({ algorithm });
      const random = Uint8Array.from({ length: 8 }, (_, i) => 0xa0 + i);
      const padded = new Uint8Array(size);
      padded.set(random);
      const expected = hex(referenceEcb(algorithm, testKey(KID.IAK), padded));
      const r = send(card, concatBytes(Uint8Array.of(0x00, 0x88, 0x00, 0x00, 8), random, Uint8Array.of(0)));
      expect(r.sw).toBe(0x9000);
      expect(hex(r.data)).toBe(expected);
      const byKid = send(card, concatBytes(Uint8Array.of(0x00, 0x88, 0x00, KID.IAK, 8), random, Uint8Array.of(0)));
      expect(hex(byKid.data)).toBe(expected);
      expect(sw(card, concatBytes(Uint8Array.of(0x00, 0x88, 0x00, KID.RK, 8), random))).toBe('6A88');
      expect(sw(card, '0088000000')).toBe('6700');
    });
  });
}

describe('key authentication and the application', () => {
  it('a key is looked up from the current DF upwards: from the MF it is not found', () => {
    const card = testCard();
    send(card, '0084000008');
    expect(sw(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, KID.RK, 8), new Uint8Array(8)))).toBe('6A88');
    selectSsse(card);
    send(card, '00A4000C02DF02');
    expect(externalAuth(card, KID.UK)).toBe(0x9000);
  });
});
