import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { fromHex, toHex } from '../../src/apdu/index.js';
import {
  CryptoInputError,
  PinBlockError,
  authenticationCryptogram,
  blockSize,
  cardMac,
  commandMac,
  decipherUnblockPin,
  decodeUnblockPinBlock,
  decryptEcb,
  encipherUnblockPin,
  encodeUnblockPinBlock,
  encryptEcb,
  padIso9797Method2,
  padZeros,
  unblockPinBlockCapacity,
  type KeyAlgorithm,
} from '../../src/keys/index.js';
import { expectThrowsClass } from '../support/throws.js';

/*
 * Known answers computed outside the project with OpenSSL 3.0 (`openssl enc -nopad`):
 * ECB with -des-ede / -des-ede3 / -sm4-ecb; the retail MAC as single-DES CBC under K1 (-des-ede-cbc
 * with K1||K1) over the padded data, the last block then deciphered under K2 and enciphered under
 * K1; the SM4 CBC-MAC as the last block of -sm4-cbc. The SM4 block is also GB/T 32907's example.
 */
const K2 = fromHex('0123456789ABCDEFFEDCBA9876543210');
const K3 = fromHex('0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123');
const TWO_BLOCKS = fromHex('00112233445566778899AABBCCDDEEFF');

const algorithms: KeyAlgorithm[] = ['3des', 'sm4'];
const keyFor = (algorithm: KeyAlgorithm): fc.Arbitrary<Uint8Array> =>
  algorithm === 'sm4'
    ? fc.uint8Array({ minLength: 16, maxLength: 16 })
    : fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 24, maxLength: 24 }));

group('ECB', () => {
  it('3DES 2-key, 3DES 3-key and SM4 known answers', () => {
    expect(toHex(encryptEcb('3des', K2, TWO_BLOCKS))).toBe('31A7364CAC91CA39C0489F69BEC54FA2');
    expect(toHex(encryptEcb('3des', K3, TWO_BLOCKS))).toBe('109AEAC4D79BFADDF9AD78EDA08644D5');
    expect(
      toHex(encryptEcb('sm4', K2, fromHex('0123456789ABCDEFFEDCBA98765432100011223344556677 8899AABBCCDDEEFF'))),
    ).toBe('681EDF34D206965E86B3E94F536E424609325C4853832DCB9337A5984F671B9A');
    expect(toHex(decryptEcb('3des', K2, fromHex('31A7364CAC91CA39C0489F69BEC54FA2')))).toBe(toHex(TWO_BLOCKS));
    expect(toHex(decryptEcb('3des', K3, fromHex('109AEAC4D79BFADDF9AD78EDA08644D5')))).toBe(toHex(TWO_BLOCKS));
  });

  for (const algorithm of algorithms) {
    test.prop([
      keyFor(algorithm),
      fc
        .integer({ min: 0, max: 4 })
        .chain((n) => fc.uint8Array({ minLength: n * blockSize(algorithm), maxLength: n * blockSize(algorithm) })),
    ])(`${algorithm}: decryption undoes encryption, block by block`, (key, data) => {
      const enc = encryptEcb(algorithm, key, data);
      expect(enc.length).toBe(data.length);
      expect(toHex(decryptEcb(algorithm, key, enc))).toBe(toHex(data));
      const size = blockSize(algorithm);
      if (data.length >= 2 * size) {
        // ECB: the second block's ciphertext depends on the second block only.
        expect(toHex(enc.subarray(size, 2 * size))).toBe(
          toHex(encryptEcb(algorithm, key, data.subarray(size, 2 * size))),
        );
      }
    });
  }

  it('rejects ragged data, wrong key sizes and unknown algorithms with CryptoInputError', () => {
    expect(() => encryptEcb('3des', K2, new Uint8Array(7))).toThrow(CryptoInputError);
    expect(() => encryptEcb('sm4', K2, new Uint8Array(8))).toThrow(/multiple of the sm4 block size 16/);
    expect(() => encryptEcb('sm4', K3, new Uint8Array(16))).toThrow(/sm4 key must be 16 bytes, got 24/);
    expect(() => decryptEcb('3des', new Uint8Array(8), new Uint8Array(8))).toThrow(/3des key must be 16 or 24 bytes/);
    expect(() => encryptEcb('aes' as KeyAlgorithm, K2, new Uint8Array(16))).toThrow(CryptoInputError);
    expect(() => encryptEcb('3des', K2, new Uint8Array(3))).toThrow(expect.objectContaining({ code: 'CRYPTO_INPUT' }));
  });
});

