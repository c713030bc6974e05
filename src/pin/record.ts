import { PinRecordError } from './errors.js';
import { PIN_MAX_TRY_LIMIT } from './policy.js';

/**
 * What proves a PIN without holding it: a random salt and HMAC-SHA256(key = salt, ASCII digits),
 * both as hex. A saved card image carries this, never the digits.
 */
export interface PinVerifier {
  /** 16 random bytes, hex. */
  salt: string;
  /** HMAC-SHA256 keyed with the salt bytes over the PIN's ASCII digits, hex (32 bytes). */
  mac: string;
}

/** The durable state of one PIN: counter, initial-PIN flag and verifier. JSON-safe. */
export interface PinRecord {
  tryLimit: number;
  triesLeft: number;
  /** True while the PIN in effect is the one the issuer set (see Pin for the exact rule). */
  initial: boolean;
  verifier: PinVerifier;
}

/**
 * Where the engine keeps its record. Synchronous on purpose: when `save` returns, the record must
 * be durable (a card image written, flushed and renamed), because a try is spent by a save that
 * must complete before the PIN is compared. A save that cannot complete must throw.
 */
export interface PinStore {
  load(): PinRecord;
  save(record: PinRecord): void;
  /**
   * Optional: saves a change of the try counter alone (the rest of the record as loaded), under
   * the same rule as `save` (durable when it returns, throws when it cannot be). A store that has
   * it can make a try a small write (the counter) instead of a whole record; without it the
   * engine saves the whole record. A store that also lends its record (`borrow`) may return the
   * record it now holds, the object borrow() will lend: made from the record the engine last
   * read, with the counter it was given, so the engine does not check it again.
   */
  saveTriesLeft?(triesLeft: number): Readonly<PinRecord> | void;
  /**
   * Optional: the record as stored, not a copy, for a store that never changes a saved record in
   * place (every save stores a new object). The engine only reads it, and checks it again only
   * when it is another object than the one it last checked, so a store that has it spares the
   * engine a copy and a check on every command.
   */
  borrow?(): Readonly<PinRecord>;
}

export const PIN_SALT_BYTES = 16;
export const PIN_MAC_BYTES = 32;

function isHex(value: unknown, bytes: number): value is string {
  return typeof value === 'string' && value.length === bytes * 2 && /^[0-9A-Fa-f]*$/.test(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What is wrong with a PinVerifier read back from storage (`field` relative to the verifier), or
 * undefined when it is well-formed.
 */
export function pinVerifierProblem(value: unknown): { field: string; message: string } | undefined {
  if (!isObject(value)) return { field: '', message: 'must be an object' };
  if (!isHex(value.salt, PIN_SALT_BYTES)) return { field: '.salt', message: `must be ${PIN_SALT_BYTES} bytes of hex` };
  if (!isHex(value.mac, PIN_MAC_BYTES)) return { field: '.mac', message: `must be ${PIN_MAC_BYTES} bytes of hex` };
  return undefined;
}

/**
 * Checks that `value` is a well-formed PinRecord and returns a detached copy of it. Anything else
 * is a PinRecordError naming the bad field, so a damaged image is reported instead of being
 * mistaken for a fresh card.
 */
export function validatePinRecord(value: unknown): PinRecord {
  return checkPinRecord(value, undefined);
}

/**
 * validatePinRecord, with the verifier's hex check skipped when its salt and MAC are the strings
 * of `known` (a verifier that already passed it): the engine loads its record on every command.
 */
export function checkPinRecord(value: unknown, known: PinVerifier | undefined): PinRecord {
  assertPinRecord(value, known);
  return {
    tryLimit: value.tryLimit,
    triesLeft: value.triesLeft,
    initial: value.initial,
    verifier: { salt: value.verifier.salt, mac: value.verifier.mac },
  };
}

/**
 * checkPinRecord's checks alone, without the copy (PinRecordError naming the bad field): for a
 * record the caller reads and never keeps beyond the store's next save.
 */
export function assertPinRecord(value: unknown, known: PinVerifier | undefined): asserts value is PinRecord {
  if (!isObject(value)) throw new PinRecordError('record', 'PIN record must be an object');
  const { tryLimit, triesLeft, initial, verifier } = value;
  if (typeof tryLimit !== 'number' || !Number.isInteger(tryLimit) || tryLimit < 1 || tryLimit > PIN_MAX_TRY_LIMIT) {
    throw new PinRecordError('tryLimit', `PIN record tryLimit must be an integer from 1 to ${PIN_MAX_TRY_LIMIT}`);
  }
  if (typeof triesLeft !== 'number' || !Number.isInteger(triesLeft) || triesLeft < 0 || triesLeft > tryLimit) {
    throw new PinRecordError('triesLeft', 'PIN record triesLeft must be an integer from 0 to tryLimit');
  }
  if (typeof initial !== 'boolean') {
    throw new PinRecordError('initial', 'PIN record initial must be a boolean');
  }
  if (known !== undefined && isObject(verifier) && verifier.salt === known.salt && verifier.mac === known.mac) return;
  const problem = pinVerifierProblem(verifier);
  if (problem !== undefined) {
    throw new PinRecordError(`verifier${problem.field}`, `PIN record verifier${problem.field} ${problem.message}`);
  }
}

/**
 * A PinStore in memory, for tests and for cards that are never persisted. It keeps a copy of
 * what was saved, so callers cannot change the stored record behind the engine's back.
 */
export class MemoryPinStore implements PinStore {
  #record: PinRecord | undefined;

  constructor(record?: PinRecord) {
    if (record !== undefined) this.#record = validatePinRecord(record);
  }

  load(): PinRecord {
    if (this.#record === undefined) {
      throw new PinRecordError('record', 'no PIN record has been saved');
    }
    return validatePinRecord(this.#record);
  }

  save(record: PinRecord): void {
    this.#record = validatePinRecord(record);
  }
}
