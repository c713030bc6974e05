import { SscardError, type CardEndpoint } from '../apdu/index.js';
import { raceAbort, throwIfAborted } from './abort.js';
import { CardRemovedError, ChannelClosedError, InvalidArgumentError, TimeoutError, TransportError } from './errors.js';
import { ListenerSet } from './listener-set.js';

/*
 * The seam between the terminal SDK and whatever carries APDU bytes to a card: a card in memory,
 * a PC/SC reader, ... Everything above it (T=0 GET RESPONSE handling, serialization, timeouts,
 * tracing, status-word errors) lives once in the channel layer, not in transports.
 */

export type CardEvent = { type: 'inserted' | 'removed' | 'reset'; atr?: Uint8Array };

export interface Transport {
  readonly name: string;
  atr(): Uint8Array;
  transmit(command: Uint8Array, opts?: { timeoutMs?: number }): Promise<Uint8Array>;
  /**
   * Optional: the same exchange as `transmit`, answered with the bytes themselves when the card
   * answers at once (a card in memory), else with a promise. A channel then needs no timer for a
   * synchronous answer: nothing can time out while the event loop is held. Failures are the same
   * typed errors as `transmit`'s, thrown (or, for a deferred answer, rejected).
   */
  transmitDirect?(command: Uint8Array): Uint8Array | Promise<Uint8Array>;
  reset(kind: 'warm' | 'cold'): Promise<Uint8Array>;
  close(): Promise<void>;
  /** Returns a function that unsubscribes the listener. */
  onEvent(listener: (e: CardEvent) => void): () => void;
  readonly protocol: 'T=0' | 'T=1';
}

/**
 * The card the in-memory transport holds: the apdu layer's endpoint shape (so the terminal never
 * depends on the simulator), with a `transmit` that may answer asynchronously.
 */
export type MemoryCard = CardEndpoint<Uint8Array | Promise<Uint8Array>>;

/** A bare responder: C-APDU bytes in, R-APDU bytes out (possibly later, possibly never). */
export type ApduResponder = (command: Uint8Array) => Uint8Array | Promise<Uint8Array>;

export interface MemoryTransportOptions {
  /** Shown in traces; default 'memory'. */
  name?: string;
  /** Default: the first protocol the ATR offers (T=0 when it names none). */
  protocol?: 'T=0' | 'T=1';
  /** ATR of a bare responder; default 3B 00 (TS, T0 with no interface or historical bytes). */
  atr?: Uint8Array;
}

const DEFAULT_RESPONDER_ATR = Uint8Array.of(0x3b, 0x00);

/**
 * The protocol an ATR offers first: TD1's low nibble, if TD1 is present (ISO 7816-3 §8.2.3);
 * otherwise T=0. Only T=0 and T=1 are told apart; any other protocol number reads as T=0.
 */
export function protocolFromAtr(atr: Uint8Array): 'T=0' | 'T=1' {
  if (atr.length < 2) return 'T=0';
  const t0 = atr[1] as number;
  // TA1, TB1, TC1 present per bits 5..7 of T0; TD1 per bit 8.
  if ((t0 & 0x80) === 0) return 'T=0';
  let off = 2;
  for (const bit of [0x10, 0x20, 0x40]) if ((t0 & bit) !== 0) off++;
  const td1 = atr[off];
  if (td1 === undefined) return 'T=0';
  return (td1 & 0x0f) === 1 ? 'T=1' : 'T=0';
}

function isEndpoint(card: MemoryCard | ApduResponder): card is MemoryCard {
  return typeof card === 'object' && card !== null && typeof (card as MemoryCard).transmit === 'function';
}

/**
 * Adapts a bare responder to the endpoint shape: it has a fixed ATR and a power flag, nothing else.
 * Not in the barrel: the SDK's own tests build their scripted cards on it.
 */
export class ResponderEndpoint implements MemoryCard {
  powered = true;

  constructor(
    private readonly responder: ApduResponder,
    readonly atr: Uint8Array,
  ) {}

  powerOn(): Uint8Array {
    this.powered = true;
    return this.atr;
  }

  powerOff(): void {
    this.powered = false;
  }

  reset(): Uint8Array {
    this.powered = true;
    return this.atr;
  }

  transmit(command: Uint8Array): Uint8Array | Promise<Uint8Array> {
    return this.responder(command);
  }
}

interface Pending {
  reject(error: unknown): void;
}

/**
 * A reader with a card in memory. It powers the card when constructed (as a reader does when a
 * program connects), can simulate pulling the card out (`remove()`: exchanges in flight and
 * later ones fail with CardRemovedError) and putting one in (`insert()`).
 * Timeouts are the channel's business: `opts.timeoutMs` is accepted and not needed here.
 */
export class MemoryTransport implements Transport {
  readonly name: string;
  readonly protocol: 'T=0' | 'T=1';
  private card: MemoryCard | undefined;
  private closed = false;
  private readonly listeners = new ListenerSet<CardEvent>();
  private readonly pending = new Set<Pending>();
  private readonly responderAtr: Uint8Array;

  constructor(card: MemoryCard | ApduResponder, opts: MemoryTransportOptions = {}) {
    this.name = opts.name ?? 'memory';
    this.responderAtr = opts.atr ?? DEFAULT_RESPONDER_ATR;
    this.card = this.adopt(card);
    this.protocol = opts.protocol ?? protocolFromAtr(this.card.atr);
  }

  /** Whether a card is in the reader. */
  get present(): boolean {
    return this.card !== undefined;
  }

