import type { SscardError } from '../../apdu/index.js';
import { CardRemovedError, CardResetError, ChannelClosedError } from '../errors.js';
import type { CardEvent, Transport } from '../transport.js';
import { loadPcsclite, type PlCardReader, type PlPcsc } from './binding.js';
import { pcscErrorToSdk } from './error-table.js';
import { NoCardError, PcscTransportError, ReaderNotFoundError } from './errors.js';
import {
  CardEventHub,
  resolvePcscOptions,
  shortAnswerError,
  sleep,
  type PcscProtocol,
  type PcscTransportOptions,
  type ResolvedPcscOptions,
} from './options.js';
import { dispositionCode, protocolMask } from './smartcard-transport.js';

/*
 * The same seam on the `pcsclite` binding (NAN, Node callbacks + EventEmitter). Its quirks, and
 * what this adapter does about them:
 * - pcsc() starts a thread for the reader list and every CardReader one for its status; the
 *   process never exits until each CardReader is close()d and pcsc.close() is called: close()
 *   does both, for every reader ever announced (also those announced after connect).
 * - Closing a CardReader emits 'error' ("Command cancelled"), and an EventEmitter 'error' without
 *   a listener throws: every reader gets an error listener at once.
 * - There is no SCardReconnect and no SCardStatus: a reset is disconnect(RESET/UNPOWER) +
 *   connect, and the ATR is the one pcscd last announced in the reader's status.
 * - connect() on a reader whose `connected` flag is still set calls back with no error and no
 *   protocol (it does nothing), so a reconnect always disconnects first.
 * - The default share mode of connect() is EXCLUSIVE; it is always given explicitly here.
 * - The binding holds a per-reader mutex during SCardTransmit, and its status callback takes the
 *   same mutex on the JavaScript thread: a status change delivered while a transmit is under way
 *   makes the event loop wait for that transmit. With a card simulated in this very process (which
 *   answers from the event loop) that would be a deadlock; it did not happen in the lab, where
 *   pcscd's status changes (other programs connecting, resetting) arrived between transmits, but
 *   nothing rules it out. SmartcardTransport has no such lock: prefer it.
 */

/** How long connect() waits for pcsclite to announce readers (it lists them on a thread). */
const READER_ANNOUNCE_MS = 3000;
/** Bound on the binding's asynchronous connect/disconnect callbacks. */
const CALL_TIMEOUT_MS = 10_000;

interface ReaderSlot {
  reader: PlCardReader;
  /** Last status from the binding; undefined until the first one arrives. */
  state: number | undefined;
  atr: Uint8Array | undefined;
}

function withTimeout<T>(what: string, start: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new PcscTransportError(`${what}: no answer from the pcsclite binding within ${CALL_TIMEOUT_MS} ms`, 'timeout', undefined)), CALL_TIMEOUT_MS);
    try {
      start((err, value) => {
        clearTimeout(timer);
        if (err !== undefined && err !== null) reject(err);
        else resolve(value as T);
      });
    } catch (error) {
      clearTimeout(timer);
      reject(error);
    }
  });
}

/** PC/SC transport on `pcsclite`. Create it with `PcscliteTransport.connect()`. */
export class PcscliteTransport implements Transport {
  readonly name: string;
  readonly reader: string;
  private readonly pcsc: PlPcsc;
  private readonly slots: Map<string, ReaderSlot>;
  private readonly slot: ReaderSlot;
  private readonly options: ResolvedPcscOptions;
  private readonly events = new CardEventHub();
  private protocolCode: number;
  private removed = false;
  private closed = false;
  private readonly busy = new Set<Promise<unknown>>();

  private constructor(init: {
    pcsc: PlPcsc; slots: Map<string, ReaderSlot>; slot: ReaderSlot; protocolCode: number; options: ResolvedPcscOptions;
  }) {
    this.pcsc = init.pcsc;
    this.slots = init.slots;
    this.slot = init.slot;
    this.reader = init.slot.reader.name;
    this.protocolCode = init.protocolCode;
    this.options = init.options;
    this.name = init.options.name ?? `pcsclite:${this.reader}`;
  }

