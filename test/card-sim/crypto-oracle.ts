import { createCipheriv } from 'node:crypto';
import type { CardAlgorithm } from '../../src/card-sim/index.js';

/*
 * Reference computations for the tests, written against node:crypto's CBC modes so they do not
 * share code with the card's own ECB-loop implementation.
 */

function run(name: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Uint8Array {
  const c = createCipheriv(name, key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

function pad80(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / size) + 1) * size);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** 4-byte MAC: 3DES retail MAC (ISO 9797-1 alg. 3) or SM4 CBC-MAC, method-2 padding, IV zero-padded. */
export function referenceMac(algorithm: CardAlgorithm, key: Uint8Array, data: Uint8Array, iv: Uint8Array): Uint8Array {
  const size = algorithm === 'sm4' ? 16 : 8;
  const padded = pad80(data, size);
  const ivBlock = new Uint8Array(size);
  ivBlock.set(iv.subarray(0, size));
  if (algorithm === 'sm4') {
    const out = run('sm4-cbc', key, ivBlock, padded);
    return out.slice(out.length - 16, out.length - 12);
  }
  const k1 = key.subarray(0, 8);
  let h = ivBlock;
  const head = padded.subarray(0, padded.length - 8);
  if (head.length > 0) {
    const k1k1 = new Uint8Array(16);
    k1k1.set(k1, 0);
    k1k1.set(k1, 8);
    const cbc = run('des-ede-cbc', k1k1, ivBlock, head);
    h = cbc.slice(cbc.length - 8);
  }
  const last = padded.subarray(padded.length - 8).map((b, i) => b ^ (h[i] as number));
  return run('des-ede-ecb', key, null, last).slice(0, 4);
}

export function referenceEcb(algorithm: CardAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return run(algorithm === 'sm4' ? 'sm4-ecb' : 'des-ede-ecb', key, null, data);
}
