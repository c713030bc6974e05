import type { SscardError } from '../../apdu/index.js';
import { CardRemovedError, CardResetError, ChannelClosedError } from '../errors.js';
import type { CardEvent, Transport } from '../transport.js';
import { loadSmartcard, type ScCard, type ScContext, type ScReader, type SmartcardBinding } from './binding.js';
import { pcscErrorToSdk } from './error-table.js';
import { NoCardError, PcscTransportError, ReaderNotFoundError } from './errors.js';
import {
  CardEventHub,
  resolvePcscOptions,
  shortAnswerError,
  sleep,
  type PcscDisposition,
  type PcscProtocol,
  type PcscTransportOptions,
  type ResolvedPcscOptions,
} from './options.js';
import { startReaderMonitor } from './readers.js';

/*
 * A card in a PC/SC reader, through the `smartcard` binding (N-API, promises). Bytes go through
 * unchanged: no GET RESPONSE or 6Cxx handling here (the channel layer does that once for every
 * transport), and the receive buffer fits the largest extended-length answer.
 */

const READER_POLL_MS = 50;

export function protocolMask(binding: { SCARD_PROTOCOL_T0: number; SCARD_PROTOCOL_T1: number }, protocols: readonly PcscProtocol[]): number {
  let mask = 0;
  if (protocols.includes('T=0')) mask |= binding.SCARD_PROTOCOL_T0;
  if (protocols.includes('T=1')) mask |= binding.SCARD_PROTOCOL_T1;
  return mask;
}

export function dispositionCode(
  binding: { SCARD_LEAVE_CARD: number; SCARD_RESET_CARD: number; SCARD_UNPOWER_CARD: number },
  disposition: PcscDisposition,
): number {
  switch (disposition) {
    case 'leave':
      return binding.SCARD_LEAVE_CARD;
    case 'reset':
      return binding.SCARD_RESET_CARD;
    case 'unpower':
      return binding.SCARD_UNPOWER_CARD;
  }
}

/** Picks the reader: the named one, or the first holding a card; waits for a card up to `waitMs`. */
async function findReader(binding: SmartcardBinding, context: ScContext, wanted: string | undefined, waitMs: number): Promise<ScReader> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    let readers: ScReader[];
    try {
      readers = context.listReaders();
    } catch (error) {
      throw pcscErrorToSdk(error, { operation: 'list readers' });
    }
    const present = (r: ScReader): boolean => (r.state & binding.SCARD_STATE_PRESENT) !== 0;
    if (wanted !== undefined) {
      const reader = readers.find((r) => r.name === wanted);
      if (reader === undefined) {
        const names = readers.map((r) => r.name);
        throw new ReaderNotFoundError(`no reader named '${wanted}' (readers: ${names.length === 0 ? 'none' : names.map((n) => `'${n}'`).join(', ')})`, {
          reader: wanted,
          available: names,
        });
      }
      if (present(reader)) return reader;
    } else {
      if (readers.length === 0) throw new ReaderNotFoundError('pcscd lists no reader');
      const reader = readers.find(present);
      if (reader !== undefined) return reader;
    }
    if (performance.now() >= deadline) {
      const where = wanted === undefined ? 'in any reader' : `in reader '${wanted}'`;
      throw new NoCardError(`no card ${where}${waitMs > 0 ? ` within ${waitMs} ms` : ''}`, wanted === undefined ? {} : { reader: wanted });
    }
    await sleep(Math.min(READER_POLL_MS, Math.max(1, deadline - performance.now())));
  }
}

function protocolName(code: number, binding: SmartcardBinding): PcscProtocol | undefined {
  if (code === binding.SCARD_PROTOCOL_T0) return 'T=0';
  if (code === binding.SCARD_PROTOCOL_T1) return 'T=1';
  return undefined;
}

