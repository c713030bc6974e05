import { createECDH, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe as group, expect, it } from 'vitest';
import { toHex } from '../../src/apdu/index.js';
import { CryptoInputError, SM2_PUBLIC_KEY_LENGTH, generateSm2KeyPair, sm2PublicKeyOf } from '../../src/keys/index.js';

/** DER SEC1 ECPrivateKey of an SM2 d with its public point (OID 1.2.156.10197.1.301), to sign with it. */
function sec1(d: Uint8Array, publicKey: Uint8Array): Buffer {
  const oid = Buffer.from('06082A811CCF5501822D', 'hex');
  const inner = Buffer.concat([
    Buffer.from('020101', 'hex'),
    Buffer.from([0x04, 0x20]),
    Buffer.from(d),
    Buffer.from([0xa0, oid.length]),
    oid,
    Buffer.from([0xa1, 0x44, 0x03, 0x42, 0x00, 0x04]),
    Buffer.from(publicKey),
  ]);
  return Buffer.concat([Buffer.from([0x30, inner.length]), inner]);
}

group('SM2 key pairs', () => {
  it('generates a private key whose public key is on the SM2 curve, a new one each time', () => {
    const a = generateSm2KeyPair();
    const b = generateSm2KeyPair();
    expect(a.privateKey).toHaveLength(32);
    expect(a.publicKey).toHaveLength(SM2_PUBLIC_KEY_LENGTH);
    expect(toHex(a.privateKey)).not.toBe(toHex(b.privateKey));
    // node:crypto's own ECDH on the SM2 curve derives the same point from d.
    const ecdh = createECDH('SM2');
    ecdh.setPrivateKey(a.privateKey);
    expect(toHex(ecdh.getPublicKey().subarray(1))).toBe(toHex(a.publicKey));
    expect(toHex(sm2PublicKeyOf(a.privateKey))).toBe(toHex(a.publicKey));
  });

  it('is a working key pair: what the private key signs, the public key verifies', () => {
    const { privateKey, publicKey } = generateSm2KeyPair();
    const priv = createPrivateKey({ key: sec1(privateKey, publicKey), format: 'der', type: 'sec1' });
    const pub = createPublicKey(priv);
    const message = Buffer.from('社会保障卡');
    const signature = sign('sm3', message, priv);
    expect(verify('sm3', message, pub, signature)).toBe(true);
    expect(verify('sm3', Buffer.from('other'), pub, signature)).toBe(false);
  });

  it('refuses a private key of the wrong size or out of range', () => {
    expect(() => sm2PublicKeyOf(new Uint8Array(31))).toThrow(CryptoInputError);
    expect(() => sm2PublicKeyOf(new Uint8Array(32))).toThrow(CryptoInputError);
  });
});