group('padding', () => {
  it('ISO 9797-1 method 2 always appends 80 then zeros', () => {
    expect(toHex(padIso9797Method2(fromHex('0102'), 8))).toBe('0102800000000000');
    expect(toHex(padIso9797Method2(fromHex('0102030405060708'), 8))).toBe('01020304050607088000000000000000');
    expect(toHex(padIso9797Method2(new Uint8Array(0), 16))).toBe('80000000000000000000000000000000');
  });

  it('zero padding fills to whole blocks, one block for empty data', () => {
    expect(toHex(padZeros(fromHex('A1B2C3D4'), 8))).toBe('A1B2C3D400000000');
    expect(toHex(padZeros(fromHex('0102030405060708'), 8))).toBe('0102030405060708');
    expect(toHex(padZeros(new Uint8Array(0), 16))).toBe('00000000000000000000000000000000');
    expect(() => padZeros(new Uint8Array(1), 0)).toThrow(CryptoInputError);
  });

  test.prop([fc.uint8Array({ maxLength: 64 }), fc.constantFrom(8, 16)])(
    'method 2 padding is removable and aligned',
    (data, size) => {
      const padded = padIso9797Method2(data, size);
      expect(padded.length % size).toBe(0);
      expect(padded.length).toBeGreaterThan(data.length);
      expect(toHex(padded.subarray(0, data.length))).toBe(toHex(data));
      expect(padded[data.length]).toBe(0x80);
      expect(padded.subarray(data.length + 1).every((b) => b === 0)).toBe(true);
    },
  );
});

group('cardMac / commandMac', () => {
  it('3DES retail MAC known answers (2-key and 3-key, one and several blocks, short IV)', () => {
    expect(toHex(cardMac('3des', K2, fromHex('805E000007123456'), fromHex('1122334455667788')))).toBe('797091F0');
    expect(toHex(cardMac('3des', K2, fromHex('841E000004'), fromHex('A1B2C3D4')))).toBe('99D95FD6');
    expect(toHex(cardMac('3des', K2, new Uint8Array(0), new Uint8Array(0)))).toBe('F1FBCF2A');
    expect(toHex(cardMac('3des', K3, TWO_BLOCKS, new Uint8Array(8)))).toBe('BB93F8B2');
  });

  it('SM4 CBC-MAC known answers (one and three blocks, IV zero-padded)', () => {
    expect(toHex(cardMac('sm4', K2, fromHex('841E000004'), fromHex('00112233445566778899AABBCCDDEEFF')))).toBe(
      'D7140C8B',
    );
    const data = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(toHex(cardMac('sm4', K2, data, fromHex('0102030405060708')))).toBe('C29E999A');
  });

  it('commandMac covers header || Lc as sent (data + MAC) || data', () => {
    // RELOAD PIN 80 5E 00 00 07 123456 MAC4: Lc 07 = 3 PIN bytes + 4.
    expect(toHex(commandMac('3des', K2, fromHex('805E0000'), fromHex('123456'), fromHex('1122334455667788')))).toBe(
      '797091F0',
    );
    // APPLICATION BLOCK 84 1E 00 00 04 MAC4.
    expect(toHex(commandMac('3des', K2, fromHex('841E0000'), new Uint8Array(0), fromHex('A1B2C3D4')))).toBe('99D95FD6');
    expect(
      toHex(commandMac('sm4', K2, fromHex('841E0000'), new Uint8Array(0), fromHex('00112233445566778899AABBCCDDEEFF'))),
    ).toBe('D7140C8B');
    expect(() => commandMac('3des', K2, fromHex('841E00'), new Uint8Array(0), new Uint8Array(8))).toThrow(
      CryptoInputError,
    );
    expect(() => commandMac('3des', K2, fromHex('841E0000'), new Uint8Array(252), new Uint8Array(8))).toThrow(
      /short Lc/,
    );
  });

  for (const algorithm of algorithms) {
    test.prop([
      keyFor(algorithm),
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      fc.nat(),
    ])(`${algorithm}: a MAC is 4 bytes and changes when any data bit flips`, (key, data, iv, pick) => {
      const mac = cardMac(algorithm, key, data, iv);
      expect(mac.length).toBe(4);
      const flipped = data.length === 0 ? Uint8Array.of(0) : Uint8Array.from(data);
      if (data.length > 0) flipped[pick % data.length] = (flipped[pick % data.length] as number) ^ (1 << (pick % 8));
      // A different message (or an appended 00 for empty data) gives a different last block;
      // a 4-byte collision has probability 2^-32, far below what 100 runs can hit.
      expect(toHex(cardMac(algorithm, key, flipped, iv))).not.toBe(toHex(mac));
    });
  }
});

