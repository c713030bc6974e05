import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex } from '../../src/apdu/index.js';
import { encodePinBlockFormat2 } from '../../src/pin/index.js';
import { CardPin, CardTreeError } from '../../src/card-sim/index.js';
import type { CardAlgorithm } from '../../src/card-sim/index.js';
import { expectThrowsClass } from '../support/throws.js';
import { referenceEcb, referenceMac } from './crypto-oracle.js';
import { expectTranscript, send, sw } from '../support/card-exchange.js';
import { KID, apdu, hex, selectBank, selectSsse, ssseAfter, ssseCard, testCard, testKey } from './fixtures.js';

describe('VERIFY (SSSE application PIN)', () => {
  it('right PIN 9000; wrong PIN 63Cx counting down; 63C0 blocks; then 6983 even for the right PIN', () => {
    ssseAfter([
      ['0020000003123456', '9000'],
      ['0020000003123457', '63C2'],
      ['0020000003123456', '9000', 'success restores the counter'],
      ['0020000003000000', '63C2'],
      ['0020000003000000', '63C1'],
      ['0020000003000000', '63C0'],
      ['0020000003123456', '6983'],
      ['0020000000', '6983'],
    ]);
  });

  it('empty VERIFY: 63Cx tries left, 9000 while verified, ends with a wrong try', () => {
    const card = ssseCard();
    expect(sw(card, '0020000000')).toBe('63C3');
    expect(sw(card, '00200000')).toBe('63C3'); // case 1 form too
    send(card, '0020000003123456');
    expect(sw(card, '0020000000')).toBe('9000');
    send(card, '0020000003111111');
    expect(sw(card, '0020000000')).toBe('63C2');
  });

  it('malformed PINs are refused without spending a try: 6700 wrong length, 6A80 non-digits', () => {
    ssseAfter([
      ['00200000021234', '6700'],
      ['00200000041234567F', '6700'],
      ['002000000312A456', '6A80'],
      ['0020000000', '63C3'],
    ]);
  });

  it('wrong P1 6A86; unknown reference 6A88; outside an application there is no PIN', () => {
    const card = ssseCard();
    expect(sw(card, '0020010003123456')).toBe('6A86');
    expect(sw(card, '0020000103123456')).toBe('6A88');
    send(card, '00A40000023F00');
    expect(sw(card, '0020000003123456')).toBe('6A88');
  });

  it('a PIN of more digits than any policy allows is refused by length (6700), spending nothing', () => {
    ssseAfter([
      ['00200000071234567890123F', '6700', '13 digits'],
      ['002000000712345678901234', '6700', '14 digits'],
      ['002000000A12345678901234567890', '6700', '20 digits'],
      ['0020000000', '63C3'],
    ]);
  });

  it('the other PIN commands with a reference that has no PIN: 6A88', () => {
    ssseAfter([
      ['805E010107123456FF654321', '6A88', 'CHANGE PIN'],
      ['0024000106123456654321', '6A88', 'CHANGE REFERENCE DATA'],
      ['0020000000', '63C3'],
    ]);
  });

  it('a policy with 6 tries counts from 63C5', () => {
    const card = ssseCard({ appPolicy: { tryLimit: 6 } });
    expect(sw(card, '0020000003999999')).toBe('63C5');
  });
});

