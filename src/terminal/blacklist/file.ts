import { ed25519PublicKey, ed25519Sign, ed25519Verify, keyFingerprint } from '../../keys/index.js';
import { InvalidArgumentError } from '../errors.js';
import {
  BlacklistFormatError,
  BlacklistNotYetValidError,
  BlacklistRollbackError,
  BlacklistSignatureError,
  BlacklistStaleError,
} from './errors.js';
import { BLACKLIST_REASONS, BLACKLIST_SIDES } from './source.js';
import type { BlacklistEntry, BlacklistQuery, BlacklistReason, BlacklistSide, BlacklistSource } from './source.js';

/*
 * The blacklist file a terminal holds offline: JSON, signed by the issuer with Ed25519 (see
 * src/keys/signature.ts for why), checked by the terminal with the issuer's public key only.
 *
 *   {
 *     "format": "sscard-blacklist", "formatVersion": 1,
 *     "version": 7,                              the issuer's running number of exports
 *     "issuedAt": "2027-01-05T02:00:00.000Z",     when it was made (staleness counts from here)
 *     "keyId": "…16 hex…",                        first 8 bytes of SHA-256 of the signing public key
 *     "entries": [ { "cardNumber": "S00000001", "cardIdentifier": "1101059000000001",
 *                    "side": "ssc", "reason": "lost" }, … ],
 *     "signature": "…base64 of 64 bytes…"
 *   }
 *
 * The signature covers the UTF-8 bytes of the JSON of every field but `signature`, in the order
 * above (entry fields in the order shown, an absent card number or identifier left out): the
 * terminal rebuilds those bytes from what it parsed, so any change to a value breaks the
 * signature, while the file's whitespace does not matter. Unknown fields are refused (the
 * signature would not cover them). An entry names a card number, a card identifier or both;
 * the POS matches either against what it reads from the chip.
 *
 * Checks, in order: the format (BLACKLIST_FORMAT naming the field), the key (BLACKLIST_SIGNATURE:
 * another issuer key, or the file altered), the time (BLACKLIST_NOT_YET_VALID beyond 5 minutes of
 * clock skew, BLACKLIST_STALE past the terminal's limit, default 7 days), and optionally the
 * version against the newest the terminal has seen (BLACKLIST_ROLLBACK). Staleness is checked
 * again at every lookup, so a terminal left running with an old file starts refusing cards.
 */

export const BLACKLIST_FORMAT = 'sscard-blacklist';
export const BLACKLIST_FORMAT_VERSION = 1;
/** Default staleness limit of a blacklist file: 7 days. */
export const DEFAULT_BLACKLIST_MAX_AGE_MS = 7 * 86_400_000;
/** Clock skew allowed between the issuer and a terminal. */
export const BLACKLIST_CLOCK_SKEW_MS = 5 * 60_000;

/** One line of a blacklist file. */
export interface BlacklistListing {
  cardNumber?: string;
  cardIdentifier?: string;
  side: BlacklistSide;
  reason: BlacklistReason;
}

/** What the issuer signs. */
export interface BlacklistContent {
  version: number;
  issuedAt: Date;
  entries: readonly BlacklistListing[];
}

/** The file as JSON. */
export interface SignedBlacklist {
  format: typeof BLACKLIST_FORMAT;
  formatVersion: typeof BLACKLIST_FORMAT_VERSION;
  version: number;
  issuedAt: string;
  keyId: string;
  entries: BlacklistListing[];
  signature: string;
}

const TOP_FIELDS = ['format', 'formatVersion', 'version', 'issuedAt', 'keyId', 'entries', 'signature'] as const;
const ENTRY_FIELDS = ['cardNumber', 'cardIdentifier', 'side', 'reason'] as const;
const CARD_NUMBER = /^[0-9A-Z]{9}$/;
const CARD_IDENTIFIER = /^[0-9]{16,32}$/;

function orderedListing(e: BlacklistListing): BlacklistListing {
  return {
    ...(e.cardNumber === undefined ? {} : { cardNumber: e.cardNumber }),
    ...(e.cardIdentifier === undefined ? {} : { cardIdentifier: e.cardIdentifier }),
    side: e.side,
    reason: e.reason,
  };
}

/** The bytes the signature covers. */
function signedBytes(doc: Omit<SignedBlacklist, 'signature'>): Uint8Array {
  const ordered = {
    format: doc.format,
    formatVersion: doc.formatVersion,
    version: doc.version,
    issuedAt: doc.issuedAt,
    keyId: doc.keyId,
    entries: doc.entries.map(orderedListing),
  };
  return new TextEncoder().encode(JSON.stringify(ordered));
}

