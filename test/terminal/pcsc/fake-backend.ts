import { toHex, type CardEndpoint } from '../../../src/apdu/index.js';
import { parseAtr } from '../../../src/card-sim/index.js';
import type {
  PcscBackend,
  PcscCardHandle,
  PcscCardStatus,
  PcscConnectRequest,
  PcscContext,
  PcscDisposition,
  PcscProtocol,
  PcscReaderChange,
  PcscReaderList,
} from '../../../src/terminal/pcsc/index.js';
import type { InsertedCard, ReaderRig } from './rig.js';

/*
 * PC/SC in memory, for running PcscTransport without pcscd: readers holding cards (any card
 * endpoint, e.g. a SimulatedCard), behaving as pcscd with vpcd readers does in the lab
 * (scripts/pcsc-lab; the same contract suite runs there through both real bindings):
 * - errors are the smartcard binding's own texts ("Card was removed", "Sharing violation", ...),
 *   so they go through the real error table;
 * - the protocol is fixed at the first connect after power-up, from what the ATR offers; a later
 *   connect whose mask lacks it is a protocol mismatch;
 * - a pulled card is noticed by "pcscd" only `noticeMs` later: until then transmits fail with
 *   "Transaction failed" and the reader still shows the card; a command the card held when pulled
 *   "succeeds" with an empty answer (vpcd's behaviour);
 * - a reset by another program makes every other handle fail once with "Card was reset", until it
 *   reconnects with LEAVE_CARD;
 * - a frozen card takes commands and never answers them.
 * Answers come on a later turn of the event loop (setImmediate), as from a real binding.
 */

type AnyCard = CardEndpoint<Uint8Array | Promise<Uint8Array>>;

interface Reader {
  name: string;
  /** The card physically in the reader. */
  card: AnyCard | undefined;
  /** Counts insertions: handles to an earlier card see it as removed. */
  insertion: number;
  /** What "pcscd" reports (lags behind `card` by noticeMs). */
  present: boolean;
  /** Fixed at the first connect after power-up. */
  protocol: PcscProtocol | undefined;
  frozen: boolean;
  /** Commands the card took and has not answered: a pull answers them with 0 bytes. */
  held: Set<(answer: Uint8Array) => void>;
  handles: Set<FakeHandle>;
  watchers: Set<(change: PcscReaderChange) => void>;
  noticeTimer: NodeJS.Timeout | undefined;
}

function later<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(work());
      } catch (error) {
        reject(error);
      }
    });
  });
}

function offered(card: AnyCard): PcscProtocol[] {
  return parseAtr(card.atr)
    .protocols.filter((p) => p === 0 || p === 1)
    .map((p) => (p === 0 ? 'T=0' : 'T=1'));
}

/** One connection (SCARDHANDLE) to the card in a reader. */
class FakeHandle implements PcscCardHandle {
  open = true;
  resetPending = false;
  protocol: PcscProtocol;

  constructor(
    private readonly pcsc: FakePcsc,
    readonly reader: Reader,
    readonly insertion: number,
    readonly request: PcscConnectRequest,
    protocol: PcscProtocol,
  ) {
    this.protocol = protocol;
  }

  atr(): Uint8Array {
    return (this.reader.card?.atr ?? new Uint8Array(0)).slice();
  }

  transmit(command: Uint8Array, maxRecvLength: number): Promise<Uint8Array> {
    return later(() => this.usableCard())
      .then((card) => {
        if (this.reader.frozen) return new Promise<Uint8Array>((resolve) => this.reader.held.add(resolve));
        return new Promise<Uint8Array>((resolve, reject) => {
          const hold = (answer: Uint8Array): void => {
            if (this.reader.held.delete(hold)) resolve(answer);
          };
          this.reader.held.add(hold);
          Promise.resolve(card.transmit(command.slice())).then(
            (answer) => setImmediate(() => hold(answer)),
            (error: unknown) => {
              this.reader.held.delete(hold);
              reject(error);
            },
          );
        });
      })
      .then((answer) => {
        if (answer.length > maxRecvLength) throw new Error('Insufficient buffer');
        return answer;
      });
  }