  atr(): Uint8Array {
    this.checkOpen();
    return this.presentCard().atr.slice();
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    try {
      const answer = this.transmitDirect(command);
      return answer instanceof Uint8Array ? Promise.resolve(answer) : answer;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** The card's answer itself when it answers at once; a promise when the card defers it. */
  transmitDirect(command: Uint8Array): Uint8Array | Promise<Uint8Array> {
    if (this.closed) throw new ChannelClosedError('transport is closed');
    const card = this.card;
    if (card === undefined) throw new CardRemovedError('no card in the reader');
    if (!card.powered) throw new TransportError('card is not powered; reset it first');
    let answer: Uint8Array | Promise<Uint8Array>;
    try {
      // The card gets its own copy: a misbehaving card cannot alter the caller's buffer.
      answer = card.transmit(command.slice());
    } catch (error) {
      throw wrapCardFailure(error);
    }
    // Nothing can remove the card while this call holds the event loop: a synchronous answer
    // stands as it is.
    if (answer instanceof Uint8Array) return answer;
    return new Promise<Uint8Array>((resolve, reject) => {
      const entry: Pending = { reject };
      this.pending.add(entry);
      const settle = (fn: () => void): void => {
        // After remove() the entry is gone and the card's late answer is dropped.
        if (!this.pending.delete(entry)) return;
        fn();
      };
      Promise.resolve(answer).then(
        (bytes) => settle(() => resolve(bytes)),
        (error: unknown) => settle(() => reject(wrapCardFailure(error))),
      );
    });
  }

  async reset(kind: 'warm' | 'cold'): Promise<Uint8Array> {
    this.checkOpen();
    const card = this.presentCard();
    let atr: Uint8Array;
    try {
      atr = card.reset(kind);
    } catch (error) {
      throw wrapCardFailure(error);
    }
    this.listeners.emit({ type: 'reset', atr: atr.slice() });
    return atr.slice();
  }

  /** Powers the card off (ending its security state); later calls fail with ChannelClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failPending(new ChannelClosedError('transport closed during the exchange'));
    for (const closed of [...this.closeWaiters]) closed();
    try {
      if (this.card?.powered === true) this.card.powerOff();
    } catch (error) {
      throw wrapCardFailure(error);
    }
    this.listeners.clear();
  }

  onEvent(listener: (e: CardEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Simulates pulling the card: it loses power, pending exchanges fail with CardRemovedError. */
  remove(): void {
    const card = this.card;
    if (card === undefined) return;
    this.card = undefined;
    this.failPending(new CardRemovedError('card removed during the exchange'));
    try {
      if (card.powered) card.powerOff();
    } finally {
      this.listeners.emit({ type: 'removed' });
    }
  }

  /**
   * Simulates inserting a card (the one removed before, when `card` is omitted): it is powered
   * on and an 'inserted' event carries its ATR. Inserting while a card is present is an error.
   */
  insert(card?: MemoryCard | ApduResponder): Uint8Array {
    this.checkOpen();
    if (this.card !== undefined) throw new TransportError('a card is already in the reader');
    const next = card ?? this.lastCard;
    if (next === undefined) throw new TransportError('no card to insert');
    this.card = this.adopt(next);
    const atr = this.card.atr.slice();
    this.listeners.emit({ type: 'inserted', atr });
    return atr.slice();
  }

  /**
   * Resolves with the ATR once a card is in the reader: at once when one is, else at the next
   * insert(). `signal` abandons the wait (AbortError), `timeoutMs` bounds it (TimeoutError);
   * closing the transport ends it with ChannelClosedError.
   */
  async waitForCard(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Uint8Array> {
    this.checkOpen();
    const { timeoutMs } = opts;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      throw new InvalidArgumentError(`timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
    }
    throwIfAborted(opts.signal, 'waiting for a card');
    if (this.card !== undefined) return this.card.atr.slice();
    let stop = (): void => {};
    const inserted = new Promise<Uint8Array>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => reject(new TimeoutError(timeoutMs, 'waiting for a card')), timeoutMs);
      const off = this.onEvent((e) => {
        if (e.type === 'inserted') resolve(this.card?.atr.slice() ?? e.atr ?? new Uint8Array(0));
      });
      const closed = (): void => reject(new ChannelClosedError('transport closed while waiting for a card'));
      this.closeWaiters.add(closed);
      stop = () => {
        clearTimeout(timer);
        off();
        this.closeWaiters.delete(closed);
      };
    });
    try {
      return await raceAbort(inserted, opts.signal, 'waiting for a card');
    } finally {
      stop();
    }
  }

  /** Waits of waitForCard, failed when the transport closes. */
  private readonly closeWaiters = new Set<() => void>();

  private lastCard: MemoryCard | undefined;

  private adopt(card: MemoryCard | ApduResponder): MemoryCard {
    const endpoint = isEndpoint(card) ? card : new ResponderEndpoint(card, this.responderAtr);
    try {
      if (!endpoint.powered) endpoint.powerOn();
    } catch (error) {
      throw wrapCardFailure(error);
    }
    this.lastCard = endpoint;
    return endpoint;
  }

  private presentCard(): MemoryCard {
    if (this.card === undefined) throw new CardRemovedError('no card in the reader');
    return this.card;
  }

  private checkOpen(): void {
    if (this.closed) throw new ChannelClosedError('transport is closed');
  }

  private failPending(error: SscardError): void {
    const entries = [...this.pending];
    this.pending.clear();
    for (const entry of entries) entry.reject(error);
  }
}

/** Keeps typed errors as they are; anything else a card implementation throws becomes a TransportError. */
function wrapCardFailure(error: unknown): SscardError {
  if (error instanceof SscardError) return error;
  return new TransportError('card endpoint failed', { cause: error });
}
