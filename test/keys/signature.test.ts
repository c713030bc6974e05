import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SigningKeyError,
  blacklistTestPublicKey,
  blacklistTestSigningKey,
  ed25519KeyFromPem,
  ed25519PrivateKeyPem,
  ed25519PublicKey,
  ed25519PublicKeyPem,
  ed25519Sign,
  ed25519Verify,
  keyFingerprint,
} from '../../src/keys/index.js';

describe('issuer signatures (Ed25519)', () => {
  it('the published TEST blacklist key is recognisable and fixed', () => {
    expect(Buffer.from(blacklistTestSigningKey()).toString('ascii')).toBe('TEST SSCARD BLACKLIST SIGNER----');
    // Pinned: terminals and files made by earlier versions keep agreeing.
    expect(Buffer.from(blacklistTestPublicKey()).toString('hex')).toBe(
      '7f9d417d46d4bfd992c04ba5e5ddd97c71353e1f52674ba3510b8bfc7a484673',
    );
    expect(keyFingerprint(blacklistTestPublicKey())).toBe('fc51b0842200cd61');
    expect(blacklistTestSigningKey()).not.toBe(blacklistTestSigningKey());
  });

  it('matches RFC 8032 test vector 1', () => {
    const seed = Uint8Array.from(
      Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'),
    );
    expect(Buffer.from(ed25519PublicKey(seed)).toString('hex')).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
    const sig = ed25519Sign(seed, new Uint8Array(0));
    expect(Buffer.from(sig).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(ed25519Verify(ed25519PublicKey(seed), new Uint8Array(0), sig)).toBe(true);
    expect(ed25519Verify(ed25519PublicKey(seed), new Uint8Array(1), sig)).toBe(false);
    expect(ed25519Verify(ed25519PublicKey(seed), new Uint8Array(0), sig.subarray(1))).toBe(false);
  });

  it('reads and writes PEM keys, and refuses keys that are not Ed25519', () => {
    const seed = blacklistTestSigningKey();
    const priv = ed25519KeyFromPem(ed25519PrivateKeyPem(seed));
    expect(priv.privateKey).toEqual(seed);
    expect(priv.publicKey).toEqual(blacklistTestPublicKey());
    expect(ed25519KeyFromPem(ed25519PublicKeyPem(blacklistTestPublicKey()))).toEqual({
      publicKey: blacklistTestPublicKey(),
    });
    const rsa = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    expect(() => ed25519KeyFromPem(rsa)).toThrow(new SigningKeyError('the key is ec, not Ed25519'));
    expect(() => ed25519KeyFromPem('not a key')).toThrow(/no -----BEGIN line/);
    expect(() => ed25519KeyFromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrow(
      SigningKeyError,
    );
    expect(() => ed25519PublicKey(new Uint8Array(31))).toThrow(/32-byte/);
  });
});