  reconnect(initialization: PcscDisposition): Promise<void> {
    return later(() => {
      const card = this.usableCard('ignore-reset');
      this.resetPending = false;
      if (initialization !== 'leave') {
        this.pcsc.resetCard(this.reader, initialization === 'unpower' ? 'cold' : 'warm', this);
      } else if (!card.powered) {
        // Another handle powered the card down: pcscd powers it up again for this one.
        card.powerOn();
        this.reader.protocol = undefined;
      }
      this.protocol = this.pcsc.negotiate(this.reader, card, this.request.protocols);
    });
  }

  /** SCardStatus answers from pcscd's view of the reader: a pulled card is gone only once noticed. */
  status(): PcscCardStatus {
    if (!this.open) throw new Error('Invalid handle');
    if (this.insertion !== this.reader.insertion || (this.reader.card === undefined && !this.reader.present)) {
      throw new Error('Card was removed');
    }
    return { atr: this.atr(), protocol: this.protocol };
  }

  disconnect(disposition: PcscDisposition): Promise<void> {
    return later(() => {
      if (!this.open) throw new Error('Invalid handle');
      this.open = false;
      this.reader.handles.delete(this);
      const card = this.reader.card;
      if (card === undefined || this.insertion !== this.reader.insertion || disposition === 'leave') return;
      if (disposition === 'reset') this.pcsc.resetCard(this.reader, 'warm', this);
      else {
        card.powerOff();
        this.pcsc.resetCard(this.reader, undefined, this);
      }
    });
  }

  /** The card behind this handle, or the error pcscd gives for this handle now. */
  private usableCard(reset: 'fail-on-reset' | 'ignore-reset' = 'fail-on-reset'): AnyCard {
    if (!this.open) throw new Error('Invalid handle');
    // A card inserted since is another card: this handle's card was removed.
    if (this.insertion !== this.reader.insertion) throw new Error('Card was removed');
    const card = this.reader.card;
    // Pulled, and pcscd has not noticed yet: the exchange just fails.
    if (card === undefined) throw new Error(this.reader.present ? 'Transaction failed' : 'Card was removed');
    if (this.resetPending && reset === 'fail-on-reset') throw new Error('Card was reset');
    return card;
  }
}

/** A context: readers and watches; its handles live on their readers (they outlast a release, as a leak would). */
class FakeContext implements PcscContext {
  readonly pollMs = 10;
  released = false;
  private readonly stops = new Set<() => void>();

  constructor(private readonly pcsc: FakePcsc) {}

  listReaders(): PcscReaderList {
    this.check();
    return { readers: this.pcsc.readerList().map((r) => ({ name: r.name, cardPresent: r.present })), complete: true };
  }

  connect(name: string, request: PcscConnectRequest): Promise<PcscCardHandle> {
    return later(() => {
      this.check();
      return this.pcsc.connect(name, request);
    });
  }

  watch(name: string, listener: (change: PcscReaderChange) => void): () => void {
    const reader = this.pcsc.reader(name);
    reader.watchers.add(listener);
    const stop = (): void => {
      reader.watchers.delete(listener);
      this.stops.delete(stop);
    };
    this.stops.add(stop);
    return stop;
  }

  release(abandoned: boolean): void {
    this.check();
    this.released = true;
    for (const stop of [...this.stops]) stop();
    this.pcsc.released(this, abandoned);
  }

  private check(): void {
    if (this.released) throw new Error('Invalid handle');
  }
}

export interface FakePcscOptions {
  /** Reader names, in listing order. Default 'Fake Reader 00' and 'Fake Reader 01'. */
  readers?: readonly string[];
  /** How long "pcscd" takes to notice a card inserted or pulled. Default 100 ms. */
  noticeMs?: number;
  /** false: establish() fails as when pcscd is not running. */
  service?: boolean;
}