  /** Connects to the card in a reader; fails like SmartcardTransport.connect(). */
  static async connect(opts: PcscTransportOptions = {}): Promise<PcscliteTransport> {
    const options = resolvePcscOptions(opts);
    const factory = await loadPcsclite();
    let pcsc: PlPcsc;
    try {
      pcsc = factory();
    } catch (error) {
      throw pcscErrorToSdk(error, { operation: 'establish a PC/SC context' });
    }
    const slots = new Map<string, ReaderSlot>();
    let listError: unknown;
    let transport: PcscliteTransport | undefined;
    pcsc.on('error', (error) => {
      listError = error;
    });
    pcsc.on('reader', (reader) => {
      const slot: ReaderSlot = { reader, state: undefined, atr: undefined };
      slots.set(reader.name, slot);
      // Closing a reader makes it emit 'error' (Command cancelled); unhandled, that would throw.
      reader.on('error', () => {});
      reader.on('status', (status) => {
        slot.state = status.state;
        if (status.atr !== undefined && status.atr.length > 0) slot.atr = new Uint8Array(status.atr);
        transport?.onStatus(slot);
      });
      reader.on('end', () => {
        slots.delete(reader.name);
        transport?.onReaderGone(reader.name);
      });
    });
    try {
      const slot = await PcscliteTransport.findReader(slots, options, () => listError);
      const protocolCode = await PcscliteTransport.open(slot.reader, options);
      transport = new PcscliteTransport({ pcsc, slots, slot, protocolCode, options });
      return transport;
    } catch (error) {
      PcscliteTransport.release(pcsc, slots);
      throw pcscErrorToSdk(error, { operation: 'connect', ...(options.reader === undefined ? {} : { reader: options.reader }) });
    }
  }

  private static present(slot: ReaderSlot): boolean {
    return slot.state !== undefined && (slot.state & slot.reader.SCARD_STATE_PRESENT) !== 0;
  }

  private static async findReader(slots: Map<string, ReaderSlot>, options: ResolvedPcscOptions, listError: () => unknown): Promise<ReaderSlot> {
    const start = performance.now();
    const cardDeadline = start + options.waitForCardMs;
    for (;;) {
      const error = listError();
      if (error !== undefined) throw error;
      const now = performance.now();
      // The binding announces all readers at once, then reads each one's first status.
      const listed = (slots.size > 0 && [...slots.values()].every((s) => s.state !== undefined)) || now - start >= READER_ANNOUNCE_MS;
      const slot = options.reader !== undefined
        ? slots.get(options.reader)
        : [...slots.values()].find((s) => PcscliteTransport.present(s));
      if (slot !== undefined && PcscliteTransport.present(slot)) return slot;
      if (listed) {
        if (options.reader !== undefined && slot === undefined) {
          const names = [...slots.keys()];
          throw new ReaderNotFoundError(`no reader named '${options.reader}' (readers: ${names.length === 0 ? 'none' : names.map((n) => `'${n}'`).join(', ')})`, {
            reader: options.reader,
            available: names,
          });
        }
        if (slots.size === 0) throw new ReaderNotFoundError('pcscd lists no reader');
        if (now >= cardDeadline) {
          const where = options.reader === undefined ? 'in any reader' : `in reader '${options.reader}'`;
          throw new NoCardError(`no card ${where}${options.waitForCardMs > 0 ? ` within ${options.waitForCardMs} ms` : ''}`, options.reader === undefined ? {} : { reader: options.reader });
        }
      }
      await sleep(20);
    }
  }

