import { MemoryPinStore } from '../../src/pin/index.js';
import type { PinRecord, PinStore } from '../../src/pin/index.js';

/** What a store throws when the card is "pulled" during a save: the save did not happen. */
export class TearError extends Error {
  constructor() {
    super('card torn during save');
    this.name = 'TearError';
  }
}

/**
 * A real in-memory store with a tear switch. Once armed, the save that comes after `skip` more
 * successful saves throws TearError; with `durable` the record is written first (power lost just
 * after the write), without it nothing is stored (power lost during the write). The switch then
 * disarms itself.
 */
export class TearableStore implements PinStore {
  readonly inner = new MemoryPinStore();
  saves = 0;
  #tearAfter: number | undefined;
  #tearDurable = false;

  load(): PinRecord {
    return this.inner.load();
  }

  save(record: PinRecord): void {
    if (this.#tearAfter !== undefined) {
      if (this.#tearAfter === 0) {
        this.#tearAfter = undefined;
        if (this.#tearDurable) {
          this.inner.save(record);
          this.saves += 1;
        }
        throw new TearError();
      }
      this.#tearAfter -= 1;
    }
    this.inner.save(record);
    this.saves += 1;
  }

  armTear(skip = 0, durable = false): void {
    this.#tearAfter = skip;
    this.#tearDurable = durable;
  }

  disarm(): void {
    this.#tearAfter = undefined;
  }

  get armed(): boolean {
    return this.#tearAfter !== undefined;
  }

  /** The durable record as it stands, read without the engine. */
  peek(): PinRecord {
    return this.inner.load();
  }
}

/**
 * A TearableStore that, as the card's own store does, takes counter saves (saveTriesLeft) and lends
 * its record (borrow) instead of copying it: the engine's other load and save path. Every save
 * stores a new object; the tear switch works on both kinds of save.
 */
export class LendingTearableStore extends TearableStore {
  #lent: PinRecord | undefined;
  #lentAt = -1;

  saveTriesLeft(triesLeft: number): void {
    const record = this.borrow();
    this.save({ ...record, verifier: { ...record.verifier }, triesLeft });
  }

  borrow(): Readonly<PinRecord> {
    if (this.#lent === undefined || this.#lentAt !== this.saves) {
      this.#lent = this.inner.load();
      this.#lentAt = this.saves;
    }
    return this.#lent;
  }
}

export function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