/** The fake PC/SC service; pass it as `backend` to PcscTransport.connect(). */
export class FakePcsc implements PcscBackend {
  readonly label = 'fake';
  service: boolean;
  /** Contexts released while exchanges were still under way (PcscContext.release(true)). */
  abandonedContexts = 0;
  private readonly readers = new Map<string, Reader>();
  private readonly contexts = new Set<FakeContext>();
  private readonly noticeMs: number;

  constructor(opts: FakePcscOptions = {}) {
    this.noticeMs = opts.noticeMs ?? 100;
    this.service = opts.service ?? true;
    for (const name of opts.readers ?? ['Fake Reader 00', 'Fake Reader 01']) {
      this.readers.set(name, {
        name,
        card: undefined,
        insertion: 0,
        present: false,
        protocol: undefined,
        frozen: false,
        held: new Set(),
        handles: new Set(),
        watchers: new Set(),
        noticeTimer: undefined,
      });
    }
  }

  establish(): Promise<PcscContext> {
    return later(() => {
      if (!this.service) throw new Error('PC/SC service not running');
      const context = new FakeContext(this);
      this.contexts.add(context);
      return context;
    });
  }

  /** Puts `card` into the reader (powered off, as a card fresh in a reader); pcscd sees it noticeMs later. */
  insert(name: string, card: AnyCard): void {
    const reader = this.reader(name);
    if (reader.card !== undefined) throw new Error(`a card is already in '${name}'`);
    if (card.powered) card.powerOff();
    reader.card = card;
    reader.insertion++;
    reader.protocol = undefined;
    reader.frozen = false;
    this.notice(reader, () => {
      reader.present = true;
      for (const w of [...reader.watchers]) w({ type: 'card-present', atr: card.atr.slice() });
    });
  }

  /** Pulls the card out; a command it held "succeeds" with 0 bytes; pcscd sees the reader empty noticeMs later. */
  pull(name: string): void {
    const reader = this.reader(name);
    const card = reader.card;
    if (card === undefined) return;
    reader.card = undefined;
    if (card.powered) card.powerOff();
    for (const answer of [...reader.held]) answer(new Uint8Array(0));
    reader.held.clear();
    this.notice(reader, () => {
      reader.present = false;
      for (const w of [...reader.watchers]) w({ type: 'card-removed' });
    });
  }