/** PC/SC transport on `smartcard`. Create it with `SmartcardTransport.connect()`. */
export class SmartcardTransport implements Transport {
  readonly name: string;
  /** The reader's name as pcscd lists it. */
  readonly reader: string;
  private readonly binding: SmartcardBinding;
  private readonly context: ScContext;
  private readonly options: ResolvedPcscOptions;
  private readonly events = new CardEventHub();
  private card: ScCard;
  private currentAtr: Uint8Array;
  private currentProtocol: PcscProtocol;
  private removed = false;
  private closed = false;
  private stopMonitor: (() => void) | undefined;
  /** Transmits and resets under way (a disconnect would wait for them inside the PC/SC library). */
  private readonly busy = new Set<Promise<unknown>>();

  private constructor(init: {
    binding: SmartcardBinding; context: ScContext; reader: string; card: ScCard; atr: Uint8Array;
    protocol: PcscProtocol; options: ResolvedPcscOptions;
  }) {
    this.binding = init.binding;
    this.context = init.context;
    this.reader = init.reader;
    this.card = init.card;
    this.currentAtr = init.atr;
    this.currentProtocol = init.protocol;
    this.options = init.options;
    this.name = init.options.name ?? `pcsc:${init.reader}`;
  }

  /**
   * Connects to the card in a reader. Fails with PcscBindingMissingError (binding not installed),
   * PcscServiceError (pcscd not running), ReaderNotFoundError, NoCardError, or a TransportError
   * (sharing violation, protocol mismatch, ...).
   */
  static async connect(opts: PcscTransportOptions = {}): Promise<SmartcardTransport> {
    const options = resolvePcscOptions(opts);
    const binding = await loadSmartcard();
    let context: ScContext;
    try {
      context = new binding.Context();
    } catch (error) {
      throw pcscErrorToSdk(error, { operation: 'establish a PC/SC context' });
    }
    try {
      const reader = await findReader(binding, context, options.reader, options.waitForCardMs);
      const { card, atr, protocol } = await SmartcardTransport.open(binding, reader, options);
      const transport = new SmartcardTransport({ binding, context, reader: reader.name, card, atr, protocol, options });
      transport.watch();
      return transport;
    } catch (error) {
      context.close();
      throw error;
    }
  }

  private static async open(
    binding: SmartcardBinding,
    reader: ScReader,
    options: ResolvedPcscOptions,
  ): Promise<{ card: ScCard; atr: Uint8Array; protocol: PcscProtocol }> {
    const share = options.exclusive ? binding.SCARD_SHARE_EXCLUSIVE : binding.SCARD_SHARE_SHARED;
    let card: ScCard;
    try {
      card = await reader.connect(share, protocolMask(binding, options.protocols));
    } catch (error) {
      throw pcscErrorToSdk(error, { operation: 'connect', reader: reader.name });
    }
    try {
      const status = card.getStatus();
      const protocol = protocolName(status.protocol, binding);
      if (protocol === undefined) {
        throw new PcscTransportError(`the card in '${reader.name}' runs protocol ${status.protocol}, neither T=0 nor T=1`, 'unsupported-protocol', undefined);
      }
      return { card, atr: new Uint8Array(status.atr), protocol };
    } catch (error) {
      try {
        card.disconnect(binding.SCARD_LEAVE_CARD);
      } catch {
        // The handle is useless either way.
      }
      throw pcscErrorToSdk(error, { operation: 'connect', reader: reader.name });
    }
  }

  /** The protocol the card runs (fixed by pcscd at the first connect after power-up). */
  get protocol(): PcscProtocol {
    return this.currentProtocol;
  }

  /** Whether the card is known to have left the reader (until `reconnect()`). */
  get cardRemoved(): boolean {
    return this.removed;
  }

  atr(): Uint8Array {
    this.checkOpen();
    if (this.removed) throw this.removedError();
    return this.currentAtr.slice();
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    return this.track(this.doTransmit(command));
  }