describe('CHANGE PIN', () => {
  it('80 5E 01 00 old || FF || new changes the PIN; the old one stops working', () => {
    ssseAfter([
      ['805E010007123456FF654321', '9000'],
      ['0020000003123456', '63C2'],
      ['0020000003654321', '9000'],
    ]);
  });

  it('a wrong old PIN counts as a failed try; a malformed new PIN is 6A80; blocked is 6983', () => {
    const card = ssseAfter([
      ['805E010007111111FF654321', '63C2'],
      ['805E010007123456FF65432A', '6A80'],
      ['805E010006123456FF6543', '6A80', '4-digit new PIN outside the 6-digit policy'],
      ['805E010006123456654321', '6A80', 'no separator'],
      ['0020000000', '63C2'],
    ]);
    send(card, '0020000003000000');
    send(card, '0020000003000000');
    expect(sw(card, '805E010007123456FF654321')).toBe('6983');
  });

  it('regions that forbid returning to the initial PIN answer 6985', () => {
    ssseAfter(
      [
        ['805E010007123456FF654321', '9000'],
        ['805E010007654321FF123456', '6985'],
        ['0020000003654321', '9000'],
      ],
      { appPolicy: { forbidReturnToInitial: true } },
    );
  });

  it('ISO CHANGE REFERENCE DATA 00 24 00 00 old || new', () => {
    ssseAfter([
      ['0024000006123456222222', '9000'],
      ['0020000003222222', '9000'],
      ['00240000052222223333', '6700'],
      ['0024010006123456222222', '6A86'],
      ['0024000006999999333333', '63C2'],
    ]);
  });

  it('CHANGE PIN refuses an old PIN of the wrong length with 6700 and data under 3 bytes with 6700, spending nothing', () => {
    ssseAfter([
      ['805E0100061234FF654321', '6700', '4-digit old PIN, 6-digit policy'],
      ['805E01000212FF', '6700'],
      ['805E0100021234', '6700', 'too short to hold old || FF || new at all'],
      ['805E010000', '6700'],
      ['805E01000312FF34', '6A80', '3 bytes is a CHANGE PIN: its new PIN is too short'],
      ['805E01000712345AFF654321', '6A80', 'an old PIN with a non-digit: 6A80, not 6700'],
      ['0020000000', '63C3'],
      ['0020000003123456', '9000'],
    ]);
  });

  it('80 5E takes P1 00 (reload) or 01 (change): any other P1 is 6A86 and changes nothing', () => {
    const card = ssseCard();
    for (const p1 of ['02', '80', 'FF']) expect(sw(card, `805E${p1}0007123456FF654321`)).toBe('6A86');
    expect(sw(card, '0020000003123456')).toBe('9000');
  });

  it('RELOAD PIN needs at least one PIN byte and a MAC4 (6700 below, the MAC check from 5 bytes on)', () => {
    ssseAfter([
      ['805E00000412345678', '6700'],
      ['805E000000', '6700'],
      ['805E0000051234567890', '6984', 'long enough: the missing challenge is next'],
      ['0020000003123456', '9000'],
    ]);
  });

  it('CHANGE REFERENCE DATA with a variable-length policy takes two equal halves within the policy', () => {
    ssseAfter(
      [
        ['00240000051234522222', '6700', 'odd: no two equal halves'],
        ['00240000021234', '6700', 'halves of 1 byte hold at most 2 digits'],
        ['0024000008123456FF222222FF', '6700', 'halves of 4 bytes: more than 6 digits'],
        ['002400000412345678', '63C2', '4-digit halves fit: a wrong old PIN'],
        ['0024000006123456222222', '9000'],
        ['0020000003222222', '9000'],
      ],
      { appPolicy: { minLength: 4, maxLength: 6 } },
    );
  });

  it('CHANGE REFERENCE DATA sizes its halves by the policy: odd digit counts round up, short halves are 6700', () => {
    ssseAfter(
      [
        ['002400000412341234', '6700'],
        ['00240000081234512345123451', '6700'],
        ['002400000612345F54321F', '9000'],
        ['002000000354321F', '9000'],
      ],
      { appPolicy: { minLength: 5, maxLength: 5, initialPin: '12345' } },
    );
    const card = ssseCard({ appPolicy: { minLength: 5, maxLength: 6 } });
    // 2-byte halves cannot hold the 5 digits the policy needs: a length error, not a bad new PIN.
    expect(sw(card, '002400000412345678')).toBe('6700');
    expect(sw(card, '0020000000')).toBe('63C3');
  });

  it('the wrong CLA for the INS is 6E00', () => {
    const card = ssseCard();
    expect(sw(card, '005E010007123456FF654321')).toBe('6E00');
    expect(sw(card, '8020000003123456')).toBe('6E00');
  });
});

/** Digits (or hex nibbles, to build malformed PINs) as BCD bytes, F-padded. */
function bcd(pin: string): Uint8Array {
  return fromHex(pin.length % 2 === 0 ? pin : `${pin}F`);
}