function fail(path: string, problem: string): never {
  throw new BlacklistFormatError(path, problem);
}

function checkListing(e: unknown, path: string): BlacklistListing {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) fail(path, 'must be an object');
  const o = e as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!(ENTRY_FIELDS as readonly string[]).includes(key)) fail(`${path}.${key}`, 'unknown field');
  if (o['cardNumber'] !== undefined && (typeof o['cardNumber'] !== 'string' || !CARD_NUMBER.test(o['cardNumber']))) {
    fail(`${path}.cardNumber`, 'must be 9 digits or capital letters');
  }
  if (
    o['cardIdentifier'] !== undefined &&
    (typeof o['cardIdentifier'] !== 'string' || !CARD_IDENTIFIER.test(o['cardIdentifier']))
  ) {
    fail(`${path}.cardIdentifier`, 'must be 16 to 32 digits');
  }
  if (o['cardNumber'] === undefined && o['cardIdentifier'] === undefined)
    fail(path, 'names neither a card number nor a card identifier');
  if (!(BLACKLIST_SIDES as readonly unknown[]).includes(o['side']))
    fail(`${path}.side`, `must be one of ${BLACKLIST_SIDES.join(', ')}`);
  if (!(BLACKLIST_REASONS as readonly unknown[]).includes(o['reason']))
    fail(`${path}.reason`, `must be one of ${BLACKLIST_REASONS.join(', ')}`);
  return orderedListing(o as unknown as BlacklistListing);
}

/** Checks the shape of a parsed file; BlacklistFormatError names the first bad field. */
function checkShape(value: unknown): SignedBlacklist {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('', 'must be a JSON object');
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!(TOP_FIELDS as readonly string[]).includes(key)) fail(key, 'unknown field (not covered by the signature)');
  if (o['format'] !== BLACKLIST_FORMAT) fail('format', `must be "${BLACKLIST_FORMAT}"`);
  if (o['formatVersion'] !== BLACKLIST_FORMAT_VERSION)
    fail('formatVersion', `must be ${BLACKLIST_FORMAT_VERSION} (this terminal reads no other)`);
  const version = o['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    fail('version', 'must be a positive whole number');
  const issuedAt = o['issuedAt'];
  if (
    typeof issuedAt !== 'string' ||
    Number.isNaN(Date.parse(issuedAt)) ||
    new Date(issuedAt).toISOString() !== issuedAt
  ) {
    fail('issuedAt', "must be an ISO instant like '2027-01-05T02:00:00.000Z'");
  }
  const keyId = o['keyId'];
  if (typeof keyId !== 'string' || !/^[0-9a-f]{16}$/.test(keyId)) fail('keyId', 'must be 16 lower-case hex digits');
  const entries = o['entries'];
  if (!Array.isArray(entries)) fail('entries', 'must be an array');
  const listings = entries.map((e, i) => checkListing(e, `entries[${i}]`));
  const signature = o['signature'];
  if (
    typeof signature !== 'string' ||
    Buffer.from(signature, 'base64').toString('base64') !== signature ||
    Buffer.from(signature, 'base64').length !== 64
  ) {
    fail('signature', 'must be the base64 of a 64-byte Ed25519 signature');
  }
  return {
    format: BLACKLIST_FORMAT,
    formatVersion: BLACKLIST_FORMAT_VERSION,
    version,
    issuedAt,
    keyId,
    entries: listings,
    signature,
  };
}

/** Signs a blacklist with the issuer's private key (an Ed25519 seed): the file's JSON. */
export function signBlacklist(content: BlacklistContent, signingKey: Uint8Array): SignedBlacklist {
  if (!Number.isSafeInteger(content.version) || content.version < 1)
    throw new InvalidArgumentError('blacklist version must be a positive whole number');
  if (!(content.issuedAt instanceof Date) || Number.isNaN(content.issuedAt.getTime()))
    throw new InvalidArgumentError('issuedAt must be a Date');
  const unsigned = {
    format: BLACKLIST_FORMAT,
    formatVersion: BLACKLIST_FORMAT_VERSION,
    version: content.version,
    issuedAt: content.issuedAt.toISOString(),
    keyId: keyFingerprint(ed25519PublicKey(signingKey)),
    entries: content.entries.map((e, i) => {
      try {
        return checkListing(e, `entries[${i}]`);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message, { cause: err });
      }
    }),
  } as const;
  const signature = Buffer.from(ed25519Sign(signingKey, signedBytes(unsigned))).toString('base64');
  return { ...unsigned, signature };
}