  private async doTransmit(command: Uint8Array): Promise<Uint8Array> {
    this.checkOpen();
    if (this.removed) throw this.removedError();
    const card = this.card;
    let response: Buffer;
    try {
      // autoGetResponse stays off: T=0 61xx/6Cxx is the channel layer's job, for every transport alike.
      response = await card.transmit(Buffer.from(command), { maxRecvLength: this.options.maxRecvLength, autoGetResponse: false });
    } catch (error) {
      throw await this.failure(error, 'transmit', card);
    }
    if (this.closed) throw new ChannelClosedError('transport closed during the exchange');
    if (response.length < 2) {
      throw await shortAnswerError(response.length, this.reader, this.options.removalProbeMs, () => this.cardLeft(card));
    }
    return new Uint8Array(response);
  }

  /** Warm reset (SCardReconnect with RESET_CARD) or cold reset (UNPOWER_CARD); returns the ATR. */
  reset(kind: 'warm' | 'cold'): Promise<Uint8Array> {
    return this.track(this.doReset(kind));
  }

  private async doReset(kind: 'warm' | 'cold'): Promise<Uint8Array> {
    this.checkOpen();
    if (this.removed) throw this.removedError();
    const card = this.card;
    const init = kind === 'cold' ? this.binding.SCARD_UNPOWER_CARD : this.binding.SCARD_RESET_CARD;
    try {
      await card.reconnect(this.shareMode(), protocolMask(this.binding, this.options.protocols), init);
      this.refreshStatus(card);
    } catch (error) {
      throw await this.failure(error, `${kind} reset`, card);
    }
    const atr = this.currentAtr.slice();
    this.events.emit({ type: 'reset', atr: atr.slice() });
    return atr;
  }

  /**
   * Opens a fresh connection to whatever card is in the reader now, e.g. after the card was pulled
   * and put back (the old PC/SC handle stays "removed" forever). Waits up to `waitForCardMs`
   * (default 0) for a card; NoCardError when there is none. Returns the ATR.
   */
  async reconnect(opts: { waitForCardMs?: number } = {}): Promise<Uint8Array> {
    this.checkOpen();
    const old = this.card;
    try {
      old.disconnect(this.binding.SCARD_LEAVE_CARD);
    } catch {
      // The old handle belongs to a card that is gone; nothing to release on the card.
    }
    // Until the new connection stands, there is none: exchanges fail with CardRemovedError.
    this.removed = true;
    const reader = await findReader(this.binding, this.context, this.reader, opts.waitForCardMs ?? 0);
    const { card, atr, protocol } = await SmartcardTransport.open(this.binding, reader, this.options);
    if (this.closed) {
      try {
        card.disconnect(this.binding.SCARD_LEAVE_CARD);
      } catch {
        // The context went with close(); so did the handle.
      }
      throw new ChannelClosedError('transport closed during reconnect');
    }
    this.card = card;
    this.currentAtr = atr;
    this.currentProtocol = protocol;
    this.removed = false;
    // A new connection to a freshly powered card: whatever the caller knew about the card is stale.
    this.events.emit({ type: 'inserted', atr: atr.slice() });
    return atr.slice();
  }

