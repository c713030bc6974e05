import { describe as group, expect, it } from 'vitest';
import {
  CryptoInputError,
  PinBlockError,
  decipherPinChange,
  diversifyKey,
  encipherPinChange,
  issuerTestMasterKey,
  pinChangeDataLength,
} from '../../src/keys/index.js';

/*
 * The enciphered PIN data of the PIN change script: R || PB(current) || PB(new) in CBC with a zero
 * IV under the card's PIN change key. The vectors were checked with OpenSSL:
 *   printf 'a0a1…a7' '06123456FFFFFFFF' '06246810FFFFFFFF' | xxd -r -p |
 *     openssl enc -des-ede-cbc -K c8f4415bf44c0138b2d2aee1aa2ae081 -iv 0000000000000000 -nopad
 * (and -sm4-cbc with the SM4 key), the key being the TEST master key PIN_CHANGE ("TEST MK CHANGE--")
 * diversified with card identifier 1101059000310026.
 */

const ID = '1101059000310026';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const key = (alg: '3des' | 'sm4'): Uint8Array => diversifyKey(issuerTestMasterKey('PIN_CHANGE'), ID, alg);
const fixedR = (size: number) => () => new Uint8Array(size).map((_, i) => 0xa0 + i);

group('PIN change data', () => {
  it('3DES vector: 24 bytes', () => {
    expect(hex(key('3des'))).toBe('c8f4415bf44c0138b2d2aee1aa2ae081');
    const data = encipherPinChange('3des', key('3des'), '123456', '246810', fixedR(8));
    expect(hex(data)).toBe('472e0feb1e3bd5b6dd702aa9e63e9d160d4c6a1538cb115d');
    expect(decipherPinChange('3des', key('3des'), data)).toEqual({ currentPin: '123456', newPin: '246810' });
  });

  it('SM4 vector: 48 bytes', () => {
    expect(hex(key('sm4'))).toBe('fe1959b5d63ed1592b3d46151f5947dc');
    const data = encipherPinChange('sm4', key('sm4'), '123456', '246810', fixedR(16));
    expect(hex(data)).toBe(
      '79150d1abec872465c4ea8155e83b043010d92e347110bc04fd6cbb88b3ba71d12a478de5ddd8067f0e2b5491e53b13e',
    );
    expect(decipherPinChange('sm4', key('sm4'), data)).toEqual({ currentPin: '123456', newPin: '246810' });
    expect(pinChangeDataLength('sm4')).toBe(48);
    expect(pinChangeDataLength('3des')).toBe(24);
  });

  it('never gives the same cryptogram twice for the same PINs (random first block)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(hex(encipherPinChange('3des', key('3des'), '123456', '246810')));
    expect(seen.size).toBe(20);
  });

  it('takes ASCII digit bytes too, and PINs of other lengths the block can carry', () => {
    const data = encipherPinChange('sm4', key('sm4'), new Uint8Array(Buffer.from('8765')), '12345678901234');
    expect(decipherPinChange('sm4', key('sm4'), data)).toEqual({ currentPin: '8765', newPin: '12345678901234' });
  });

  it('refuses a PIN the block cannot carry, without the digits in the message', () => {
    expect(() => encipherPinChange('3des', key('3des'), '12a456', '246810')).toThrow(PinBlockError);
    expect(() => encipherPinChange('3des', key('3des'), '123456', '1'.repeat(15))).toThrow(PinBlockError);
    try {
      encipherPinChange('3des', key('3des'), '123456', '24681x');
    } catch (e) {
      expect((e as Error).message).not.toContain('24681');
    }
    expect(() => encipherPinChange('3des', key('3des'), '123456', '246810', () => new Uint8Array(4))).toThrow(
      CryptoInputError,
    );
  });

  it('a wrong key, a wrong length or a damaged cryptogram is PinBlockError', () => {
    const data = encipherPinChange('3des', key('3des'), '123456', '246810');
    const other = diversifyKey(issuerTestMasterKey('PIN_UNBLOCK'), ID, '3des');
    expect(() => decipherPinChange('3des', other, data)).toThrow(PinBlockError);
    expect(() => decipherPinChange('3des', key('3des'), data.subarray(0, 16))).toThrow(PinBlockError);
    const damaged = data.slice();
    damaged[12] = (damaged[12] as number) ^ 0x01;
    expect(() => decipherPinChange('3des', key('3des'), damaged)).toThrow(PinBlockError);
  });
});
