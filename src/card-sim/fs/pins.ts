import {
  Pin,
  definePinPolicy,
  isSealedPinPolicy,
  sealPinPolicy,
  validateSealedPinPolicy,
  type PinPolicy,
  type PinRecord,
  type PinStore,
  type SealedPinPolicy,
} from '../../pin/index.js';
import { CardTreeError } from '../errors.js';

/**
 * How the PIN travels in VERIFY: 'bcd' = BCD digits F-padded (SSSE, `00 20 00 00 03 123456`),
 * 'iso9564-format2' = the 8-byte ISO 9564 format-2 plaintext block (bank, `00 20 00 80 08 26123456FFFFFFFF`).
 */
export type PinFormat = 'bcd' | 'iso9564-format2';

export interface CardPinOptions {
  /** Name used by access conditions ('app', 'bank'); unique within its DF. */
  id: string;
  /** P2 of VERIFY / CHANGE PIN that designates this PIN; default 0x00. Unique within its DF. */
  reference?: number;
  format?: PinFormat;
  /**
   * Policy or a partial one (filled from DEFAULT_PIN_POLICY), or a sealed policy (restoring a card
   * image: the initial PIN only as a verifier; then `record` or `initialPin` is needed).
   */
  policy?: Partial<PinPolicy> | SealedPinPolicy;
  /** PIN the card is personalized with; default policy.initialPin. Never stored in clear. */
  initialPin?: string;
  /** A saved record (restoring a card image) instead of a fresh personalization. */
  record?: PinRecord;
}

/**
 * The PinStore of one card PIN: the record lives in card memory; every save is made durable
 * through the owning tree (the card's persistence hook) before `save` returns, so a try spent by
 * `Pin.verify` is on disk before the comparison. If persisting throws, `save` throws and the PIN
 * engine stops before comparing.
 */
class CardPinStore implements PinStore {
  #record: PinRecord | undefined;
  #persist: (triesLeft?: number) => void;

  constructor(persist: (triesLeft?: number) => void, record?: PinRecord) {
    this.#persist = persist;
    this.#record = record === undefined ? undefined : clonePinRecord(record);
  }

  load(): PinRecord {
    if (this.#record === undefined) throw new CardTreeError('PIN record read before it was written');
    return clonePinRecord(this.#record);
  }

  /** The record itself: every save below stores a new object, none is changed in place. */
  borrow(): Readonly<PinRecord> {
    if (this.#record === undefined) throw new CardTreeError('PIN record read before it was written');
    return this.#record;
  }

  save(record: PinRecord): void {
    this.#record = clonePinRecord(record);
    this.#persist();
  }

  saveTriesLeft(triesLeft: number): Readonly<PinRecord> {
    const r = this.#record;
    if (r === undefined) throw new CardTreeError('PIN record written before it was personalized');
    // A new record object, not an edit in place (a record being persisted must not change under
    // the hook, and borrow() lends the record out); spelt out, as a spread is slower here.
    const record = { tryLimit: r.tryLimit, triesLeft, initial: r.initial, verifier: r.verifier };
    this.#record = record;
    this.#persist(triesLeft);
    return record;
  }

  /** Replaces the record without persisting (rolling back to the last persisted state). */
  replaceSilently(record: PinRecord): void {
    this.#record = clonePinRecord(record);
  }
}

/** Deep copy of a PIN record (records are plain JSON data). */
export function clonePinRecord(r: PinRecord): PinRecord {
  return {
    tryLimit: r.tryLimit,
    triesLeft: r.triesLeft,
    initial: r.initial,
    verifier: { salt: r.verifier.salt, mac: r.verifier.mac },
  };
}

/**
 * A PIN owned by a DF: the PIN engine's `Pin` over a store whose saves go to the card's
 * persistence hook. `pin` is the engine object (verify/change/reload/unblock/status).
 */
export class CardPin {
  readonly id: string;
  readonly reference: number;
  readonly format: PinFormat;
  /**
   * The policy as the card keeps it: sealed, i.e. the initial PIN only as a salted verifier
   * (computed once, when the PIN is created), so neither card memory nor an exported state holds
   * it in clear after personalization.
   */
  readonly policy: SealedPinPolicy;
  #store: CardPinStore;
  #pin: Pin;

  /**
   * `persist` is called on every record save; it is the owning tree's durable-change notifier,
   * given the new counter when the counter alone changed.
   */
  constructor(options: CardPinOptions, persist: (triesLeft?: number) => void) {
    const { id } = options;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
      throw new CardTreeError(`PIN id must be 1..32 letters, digits, '_' or '-', got ${JSON.stringify(id)}`);
    }
    const reference = options.reference ?? 0;
    if (!Number.isInteger(reference) || reference < 0 || reference > 0xff) {
      throw new CardTreeError(`PIN ${id}: reference must be an integer 0..255, got ${String(reference)}`);
    }
    const format = options.format ?? 'bcd';
    if (format !== 'bcd' && format !== 'iso9564-format2') {
      throw new CardTreeError(`PIN ${id}: format must be 'bcd' or 'iso9564-format2', got ${String(format)}`);
    }
    this.id = id;
    this.reference = reference;
    this.format = format;
    let clear: PinPolicy | undefined;
    let sealed: SealedPinPolicy | undefined;
    try {
      if (options.policy !== undefined && isSealedPinPolicy(options.policy as SealedPinPolicy)) {
        sealed = validateSealedPinPolicy(options.policy);
      } else {
        clear = definePinPolicy(options.policy as Partial<PinPolicy> | undefined);
        // A record to restore goes with a sealed policy made now; a fresh PIN is sealed below,
        // with its record, by the engine (one salted MAC for both when it is the initial PIN).
        if (options.record !== undefined) sealed = sealPinPolicy(clear);
      }
    } catch (err) {
      throw new CardTreeError(`PIN ${id}: invalid policy: ${(err as Error).message}`, { cause: err });
    }
    const personalizeWith = options.initialPin ?? clear?.initialPin;
    // While the PIN is being personalized the tree is not attached to a card yet: persisting is
    // a no-op until then (the tree's notifier decides).
    this.#store = new CardPinStore(persist, options.record);
    if (options.record !== undefined) {
      try {
        this.#pin = new Pin(sealed as SealedPinPolicy, this.#store);
      } catch (err) {
        throw new CardTreeError(`PIN ${id}: bad record: ${(err as Error).message}`, { cause: err });
      }
    } else {
      if (personalizeWith === undefined) {
        throw new CardTreeError(`PIN ${id}: a sealed policy needs a record or the PIN to personalize with`);
      }
      try {
        this.#pin =
          clear === undefined
            ? Pin.create(sealed as SealedPinPolicy, this.#store, personalizeWith)
            : Pin.createSealed(clear, this.#store, personalizeWith);
      } catch (err) {
        throw new CardTreeError(`PIN ${id}: cannot personalize: ${(err as Error).message}`, { cause: err });
      }
    }
    this.policy = this.#pin.policy as SealedPinPolicy;
  }

  /** The PIN engine object (status, verify, change, reload, unblock, clearVerified). */
  get pin(): Pin {
    return this.#pin;
  }

  /** A copy of the stored record (salted verifier, counter); never the PIN itself. */
  record(): PinRecord {
    return this.#store.load();
  }

  /**
   * Puts a previously persisted record back without persisting it again, and re-opens the
   * engine over it (the verified state is gone, as after a power loss).
   */
  restoreSilently(record: PinRecord): void {
    this.#store.replaceSilently(record);
    this.#pin = new Pin(this.policy, this.#store);
  }
}
