import { DEFAULT_PIN_POLICY, PIN_MAX_TRY_LIMIT } from '../../pin/index.js';
import { OfficeArgumentError, QueryPasswordFormatError } from '../errors.js';
import type { Database } from '../storage/database.js';
import { DEFAULT_SCRYPT_PARAMS, checkScryptParams } from './hash.js';
import type { ScryptParams } from './hash.js';

/*
 * The rules of the information-query password (信息查询密码), an office secret that never goes on
 * the chip (card-profile §1):
 *   - its initial value is the last six characters of the card number (printed on the card);
 *   - the holder changes it online; a new one has 8..20 printable ASCII characters (no spaces)
 *     with at least one letter and one digit (project choice; so it is never the initial value,
 *     six characters printed on the card that anyone holding the card can read);
 *   - wrong tries lock it after `tryLimit` in a row, with the PIN engine's counter semantics
 *     (src/pin, Pin.verify): a try is spent, durably, before the comparison; a match restores
 *     the full counter; a locked password answers "locked" without comparing, even the right
 *     value; the default limit is the application PIN's (DEFAULT_PIN_POLICY.tryLimit, 3), within
 *     the same bounds (1..PIN_MAX_TRY_LIMIT). A locked password is only reset, never unlocked;
 *   - a forgotten or locked password is reset with the ID number, the name and the last six
 *     characters of the personal number (个人编号), back to the initial value. The notices' wording
 *     names the personal number; on this card it is the social security number, which is the
 *     citizen ID number (card-profile §3, EF06 tag 08), so the check is the ID number's last six
 *     characters (an X as the check character is accepted in either case). It adds no secret to
 *     the ID number and the name (project choice, following the notices' form): what keeps a
 *     stranger out after a reset is that the initial value is on the card itself.
 *   - at most `resetsPerDay` resets of one card in 24 hours (project choice: a reset restores the
 *     tries, so unlimited resets would give unlimited guesses at the initial value).
 * A password is any string or UTF-8 bytes; a candidate of more than 64 bytes or none is refused
 * as malformed before anything is spent, like a PIN of the wrong length.
 */

export interface QueryPasswordOptions {
  /** Wrong tries in a row before the password locks (default 3, as the application PIN; 1..15). */
  tryLimit?: number;
  /** scrypt parameters of new verifiers (default DEFAULT_SCRYPT_PARAMS). */
  hash?: ScryptParams;
  /** Resets of one card allowed in 24 hours (default 3; 1..100). */
  resetsPerDay?: number;
}

export interface QueryPasswordRules {
  tryLimit: number;
  hash: ScryptParams;
  resetsPerDay: number;
}

export const DEFAULT_QUERY_PASSWORD_RULES: Readonly<QueryPasswordRules> = Object.freeze({
  tryLimit: DEFAULT_PIN_POLICY.tryLimit,
  hash: DEFAULT_SCRYPT_PARAMS,
  resetsPerDay: 3,
});

export const QUERY_PASSWORD_MIN_LENGTH = 8;
export const QUERY_PASSWORD_MAX_LENGTH = 20;
/** Longest candidate hashed at all (bytes). */
const MAX_CANDIDATE_BYTES = 64;

/** Checks options and fills in the defaults; throws OfficeArgumentError. */
export function queryPasswordRules(options: QueryPasswordOptions = {}): QueryPasswordRules {
  if (options === null || typeof options !== 'object')
    throw new OfficeArgumentError('queryPassword options must be an object');
  const int = (v: unknown, min: number, max: number, name: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new OfficeArgumentError(`queryPassword.${name} must be an integer from ${min} to ${max}`);
    return v;
  };
  return {
    tryLimit: int(options.tryLimit ?? DEFAULT_QUERY_PASSWORD_RULES.tryLimit, 1, PIN_MAX_TRY_LIMIT, 'tryLimit'),
    hash: checkScryptParams(options.hash ?? DEFAULT_QUERY_PASSWORD_RULES.hash, 'queryPassword.hash'),
    resetsPerDay: int(options.resetsPerDay ?? DEFAULT_QUERY_PASSWORD_RULES.resetsPerDay, 1, 100, 'resetsPerDay'),
  };
}

// The registry's options, kept by its store (Registry.open hands them over).
const rulesByStore = new WeakMap<Database, QueryPasswordRules>();

export function rememberQueryPasswordRules(db: Database, options: QueryPasswordOptions | undefined): void {
  rulesByStore.set(db, queryPasswordRules(options));
}

export function queryPasswordRulesOf(db: Database): QueryPasswordRules {
  return rulesByStore.get(db) ?? DEFAULT_QUERY_PASSWORD_RULES;
}

/** The initial value of a card's query password: the last six characters of its card number. */
export function initialQueryPassword(cardNumber: string): string {
  return cardNumber.slice(-6);
}

/** A password as UTF-8 bytes the caller owns (and wipes); a malformed candidate throws QueryPasswordFormatError. */
export function passwordBytes(password: string | Uint8Array, which: 'current' | 'new' = 'current'): Buffer {
  if (typeof password !== 'string' && !(password instanceof Uint8Array))
    throw new QueryPasswordFormatError(which, 'malformed', 'the password must be a string or UTF-8 bytes');
  const bytes = typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password);
  if (bytes.length === 0 || bytes.length > MAX_CANDIDATE_BYTES) {
    bytes.fill(0);
    throw new QueryPasswordFormatError(which, 'length', `the password must have 1 to ${MAX_CANDIDATE_BYTES} bytes`);
  }
  return bytes;
}

/**
 * Checks a new password against the rules above; throws QueryPasswordFormatError naming the
 * problem, never the password.
 */
export function checkNewQueryPassword(bytes: Uint8Array): void {
  const text = Buffer.from(bytes).toString('latin1');
  if (!/^[\x21-\x7e]+$/.test(text))
    throw new QueryPasswordFormatError(
      'new',
      'characters',
      'a new query password has printable ASCII characters only, no spaces',
    );
  if (bytes.length < QUERY_PASSWORD_MIN_LENGTH || bytes.length > QUERY_PASSWORD_MAX_LENGTH) {
    throw new QueryPasswordFormatError(
      'new',
      'length',
      `a new query password has ${QUERY_PASSWORD_MIN_LENGTH} to ${QUERY_PASSWORD_MAX_LENGTH} characters`,
    );
  }
  if (!/[A-Za-z]/.test(text) || !/[0-9]/.test(text))
    throw new QueryPasswordFormatError(
      'new',
      'too-simple',
      'a new query password has at least one letter and one digit',
    );
}

/** The reset's third fact: the last six characters of the personal number (= ID number), X in either case. */
export function personalNumberTailMatches(idNumber: string, tail: string): boolean {
  return typeof tail === 'string' && tail.trim().toUpperCase() === idNumber.slice(-6).toUpperCase();
}

/** Names compared as the holder types them: Unicode NFC, surrounding and inner blanks ignored. */
export function sameName(stored: string, given: string): boolean {
  const norm = (s: string) => s.normalize('NFC').replace(/[\s\u3000·•]/g, '');
  return typeof given === 'string' && given.trim() !== '' && norm(stored) === norm(given);
}
