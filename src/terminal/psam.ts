import { createCipheriv } from 'node:crypto';
import { encodeBcd } from '../apdu/index.js';
import { InvalidArgumentError } from './errors.js';

/*
 * A terminal's secure module (PSAM) in software. It holds issuer master keys, never per-card keys:
 * for each card it derives the card's key from the master key and the card identifier, then
 * computes the EXTERNAL AUTHENTICATE cryptogram over the card's challenge. Test keys only.
 */

/** Block cipher a card announces in its FCI (9F0C 03 86 01 xx: 01 3DES, 03 SM4). */
export type CryptoAlgorithm = '3des' | 'sm4';

/**
 * What a master key lets a terminal do:
 * - 'health-write': write DF10 health records (hospital terminals);
 * - 'cardholder-read': read EF06 cardholder data on spec 3.00 cards (RKSSSE).
 */
export type PsamKeyRole = 'health-write' | 'cardholder-read';

export interface PsamMasterKey {
  role: PsamKeyRole;
  algorithm: CryptoAlgorithm;
  /** 16 bytes (3DES double length or SM4). */
  key: Uint8Array;
}

/** Input of one external authentication. */
export interface ExternalAuthInput {
  role: PsamKeyRole;
  algorithm: CryptoAlgorithm;
  /** From EF05 tag 01: the diversification input. */
  cardIdentifier: string;
  /** The card's GET CHALLENGE answer. */
  challenge: Uint8Array;
}

/** What SscCard needs from a secure module; a hardware PSAM behind a reader can implement it too. */
export interface SecureModule {
  hasKey(role: PsamKeyRole, algorithm: CryptoAlgorithm): boolean;
  /** The EXTERNAL AUTHENTICATE data: 8 bytes for 3DES, 16 for SM4. */
  externalAuthenticate(input: ExternalAuthInput): Promise<Uint8Array>;
}

function blockEncrypt(algorithm: CryptoAlgorithm, key: Uint8Array, block: Uint8Array): Uint8Array {
  // ECB on exactly one or two blocks, no padding: the inputs are already block-sized.
  const cipher = createCipheriv(algorithm === 'sm4' ? 'sm4-ecb' : 'des-ede-ecb', key, null);
  cipher.setAutoPadding(false);
  const out = Buffer.concat([cipher.update(block), cipher.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length).slice();
}

/**
 * The 8 diversification bytes of a card. Project choice (must equal the card simulator's):
 * the card identifier's digits as BCD (F-padded to whole bytes), the rightmost 8 bytes, left-padded
 * with 00 when shorter.
 */
export function diversificationInput(cardIdentifier: string): Uint8Array {
  if (!/^[0-9A-Fa-f]+$/.test(cardIdentifier)) {
    throw new InvalidArgumentError('card identifier must be hex digits');
  }
  const bytes = /^[0-9]+$/.test(cardIdentifier)
    ? encodeBcd(cardIdentifier)
    : Uint8Array.from(Buffer.from(cardIdentifier.length % 2 === 0 ? cardIdentifier : `${cardIdentifier}F`, 'hex'));
  const out = new Uint8Array(8);
  const tail = bytes.subarray(Math.max(0, bytes.length - 8));
  out.set(tail, 8 - tail.length);
  return out;
}

/**
 * The card's key from a master key (PBOC-style diversification): with D the 8 input bytes and ~D
 * their complement, 3DES gives E(MK, D) || E(MK, ~D) and SM4 gives E(MK, D || ~D).
 */
export function diversifyKey(algorithm: CryptoAlgorithm, masterKey: Uint8Array, input: Uint8Array): Uint8Array {
  if (masterKey.length !== 16) throw new InvalidArgumentError(`master key must be 16 bytes, got ${masterKey.length}`);
  if (input.length !== 8) throw new InvalidArgumentError(`diversification input must be 8 bytes, got ${input.length}`);
  const complement = input.map((b) => b ^ 0xff);
  if (algorithm === 'sm4') {
    const block = new Uint8Array(16);
    block.set(input, 0);
    block.set(complement, 8);
    return blockEncrypt('sm4', masterKey, block);
  }
  const out = new Uint8Array(16);
  out.set(blockEncrypt('3des', masterKey, input), 0);
  out.set(blockEncrypt('3des', masterKey, complement), 8);
  return out;
}

/**
 * The cryptogram over a challenge: the challenge, 00-padded to one cipher block (8 bytes for
 * 3DES, 16 for SM4), enciphered with the card key in ECB.
 */
export function authenticationCryptogram(algorithm: CryptoAlgorithm, cardKey: Uint8Array, challenge: Uint8Array): Uint8Array {
  const size = algorithm === 'sm4' ? 16 : 8;
  if (challenge.length === 0 || challenge.length > size) {
    throw new InvalidArgumentError(`challenge must be 1..${size} bytes, got ${challenge.length}`);
  }
  const block = new Uint8Array(size);
  block.set(challenge, 0);
  return blockEncrypt(algorithm, cardKey, block);
}

/** A secure module in software holding issuer master keys by role and algorithm. */
export class SoftwarePsam implements SecureModule {
  private readonly keys = new Map<string, PsamMasterKey>();

  constructor(keys: readonly PsamMasterKey[]) {
    for (const k of keys) {
      if (!(k.key instanceof Uint8Array) || k.key.length !== 16) {
        throw new InvalidArgumentError(`master key for ${k.role} (${k.algorithm}) must be 16 bytes`);
      }
      if (k.algorithm !== '3des' && k.algorithm !== 'sm4') {
        throw new InvalidArgumentError(`master key for ${k.role}: algorithm must be '3des' or 'sm4'`);
      }
      this.keys.set(`${k.role}/${k.algorithm}`, { role: k.role, algorithm: k.algorithm, key: k.key.slice() });
    }
  }

  hasKey(role: PsamKeyRole, algorithm: CryptoAlgorithm): boolean {
    return this.keys.has(`${role}/${algorithm}`);
  }

  async externalAuthenticate(input: ExternalAuthInput): Promise<Uint8Array> {
    const master = this.keys.get(`${input.role}/${input.algorithm}`);
    if (master === undefined) {
      throw new InvalidArgumentError(`this secure module holds no ${input.role} key for ${input.algorithm}`);
    }
    const cardKey = diversifyKey(input.algorithm, master.key, diversificationInput(input.cardIdentifier));
    try {
      return authenticationCryptogram(input.algorithm, cardKey, input.challenge);
    } finally {
      cardKey.fill(0);
    }
  }
}