group('authenticationCryptogram', () => {
  it('known answers: the challenge zero-padded to one block, ECB', () => {
    expect(toHex(authenticationCryptogram('3des', K2, fromHex('1122334455667788')))).toBe('3EB3B72576BBBE83');
    expect(toHex(authenticationCryptogram('3des', K2, fromHex('A1B2C3D4')))).toBe('6E209959AAE883FF');
    expect(toHex(authenticationCryptogram('sm4', K2, fromHex('1122334455667788')))).toBe(
      'EDC7AC8587C62318A01DCD93A63DB384',
    );
    expect(toHex(authenticationCryptogram('sm4', K2, K2))).toBe('681EDF34D206965E86B3E94F536E4246');
  });

  it('rejects empty or over-long challenges and wrong key sizes', () => {
    expect(() => authenticationCryptogram('3des', K2, new Uint8Array(9))).toThrow(/challenge must be 1..8 bytes/);
    expect(() => authenticationCryptogram('sm4', K2, new Uint8Array(0))).toThrow(CryptoInputError);
    expect(() => authenticationCryptogram('sm4', new Uint8Array(8), new Uint8Array(8))).toThrow(CryptoInputError);
  });
});

group('PIN UNBLOCK PIN block', () => {
  it('layout: n || BCD digits (F pad) || FF to one block', () => {
    expect(toHex(encodeUnblockPinBlock('123456', '3des'))).toBe('06123456FFFFFFFF');
    expect(toHex(encodeUnblockPinBlock('12345', '3des'))).toBe('0512345FFFFFFFFF');
    expect(toHex(encodeUnblockPinBlock(new Uint8Array(Buffer.from('123456')), 'sm4'))).toBe(
      '06123456FFFFFFFFFFFFFFFFFFFFFFFF',
    );
    expect(unblockPinBlockCapacity('3des')).toBe(14);
    expect(unblockPinBlockCapacity('sm4')).toBe(30);
  });

  it('enciphered known answers', () => {
    expect(toHex(encipherUnblockPin('3des', K2, '123456'))).toBe('43E945588ED566D9');
    expect(toHex(encipherUnblockPin('3des', K2, '12345'))).toBe('BB0D3B5C9C5E474D');
    expect(toHex(encipherUnblockPin('sm4', K2, '123456'))).toBe('3A47F166DEC4880E9169A6F5B140DC0A');
    expect(decipherUnblockPin('3des', K2, fromHex('BB0D3B5C9C5E474D'))).toBe('12345');
  });

  for (const algorithm of algorithms) {
    test.prop([keyFor(algorithm), fc.stringMatching(/^[0-9]{1,14}$/)])(`${algorithm}: round trip`, (key, pin) => {
      expect(decipherUnblockPin(algorithm, key, encipherUnblockPin(algorithm, key, pin))).toBe(pin);
    });
  }

  it('malformed blocks are PinBlockError naming the rule, never the digits', () => {
    const bad = [
      '07123456FFFFFFFF',
      '06123456FFFFFF00',
      '0612345AFFFFFFFF',
      '0512345EFFFFFFFF',
      '00FFFFFFFFFFFFFF',
      '0F12345678901234',
      '061234',
    ];
    for (const block of bad) {
      const caught = expectThrowsClass(() => decodeUnblockPinBlock(fromHex(block)), PinBlockError, {
        code: 'PIN_BLOCK_INVALID',
      });
      expect(caught.message, block).not.toMatch(/12345/);
    }
    expect(() => encodeUnblockPinBlock('12a456', '3des')).toThrow(PinBlockError);
    expect(() => encodeUnblockPinBlock('', '3des')).toThrow(PinBlockError);
    expect(() => encodeUnblockPinBlock('123456789012345', '3des')).toThrow(/1..14 digits/);
  });
});
