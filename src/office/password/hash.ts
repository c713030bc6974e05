import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { OfficeArgumentError, RegistryStorageError } from '../errors.js';

/*
 * The information-query password's verifier: scrypt (Node's crypto, no dependency) in the PHC
 * string format `$scrypt$ln=17,r=8,p=1$<salt>$<key>` (salt 16 random bytes, key 32 bytes, both
 * unpadded base64). The parameters travel with each verifier, so they can be raised later:
 * a sign-in with a verifier made under weaker parameters stores a new one (see needsRehash).
 *
 * Default parameters: N = 2^17, r = 8, p = 1, OWASP's first recommendation for scrypt; 128 MiB
 * of memory per hash. Measured on this project's machines (2 cores, Node 20): 0.48-0.59 s of CPU
 * time per hash (process.cpuUsage; N = 2^16 takes half that, 2^15 a quarter), and 2-4 s of wall
 * time while other test suites kept the machine at a load average above 20. A sign-in costs one
 * hash (two the first time a card's password is used: its initial value's verifier is made). At
 * most two hashes run at once in a process (two cores; it also bounds the memory to 256 MiB);
 * further ones wait their turn. Registry.open's `queryPassword.hash` sets other parameters (the
 * test suites use N = 2^10).
 */

export interface ScryptParams {
  /** log2 of the CPU/memory cost N (10..20). */
  ln: number;
  /** Block size (1..16). */
  r: number;
  /** Parallelisation (1..4). */
  p: number;
}

export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ ln: 17, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Hashes computed at once in this process. */
const MAX_CONCURRENT_HASHES = 2;

/** Checks scrypt parameters (from options or from a stored verifier); throws OfficeArgumentError. */
export function checkScryptParams(params: ScryptParams, what = 'scrypt parameters'): ScryptParams {
  const ok = (v: unknown, min: number, max: number) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (
    params === null ||
    typeof params !== 'object' ||
    !ok(params.ln, 10, 20) ||
    !ok(params.r, 1, 16) ||
    !ok(params.p, 1, 4)
  ) {
    throw new OfficeArgumentError(`${what}: ln must be 10..20, r 1..16, p 1..4`);
  }
  return { ln: params.ln, r: params.r, p: params.p };
}

let running = 0;
const waiting: Array<() => void> = [];

async function withHashSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve));
  else running += 1;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next !== undefined) next();
    else running -= 1;
  }
}

function derive(secret: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  return withHashSlot(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(
          secret,
          salt,
          KEY_BYTES,
          { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + (1 << 20) },
          (err, key) => {
            if (err === null) resolve(key);
            else reject(err);
          },
        );
      }),
  );
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/=+$/, '');

/** A new verifier for `secret` (UTF-8 bytes) with a fresh salt. */
export async function hashQueryPassword(
  secret: Uint8Array,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  const checked = checkScryptParams(params);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, checked);
  try {
    return `$scrypt$ln=${checked.ln},r=${checked.r},p=${checked.p}$${b64(salt)}$${b64(key)}`;
  } finally {
    key.fill(0);
  }
}

interface ParsedVerifier {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const VERIFIER = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/;

function parseVerifier(verifier: string): ParsedVerifier {
  const m = VERIFIER.exec(verifier);
  // A verifier the registry cannot read is a damaged row, not a wrong password.
  if (m === null)
    throw new RegistryStorageError('a stored query-password verifier is not a scrypt verifier this code reads');
  const params = checkScryptParams(
    { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) },
    'stored query-password verifier',
  );
  return { params, salt: Buffer.from(m[4]!, 'base64'), key: Buffer.from(m[5]!, 'base64') };
}

/** The parameters a verifier was made with. */
export function verifierParams(verifier: string): ScryptParams {
  return parseVerifier(verifier).params;
}

/** Constant-time check of `secret` against a stored verifier (the scrypt work is the same either way). */
export async function queryPasswordMatches(secret: Uint8Array, verifier: string): Promise<boolean> {
  const { params, salt, key } = parseVerifier(verifier);
  const actual = await derive(secret, salt, params);
  try {
    return actual.length === key.length && timingSafeEqual(actual, key);
  } finally {
    actual.fill(0);
  }
}

/** True when the verifier was made with other parameters than `params` (store a new one after a match). */
export function needsRehash(verifier: string, params: ScryptParams): boolean {
  const p = parseVerifier(verifier).params;
  return p.ln !== params.ln || p.r !== params.r || p.p !== params.p;
}