  private static async open(reader: PlCardReader, options: ResolvedPcscOptions): Promise<number> {
    const share = options.exclusive ? reader.SCARD_SHARE_EXCLUSIVE : reader.SCARD_SHARE_SHARED;
    const protocol = await withTimeout<number>(`connect to '${reader.name}'`, (done) =>
      reader.connect({ share_mode: share, protocol: protocolMask(reader, options.protocols) }, done),
    );
    if (protocol !== reader.SCARD_PROTOCOL_T0 && protocol !== reader.SCARD_PROTOCOL_T1) {
      throw new PcscTransportError(`the card in '${reader.name}' runs protocol ${String(protocol)}, neither T=0 nor T=1`, 'unsupported-protocol', undefined);
    }
    return protocol;
  }

  /** Closes every reader the binding announced, then the binding itself (or the process cannot exit). */
  private static release(pcsc: PlPcsc, slots: Map<string, ReaderSlot>): void {
    for (const slot of slots.values()) {
      try {
        slot.reader.close();
      } catch {
        // Already closed.
      }
    }
    pcsc.removeAllListeners('reader');
    // Readers announced after this point are closed as they come.
    pcsc.on('reader', (reader) => {
      reader.on('error', () => {});
      try {
        reader.close();
      } catch {
        // Already closed.
      }
    });
    try {
      pcsc.close();
    } catch {
      // Already closed.
    }
  }

  get protocol(): PcscProtocol {
    return this.protocolCode === this.slot.reader.SCARD_PROTOCOL_T0 ? 'T=0' : 'T=1';
  }

  get cardRemoved(): boolean {
    return this.removed;
  }

  atr(): Uint8Array {
    this.checkOpen();
    if (this.removed) throw this.removedError();
    return (this.slot.atr ?? new Uint8Array(0)).slice();
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    return this.track(this.doTransmit(command));
  }

  private async doTransmit(command: Uint8Array): Promise<Uint8Array> {
    this.checkOpen();
    if (this.removed) throw this.removedError();
    const reader = this.slot.reader;
    let response: Buffer;
    try {
      response = await new Promise<Buffer>((resolve, reject) => {
        reader.transmit(Buffer.from(command), this.options.maxRecvLength, this.protocolCode, (err, data) => {
          if (err !== undefined && err !== null) reject(err);
          else resolve(data);
        });
      });
    } catch (error) {
      throw await this.failure(error, 'transmit');
    }
    if (this.closed) throw new ChannelClosedError('transport closed during the exchange');
    if (response.length < 2) {
      throw await shortAnswerError(response.length, this.reader, this.options.removalProbeMs, () => this.removed);
    }
    return new Uint8Array(response);
  }

  /** Disconnect with RESET_CARD (warm) or UNPOWER_CARD (cold), then connect again; returns the ATR. */
  reset(kind: 'warm' | 'cold'): Promise<Uint8Array> {
    return this.track(this.doReset(kind));
  }

  private async doReset(kind: 'warm' | 'cold'): Promise<Uint8Array> {
    this.checkOpen();
    if (this.removed) throw this.removedError();
    const reader = this.slot.reader;
    try {
      await this.disconnect(kind === 'cold' ? reader.SCARD_UNPOWER_CARD : reader.SCARD_RESET_CARD);
      this.protocolCode = await PcscliteTransport.open(reader, this.options);
    } catch (error) {
      throw await this.failure(error, `${kind} reset`);
    }
    const atr = this.atr();
    this.events.emit({ type: 'reset', atr: atr.slice() });
    return atr;
  }