  /**
   * Stops watching the reader and disconnects with `closeDisposition`. Exchanges still under way
   * get up to one second to finish first (SCardDisconnect would otherwise block this thread
   * inside the PC/SC library until they do).
   *
   * The reset or power-down of the disposition is done by an asynchronous SCardReconnect before a
   * plain SCardDisconnect(LEAVE): the binding's disconnect is synchronous, and a disconnect that
   * makes pcscd talk to the card would block this thread while the card answers, which deadlocks
   * when the card is simulated in this very process (sscard's own bridge).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopMonitor?.();
    this.stopMonitor = undefined;
    this.events.clear();
    const pending = [...this.busy];
    let settled = pending.length === 0;
    if (!settled) {
      settled = await Promise.race([
        Promise.allSettled(pending).then(() => true),
        sleep(1000).then(() => false),
      ]);
    }
    if (!settled) return;
    const card = this.card;
    const disposition = this.options.closeDisposition;
    if (!this.removed && disposition !== 'leave') {
      try {
        await card.reconnect(this.shareMode(), protocolMask(this.binding, this.options.protocols), dispositionCode(this.binding, disposition));
      } catch {
        // The card left or pcscd went away: there is no security state left to end.
      }
    }
    try {
      card.disconnect(this.binding.SCARD_LEAVE_CARD);
    } catch {
      // A removed card or a dead pcscd: the handle is gone either way.
    }
    this.context.close();
  }

  onEvent(listener: (e: CardEvent) => void): () => void {
    return this.events.add(listener);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.busy.add(work);
    const done = (): void => {
      this.busy.delete(work);
    };
    work.then(done, done);
    return work;
  }

  private shareMode(): number {
    return this.options.exclusive ? this.binding.SCARD_SHARE_EXCLUSIVE : this.binding.SCARD_SHARE_SHARED;
  }

  private refreshStatus(card: ScCard): void {
    const status = card.getStatus();
    this.currentAtr = new Uint8Array(status.atr);
    this.currentProtocol = protocolName(status.protocol, this.binding) ?? this.currentProtocol;
  }

  /** Follows the reader through pcscd's eyes: removal and insertion become card events. */
  private watch(): void {
    this.stopMonitor = startReaderMonitor(this.binding, (event) => {
      if (this.closed) return;
      switch (event.type) {
        case 'reader-attached':
          // The monitor's first report: the card may have gone between connect and now.
          if (event.reader === this.reader && !event.cardPresent) this.markRemoved();
          return;
        case 'card-removed':
        case 'reader-detached':
          if (event.reader === this.reader) this.markRemoved();
          return;
        case 'card-inserted':
          if (event.reader !== this.reader || !this.removed) return;
          this.events.emit(event.atr === undefined ? { type: 'inserted' } : { type: 'inserted', atr: event.atr.slice() });
          return;
        case 'error':
          return;
      }
    });
  }

  private markRemoved(): void {
    if (this.removed) return;
    this.removed = true;
    this.events.emit({ type: 'removed' });
  }

  /** Whether the card behind `card` is gone (the monitor saw it leave, or the handle says so). */
  private cardLeft(card: ScCard): boolean {
    if (this.removed || card !== this.card) return true;
    try {
      card.getStatus();
      return false;
    } catch (error) {
      const typed = pcscErrorToSdk(error, { operation: 'status', reader: this.reader });
      if (typed instanceof CardRemovedError || typed instanceof NoCardError) {
        this.markRemoved();
        return true;
      }
      return false;
    }
  }

  /**
   * The typed error for a binding failure, with its consequence: a removal marks the transport
   * removed (and tells the listeners); a reset by another program is acknowledged with
   * SCardReconnect(LEAVE_CARD) so the handle works again, then reported as CardResetError.
   */
  private async failure(error: unknown, operation: string, card: ScCard): Promise<SscardError> {
    if (this.closed) return new ChannelClosedError(`transport closed during ${operation}`);
    const typed = pcscErrorToSdk(error, { operation, reader: this.reader });
    if (typed instanceof CardRemovedError || typed instanceof NoCardError) {
      if (card === this.card) this.markRemoved();
      return typed instanceof NoCardError ? new CardRemovedError(typed.message, { cause: error }) : typed;
    }
    if (typed instanceof CardResetError && card === this.card) {
      try {
        // LEAVE: the card was already reset by the other program; resetting it again would reset
        // that program's work in turn.
        await card.reconnect(this.shareMode(), protocolMask(this.binding, this.options.protocols), this.binding.SCARD_LEAVE_CARD);
        this.refreshStatus(card);
        this.events.emit({ type: 'reset', atr: this.currentAtr.slice() });
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