for (const algorithm of ['3des', 'sm4'] as CardAlgorithm[]) {
  describe(`service window PIN commands (${algorithm})`, () => {
    function reloadApdu(pin: string, iv: Uint8Array, corrupt = false): Uint8Array {
      const pinBytes = bcd(pin);
      const header = Uint8Array.of(0x80, 0x5e, 0x00, 0x00, pinBytes.length + 4);
      const mac = referenceMac(algorithm, testKey(KID.RELOAD), concatBytes(header, pinBytes), iv);
      if (corrupt) mac[0] = (mac[0] as number) ^ 1;
      return concatBytes(header, pinBytes, mac);
    }

    function reload(card: ReturnType<typeof testCard>, pin: string, iv: Uint8Array, corrupt = false): string {
      return sw(card, reloadApdu(pin, iv, corrupt));
    }

    /** GET CHALLENGE, then RELOAD PIN with its MAC over that challenge. */
    function reloadWithChallenge(card: ReturnType<typeof testCard>, pin: string, corrupt = false): string {
      return reload(card, pin, send(card, '0084000008').data, corrupt);
    }

    it('RELOAD PIN 80 5E 00 00 new || MAC4 (IV = the card challenge) unblocks and sets the PIN; a bad MAC is 6988', () => {
      const card = ssseCard({ algorithm });
      for (let i = 0; i < 3; i++) send(card, '0020000003000000');
      expect(sw(card, '0020000003123456')).toBe('6983');
      expect(reloadWithChallenge(card, '246810', true)).toBe('6988');
      expect(reloadWithChallenge(card, '246810')).toBe('9000');
      expect(sw(card, '0020000003123456')).toBe('63C2');
      expect(sw(card, '0020000003246810')).toBe('9000');
    });

    it('RELOAD PIN without a challenge is 6984 unless the card enables the zero-IV form (off by default)', () => {
      const card = ssseCard({ algorithm });
      expect(reload(card, '246810', new Uint8Array(0))).toBe('6984');
      expect(sw(card, '0020000003246810')).toBe('63C2'); // the PIN was not replaced
    });

    it('RELOAD PIN uses the pending challenge as IV, once', () => {
      const card = ssseCard({ algorithm });
      const ch = send(card, '0084000008').data;
      expect(reload(card, '135790', new Uint8Array(0))).toBe('6988'); // zeros IV while a challenge was pending
      const ch2 = send(card, '0084000008').data;
      expect(reload(card, '135790', ch2)).toBe('9000');
      expect(reload(card, '135791', ch2)).toBe('6984'); // the challenge was used up: none pending
      expect(hex(ch)).not.toBe(hex(ch2));
    });

    it('RELOAD PIN without a challenge the card issued is 6984 (the zero-IV form is not accepted), no key try spent', () => {
      const card = ssseCard({ algorithm });
      for (let i = 0; i < 3; i++) send(card, '0020000003000000');
      for (let i = 0; i < 5; i++) expect(reload(card, '246810', new Uint8Array(0))).toBe('6984');
      expect(sw(card, '0020000000')).toBe('6983'); // still blocked
      // The reload key was never tried, so it is not blocked: a proper RELOAD PIN works.
      expect(reloadWithChallenge(card, '246810')).toBe('9000');
    });

    it('a captured RELOAD PIN cannot be replayed: not without a challenge, not after a new one, not after a reset', () => {
      const card = ssseCard({ algorithm });
      const challenge = send(card, '0084000008').data;
      const captured = reloadApdu('246810', challenge);
      expect(sw(card, captured)).toBe('9000');
      // The holder chooses a new PIN, then blocks it; the captured bytes would restore it every time
      // if the MAC were not bound to a challenge the card issued and used up.
      expect(sw(card, '805E010007246810FF135790')).toBe('9000');
      for (let i = 0; i < 3; i++) send(card, '0020000003000000');
      expect(sw(card, captured)).toBe('6984');
      send(card, '0084000008');
      expect(sw(card, captured)).toBe('6988');
      card.reset('cold');
      selectSsse(card);
      expect(sw(card, captured)).toBe('6984');
      expect(sw(card, '0020000000')).toBe('6983');
      expect(sw(card, '0020000003246810')).toBe('6983');
    });

    it('a reloaded PIN outside the policy is refused after a good MAC (6700 length, 6A80 not digits)', () => {
      const card = ssseCard({ algorithm });
      expect(reloadWithChallenge(card, '1234')).toBe('6700');
      expect(reloadWithChallenge(card, '12345A')).toBe('6A80');
      expect(sw(card, '0020000003123456')).toBe('9000');
    });

    it('PIN UNBLOCK 84 24 00 00 E(PIN block) || MAC4 with the challenge; needs a challenge (6984)', () => {
      const card = ssseCard({ algorithm });
      for (let i = 0; i < 3; i++) send(card, '0020000003000000');
      const size = algorithm === 'sm4' ? 16 : 8;
      // PIN block: digit count 06, BCD 97 53 10, FF fill.
      const pinBlock = new Uint8Array(size).fill(0xff);
      pinBlock.set(fromHex('06975310'), 0);
      const cryptogram = referenceEcb(algorithm, testKey(KID.UNBLOCK), pinBlock);
      const header = Uint8Array.of(0x84, 0x24, 0x00, 0x00, size + 4);
      expect(sw(card, concatBytes(header, cryptogram, new Uint8Array(4)))).toBe('6984');
      const ch = send(card, '0084000008').data;
      const mac = referenceMac(algorithm, testKey(KID.UNBLOCK), concatBytes(header, cryptogram), ch);
      expect(sw(card, concatBytes(header, cryptogram, mac))).toBe('9000');
      expect(sw(card, '0020000000')).toBe('63C3');
      expect(sw(card, '0020000003975310')).toBe('9000');
      expect(sw(card, concatBytes(header, cryptogram, mac))).toBe('6984'); // single-use challenge
      expect(
        sw(card, concatBytes(header.subarray(0, 4), Uint8Array.of(size + 3), cryptogram, mac.subarray(0, 3))),
      ).toBe('6700');
    });
  });
}