export interface BlacklistFileOptions {
  /** The issuer's Ed25519 public key (32 bytes): the only key a terminal holds. */
  publicKey: Uint8Array;
  /** Oldest file accepted, in milliseconds since its issuedAt (default 7 days). */
  maxAgeMs?: number;
  /** The terminal's clock (default: the system time). */
  now?: () => Date;
  /** The newest version this terminal has used: an older file is a rollback. */
  minVersion?: number;
}

/** A blacklist file, verified: a BlacklistSource for SscCard.open. */
export class BlacklistFile implements BlacklistSource {
  readonly version: number;
  readonly issuedAt: Date;
  readonly keyId: string;
  readonly listings: readonly BlacklistListing[];
  private readonly maxAgeMs: number;
  private readonly now: () => Date;
  private readonly byNumber = new Map<string, BlacklistEntry[]>();
  private readonly byIdentifier = new Map<string, BlacklistEntry[]>();

  private constructor(doc: SignedBlacklist, maxAgeMs: number, now: () => Date) {
    this.version = doc.version;
    this.issuedAt = new Date(doc.issuedAt);
    this.keyId = doc.keyId;
    this.listings = doc.entries.map((e) => Object.freeze({ ...e }));
    this.maxAgeMs = maxAgeMs;
    this.now = now;
    for (const e of doc.entries) {
      const entry = { side: e.side, reason: e.reason };
      if (e.cardNumber !== undefined) add(this.byNumber, e.cardNumber, entry);
      if (e.cardIdentifier !== undefined) add(this.byIdentifier, e.cardIdentifier, entry);
    }
  }

  /** Parses and verifies a file's text (or bytes); throws the typed refusal of the first failed check. */
  static parse(text: string | Uint8Array, opts: BlacklistFileOptions): BlacklistFile {
    const source = typeof text === 'string' ? text : new TextDecoder('utf-8', { fatal: false }).decode(text);
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch {
      fail('', 'is not valid JSON');
    }
    return BlacklistFile.verify(value, opts);
  }

  /** Verifies an already parsed file. */
  static verify(value: unknown, opts: BlacklistFileOptions): BlacklistFile {
    if (!(opts?.publicKey instanceof Uint8Array) || opts.publicKey.length !== 32) {
      throw new InvalidArgumentError('publicKey must be the 32-byte Ed25519 public key of the issuer');
    }
    const maxAgeMs = opts.maxAgeMs ?? DEFAULT_BLACKLIST_MAX_AGE_MS;
    if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0)
      throw new InvalidArgumentError('maxAgeMs must be a positive number of milliseconds');
    const doc = checkShape(value);
    const trusted = keyFingerprint(opts.publicKey);
    if (doc.keyId !== trusted) throw new BlacklistSignatureError(doc.keyId, trusted);
    const { signature, ...unsigned } = doc;
    if (!ed25519Verify(opts.publicKey, signedBytes(unsigned), new Uint8Array(Buffer.from(signature, 'base64')))) {
      throw new BlacklistSignatureError(doc.keyId, trusted);
    }
    const file = new BlacklistFile(doc, maxAgeMs, opts.now ?? (() => new Date()));
    file.checkFresh();
    if (opts.minVersion !== undefined && doc.version < opts.minVersion)
      throw new BlacklistRollbackError(doc.version, opts.minVersion);
    return file;
  }

  get description(): string {
    return `blacklist file version ${this.version} of ${this.issuedAt.toISOString()}`;
  }

  /** Throws BlacklistStaleError / BlacklistNotYetValidError when the file is not usable now. */
  checkFresh(): void {
    const now = this.now();
    const age = now.getTime() - this.issuedAt.getTime();
    if (age < -BLACKLIST_CLOCK_SKEW_MS) throw new BlacklistNotYetValidError(this.issuedAt, now);
    if (age > this.maxAgeMs) throw new BlacklistStaleError(this.issuedAt, age, this.maxAgeMs);
  }

  async lookup(card: BlacklistQuery): Promise<readonly BlacklistEntry[]> {
    this.checkFresh();
    const found = [
      ...(this.byNumber.get(card.cardNumber) ?? []),
      ...(this.byIdentifier.get(card.cardIdentifier) ?? []),
    ];
    const seen = new Set<string>();
    return found.filter((e) => {
      const key = `${e.side}/${e.reason}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
}

function add(map: Map<string, BlacklistEntry[]>, key: string, entry: BlacklistEntry): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [entry]);
  else list.push(entry);
}
