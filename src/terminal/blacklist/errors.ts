import { SscardError } from '../../apdu/index.js';
import type { BlacklistEntry } from './source.js';

/*
 * Refusals around the blacklist: a listed card, and a blacklist file the terminal must not trust
 * (malformed, tampered with or signed by another key, stale, from the future, older than one
 * already seen). Each has a stable code; messages name the file's facts, never a PIN.
 */

const SIDE_NAMES = { ssc: 'social security side', bank: 'bank side' } as const;

function describe(entries: readonly BlacklistEntry[]): string {
  return entries.map((e) => `${SIDE_NAMES[e.side]} ${e.reason}`).join(', ');
}

/**
 * The card is on the blacklist: the terminal refuses it before any PIN is taken. `entries` says
 * which side and why; `applicationBlocked` whether the terminal blocked the application on the
 * chip (APPLICATION BLOCK) and `reported` whether it told the issuer.
 */
export class CardBlacklistedError extends SscardError {
  declare readonly code: 'CARD_BLACKLISTED';
  readonly cardNumber: string;
  readonly entries: readonly BlacklistEntry[];
  /** The first listing's reason (the side the terminal was asked to use). */
  readonly reason: BlacklistEntry['reason'];
  readonly side: BlacklistEntry['side'];
  readonly applicationBlocked: boolean;
  readonly reported: boolean;

  constructor(
    cardNumber: string,
    entries: readonly BlacklistEntry[],
    outcome: { applicationBlocked: boolean; reported: boolean; source: string },
    options?: { cause?: unknown },
  ) {
    const first = entries[0]!;
    const action = outcome.applicationBlocked
      ? `; the application was blocked${outcome.reported ? ' and the issuer told' : ''}`
      : '';
    super(
      'CARD_BLACKLISTED',
      `card ${cardNumber} is on the blacklist (${describe(entries)}; ${outcome.source})${action}`,
      options,
    );
    this.cardNumber = cardNumber;
    this.entries = entries.map((e) => ({ ...e }));
    this.reason = first.reason;
    this.side = first.side;
    this.applicationBlocked = outcome.applicationBlocked;
    this.reported = outcome.reported;
  }
}

/** The blacklist file is not one: not JSON, wrong format, a bad field (`path` names it). */
export class BlacklistFormatError extends SscardError {
  declare readonly code: 'BLACKLIST_FORMAT';
  readonly path: string;

  constructor(path: string, problem: string) {
    super('BLACKLIST_FORMAT', `blacklist file${path === '' ? '' : ` ${path}`}: ${problem}`);
    this.path = path;
  }
}

/** The signature does not verify under the terminal's issuer key: tampered with, or another key. */
export class BlacklistSignatureError extends SscardError {
  declare readonly code: 'BLACKLIST_SIGNATURE';
  readonly keyId: string;
  readonly trustedKeyId: string;

  constructor(keyId: string, trustedKeyId: string) {
    super(
      'BLACKLIST_SIGNATURE',
      keyId === trustedKeyId
        ? 'blacklist file: the signature does not verify; the file was altered after it was signed'
        : `blacklist file: signed with key ${keyId}, but this terminal trusts key ${trustedKeyId}`,
    );
    this.keyId = keyId;
    this.trustedKeyId = trustedKeyId;
  }
}

/** The file is older than the terminal's staleness limit: newer listings may be missing. */
export class BlacklistStaleError extends SscardError {
  declare readonly code: 'BLACKLIST_STALE';
  readonly issuedAt: Date;
  readonly maxAgeMs: number;

  constructor(issuedAt: Date, ageMs: number, maxAgeMs: number) {
    const days = (ms: number) => `${(ms / 86_400_000).toFixed(ms % 86_400_000 === 0 ? 0 : 1)} days`;
    super(
      'BLACKLIST_STALE',
      `blacklist file issued ${issuedAt.toISOString()} is ${days(ageMs)} old; this terminal accepts at most ${days(maxAgeMs)}: fetch a new one`,
    );
    this.issuedAt = issuedAt;
    this.maxAgeMs = maxAgeMs;
  }
}

/** The file says it was issued later than the terminal's clock (beyond the allowed skew). */
export class BlacklistNotYetValidError extends SscardError {
  declare readonly code: 'BLACKLIST_NOT_YET_VALID';
  readonly issuedAt: Date;

  constructor(issuedAt: Date, now: Date) {
    super(
      'BLACKLIST_NOT_YET_VALID',
      `blacklist file issued ${issuedAt.toISOString()}, after this terminal's time ${now.toISOString()}: check the clock`,
    );
    this.issuedAt = issuedAt;
  }
}

/** A file older (lower version) than one the terminal has already used: a rollback. */
export class BlacklistRollbackError extends SscardError {
  declare readonly code: 'BLACKLIST_ROLLBACK';
  readonly version: number;
  readonly minVersion: number;

  constructor(version: number, minVersion: number) {
    super(
      'BLACKLIST_ROLLBACK',
      `blacklist file version ${version} is older than version ${minVersion} this terminal already has`,
    );
    this.version = version;
    this.minVersion = minVersion;
  }
}