describe('bank application', () => {
  it('format-2 VERIFY 00 20 00 80; its own counter; GET DATA 9F17', () => {
    const card = testCard();
    expect(selectBank(card).sw).toBe(0x9000);
    expect(hex(send(card, '80CA9F1700').data)).toBe('9F170103');
    expect(sw(card, apdu('00200080', encodePinBlockFormat2('888888')))).toBe('9000');
    expect(sw(card, apdu('00200080', encodePinBlockFormat2('111111')))).toBe('63C2');
    expect(hex(send(card, '80CA9F1700').data)).toBe('9F170102');
    expect(sw(card, apdu('00200080', encodePinBlockFormat2('111111')))).toBe('63C1');
    expect(sw(card, apdu('00200080', encodePinBlockFormat2('111111')))).toBe('63C0');
    expect(sw(card, apdu('00200080', encodePinBlockFormat2('888888')))).toBe('6983');
    expect(hex(send(card, '80CA9F1700').data)).toBe('9F170100');
    expectTranscript(card, [
      ['80CA9F3600', '6A88'],
      ['002000800412345F', '6700', 'not an 8-byte block'],
      ['0020008008FF888888FFFFFFFF', '6A80', 'not format 2'],
    ]);
    // the SSSE PIN is independent of the bank PIN
    selectSsse(card);
    expect(sw(card, '0020000003123456')).toBe('9000');
  });
});

describe('CardPin refuses what it cannot personalize, by name', () => {
  const refused = (options: ConstructorParameters<typeof CardPin>[0]): string =>
    expectThrowsClass(() => new CardPin(options, () => {}), CardTreeError).message;

  it('checks the id, the reference, the format, the policy and the record', () => {
    expect(refused({ id: '' })).toMatch(/PIN id must be 1\.\.32 letters/);
    expect(refused({ id: 'a b' })).toMatch(/PIN id must be/);
    expect(refused({ id: 'x'.repeat(33) })).toMatch(/PIN id must be/);
    expect(refused({ id: 'app', reference: 256 })).toBe('PIN app: reference must be an integer 0..255, got 256');
    expect(refused({ id: 'app', reference: -1 })).toMatch(/reference must be/);
    expect(refused({ id: 'app', reference: 1.5 })).toMatch(/reference must be/);
    expect(refused({ id: 'app', format: 'ascii' as 'bcd' })).toBe(
      "PIN app: format must be 'bcd' or 'iso9564-format2', got ascii",
    );
    expect(refused({ id: 'app', policy: { tryLimit: 0 } })).toMatch(/^PIN app: invalid policy: .*tryLimit/);
    expect(refused({ id: 'app', initialPin: '12' })).toMatch(/^PIN app: cannot personalize: /);
    const made = new CardPin({ id: 'app' }, () => {});
    const record = { ...made.record(), triesLeft: -1 };
    expect(refused({ id: 'app', record })).toMatch(/^PIN app: bad record: .*triesLeft/);
    expect(refused({ id: 'app', policy: made.policy })).toBe(
      'PIN app: a sealed policy needs a record or the PIN to personalize with',
    );
    expect(new CardPin({ id: 'bank_1', reference: 0xff, format: 'iso9564-format2' }, () => {}).reference).toBe(0xff);
  });
});