  /** A fresh connection to the card now in the reader (after a removal); like SmartcardTransport.reconnect(). */
  async reconnect(opts: { waitForCardMs?: number } = {}): Promise<Uint8Array> {
    this.checkOpen();
    const reader = this.slot.reader;
    try {
      await this.disconnect(reader.SCARD_LEAVE_CARD);
    } catch {
      // The handle belonged to a card that is gone.
    }
    // Until the new connection stands, there is none: exchanges fail with CardRemovedError.
    this.removed = true;
    const deadline = performance.now() + (opts.waitForCardMs ?? 0);
    while (!PcscliteTransport.present(this.slot)) {
      if (performance.now() >= deadline) throw new NoCardError(`no card in reader '${this.reader}'`, { reader: this.reader });
      await sleep(20);
    }
    try {
      this.protocolCode = await PcscliteTransport.open(reader, this.options);
    } catch (error) {
      throw pcscErrorToSdk(error, { operation: 'reconnect', reader: this.reader });
    }
    if (this.closed) throw new ChannelClosedError('transport closed during reconnect');
    this.removed = false;
    const atr = this.atr();
    this.events.emit({ type: 'inserted', atr: atr.slice() });
    return atr;
  }

  /** Disconnects with `closeDisposition`, then closes every reader and the binding's context. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.clear();
    const pending = [...this.busy];
    const settled = pending.length === 0 || (await Promise.race([
      Promise.allSettled(pending).then(() => true),
      sleep(1000).then(() => false),
    ]));
    if (settled && this.slot.reader.connected) {
      try {
        await this.disconnect(this.removed ? this.slot.reader.SCARD_LEAVE_CARD : dispositionCode(this.slot.reader, this.options.closeDisposition));
      } catch {
        // A removed card or a dead pcscd: nothing left to release on the card.
      }
    }
    PcscliteTransport.release(this.pcsc, this.slots);
  }

  onEvent(listener: (e: CardEvent) => void): () => void {
    return this.events.add(listener);
  }

  private disconnect(disposition: number): Promise<void> {
    const reader = this.slot.reader;
    return withTimeout<void>(`disconnect from '${reader.name}'`, (done) => reader.disconnect(disposition, done));
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.busy.add(work);
    const done = (): void => {
      this.busy.delete(work);
    };
    work.then(done, done);
    return work;
  }

  /** A status change of some reader: removal and insertion of our reader's card become card events. */
  private onStatus(slot: ReaderSlot): void {
    if (this.closed || slot !== this.slot) return;
    if (!PcscliteTransport.present(slot)) {
      this.markRemoved();
    } else if (this.removed) {
      this.events.emit(slot.atr === undefined ? { type: 'inserted' } : { type: 'inserted', atr: slot.atr.slice() });
    }
  }

  private onReaderGone(name: string): void {
    if (!this.closed && name === this.reader) this.markRemoved();
  }

  private markRemoved(): void {
    if (this.removed) return;
    this.removed = true;
    this.events.emit({ type: 'removed' });
  }

  /** Like SmartcardTransport's: removal marks the transport; another program's reset is acknowledged by reconnecting. */
  private async failure(error: unknown, operation: string): Promise<SscardError> {
    if (this.closed) return new ChannelClosedError(`transport closed during ${operation}`);
    const typed = pcscErrorToSdk(error, { operation, reader: this.reader });
    if (typed instanceof CardRemovedError || typed instanceof NoCardError) {
      this.markRemoved();
      return typed instanceof NoCardError ? new CardRemovedError(typed.message, { cause: error }) : typed;
    }
    if (typed instanceof CardResetError) {
      const reader = this.slot.reader;
      try {
        await this.disconnect(reader.SCARD_LEAVE_CARD);
        this.protocolCode = await PcscliteTransport.open(reader, this.options);
        this.events.emit({ type: 'reset', atr: this.atr() });
      } catch (again) {
        const next = pcscErrorToSdk(again, { operation: 'reconnect after a reset', reader: this.reader });
        if (next instanceof CardRemovedError || next instanceof NoCardError) this.markRemoved();
      }
    }
    return typed;
  }

  private removedError(): CardRemovedError {
    return new CardRemovedError(`the card left reader '${this.reader}'; put a card in and call reconnect()`);
  }

  private checkOpen(): void {
    if (this.closed) throw new ChannelClosedError('transport is closed');
  }
}