  /** Resolves once pcscd shows the reader empty (or holding a card). */
  async settled(name: string): Promise<void> {
    const reader = this.reader(name);
    while (reader.noticeTimer !== undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** From now on the card takes commands and never answers them (until pulled). */
  freeze(name: string): void {
    this.reader(name).frozen = true;
  }

  /** Another program connects, resets the card and leaves; every open handle then fails once with "Card was reset". */
  resetByAnotherProgram(name: string): Uint8Array {
    const reader = this.reader(name);
    const card = reader.card;
    if (card === undefined || !reader.present) throw new Error(`no card in '${name}' to reset`);
    this.resetCard(reader, 'warm', undefined);
    return card.atr.slice();
  }

  /** Connections still open, over all readers. */
  openHandles(): number {
    let n = 0;
    for (const r of this.readers.values()) n += r.handles.size;
    return n;
  }

  /** Contexts established and not released. */
  openContexts(): number {
    return this.contexts.size;
  }

  /** Pulls every card and lets pcscd notice at once; forgets handles and contexts left open (between tests). */
  ejectAll(): void {
    this.contexts.clear();
    for (const reader of this.readers.values()) {
      for (const h of reader.handles) h.open = false;
      reader.handles.clear();
      reader.watchers.clear();
      this.pull(reader.name);
      if (reader.noticeTimer !== undefined) {
        clearTimeout(reader.noticeTimer);
        reader.noticeTimer = undefined;
      }
      reader.present = false;
    }
  }

  // What the fake's contexts and handles call.

  reader(name: string): Reader {
    const reader = this.readers.get(name);
    if (reader === undefined) throw new Error('Unknown reader');
    return reader;
  }

  readerList(): Reader[] {
    return [...this.readers.values()];
  }

  connect(name: string, request: PcscConnectRequest): FakeHandle {
    const reader = this.reader(name);
    const card = reader.card;
    if (card === undefined || !reader.present) throw new Error('No smart card present');
    const exclusive = [...reader.handles].some((h) => h.request.share === 'exclusive');
    if (exclusive || (request.share === 'exclusive' && reader.handles.size > 0)) throw new Error('Sharing violation');
    if (!card.powered) {
      card.powerOn();
      reader.protocol = undefined;
    }
    const handle = new FakeHandle(
      this,
      reader,
      reader.insertion,
      request,
      this.negotiate(reader, card, request.protocols),
    );
    reader.handles.add(handle);
    return handle;
  }

  /** The protocol of the card: fixed at the first connect after power-up; a mask without it is a mismatch. */
  negotiate(reader: Reader, card: AnyCard, mask: readonly PcscProtocol[]): PcscProtocol {
    reader.protocol ??= offered(card).find((p) => mask.includes(p));
    if (reader.protocol === undefined || !mask.includes(reader.protocol)) throw new Error('Protocol mismatch');
    return reader.protocol;
  }

  /** Resets (or, with no kind, just powered off) the card in `reader`: every handle but `by` must acknowledge it. */
  resetCard(reader: Reader, kind: 'warm' | 'cold' | undefined, by: FakeHandle | undefined): void {
    const card = reader.card;
    if (card === undefined) return;
    if (kind !== undefined) card.reset(kind);
    reader.protocol = kind === 'cold' || kind === undefined ? undefined : reader.protocol;
    for (const h of reader.handles) if (h !== by) h.resetPending = true;
  }

  released(context: FakeContext, abandoned: boolean): void {
    this.contexts.delete(context);
    if (abandoned) this.abandonedContexts++;
  }

  private notice(reader: Reader, done: () => void): void {
    if (reader.noticeTimer !== undefined) clearTimeout(reader.noticeTimer);
    reader.noticeTimer = setTimeout(() => {
      reader.noticeTimer = undefined;
      done();
    }, this.noticeMs);
  }
}

/**
 * The contract suite's reader on a FakePcsc. After each test it checks that the transports the
 * suite closed left no card handle or context open behind them.
 */
export function fakeReaderRig(pcsc: FakePcsc, reader = 'Fake Reader 00'): ReaderRig {
  const inserted = async (): Promise<InsertedCard> => ({
    pull: async () => pcsc.pull(reader),
    remove: async () => {
      pcsc.pull(reader);
      await pcsc.settled(reader);
    },
  });
  return {
    kind: 'an in-memory PC/SC reader',
    available: () => true,
    setUp: async () => undefined,
    async afterEach() {
      const left = { handles: pcsc.openHandles(), contexts: pcsc.openContexts() };
      pcsc.ejectAll();
      if (left.handles !== 0 || left.contexts !== 0) {
        throw new Error(
          `the closed transports left ${left.handles} card handle(s) and ${left.contexts} context(s) open`,
        );
      }
    },
    tearDown: () => undefined,
    reader,
    async insert(card) {
      pcsc.insert(reader, card);
      await pcsc.settled(reader);
      return inserted();
    },
    async insertKillable(card) {
      pcsc.insert(reader, card);
      await pcsc.settled(reader);
      return { freeze: () => pcsc.freeze(reader), kill: () => pcsc.pull(reader) };
    },
    resetByAnotherProgram: async () => toHex(pcsc.resetByAnotherProgram(reader)),
  };
}
