import type { SscardError } from '../../apdu/index.js';
import { CardRemovedError, CardResetError, ChannelClosedError } from '../errors.js';
import { ListenerSet } from '../listener-set.js';
import type { CardEvent, Transport } from '../transport.js';
import type { PcscBackend, PcscCardHandle, PcscContext, PcscReaderList } from './backend.js';
import { pcscErrorToSdk } from './error-table.js';
import { NoCardError, ReaderNotFoundError } from './errors.js';
import { shortAnswerError } from './short-answer.js';
import { resolvePcscBackend } from './auto-backend.js';
import type { PcscBackendName } from '../pcsc-backend-names.js';
import { sleep } from './sleep.js';
import {
  resolvePcscOptions,
  type PcscProtocol,
  type PcscTransportOptions,
  type ResolvedPcscOptions,
} from './transport-options.js';

/*
 * A card in a PC/SC reader. Bytes go through unchanged: no GET RESPONSE or 6Cxx handling here
 * (the channel layer does that once for every transport), and the receive buffer fits the largest
 * extended-length answer. What runs underneath is a PcscBackend (backend.ts): this class owns the
 * lifecycle every PC/SC implementation shares (reader lookup, the busy set that close() waits
 * for, the removed and closed states, failures mapped to typed errors with their consequences),
 * and the backend adds only its I/O.
 */

/** How long close() lets exchanges under way finish before it stops waiting for them. */
const CLOSE_GRACE_MS = 1000;

/** What a transport is made of once connected. */
export interface PcscConnection {
  context: PcscContext;
  reader: string;
  handle: PcscCardHandle;
  options: ResolvedPcscOptions;
  /** The backend's label, for the default name. */
  label: string;
  /** Which backend it is ('custom' for a caller's own). */
  backendName: PcscBackendName | 'custom';
}

function ignore(): void {}

/**
 * `work`, with its failure counted as seen: a caller may take it up only after awaiting something
 * else (close(), typically), and the failure is theirs to read then, not an unhandled rejection.
 */
function observed<T>(work: Promise<T>): Promise<T> {
  work.catch(ignore);
  return work;
}

/** A removal seen by PC/SC: the card is gone (NoCardError comes from a reader that turned out empty). */
function isCardGone(error: SscardError): boolean {
  return error instanceof CardRemovedError || error instanceof NoCardError;
}

/** Picks the reader: the named one, or the first holding a card; waits for a card up to `waitMs`. */
async function findReader(context: PcscContext, wanted: string | undefined, waitMs: number): Promise<string> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    let list: PcscReaderList;
    try {
      list = context.listReaders();
    } catch (error) {
      throw pcscErrorToSdk(error, { operation: 'list readers' });
    }
    const { readers, complete } = list;
    const reader = wanted === undefined ? readers.find((r) => r.cardPresent) : readers.find((r) => r.name === wanted);
    if (reader?.cardPresent === true) return reader.name;
    if (complete) {
      if (wanted !== undefined && reader === undefined) {
        const names = readers.map((r) => r.name);
        throw new ReaderNotFoundError(
          `no reader named '${wanted}' (readers: ${names.length === 0 ? 'none' : names.map((n) => `'${n}'`).join(', ')})`,
          {
            reader: wanted,
            available: names,
          },
        );
      }
      if (readers.length === 0) throw new ReaderNotFoundError('pcscd lists no reader');
      if (performance.now() >= deadline) {
        const where = wanted === undefined ? 'in any reader' : `in reader '${wanted}'`;
        throw new NoCardError(
          `no card ${where}${waitMs > 0 ? ` within ${waitMs} ms` : ''}`,
          wanted === undefined ? {} : { reader: wanted },
        );
      }
    }
    const left = deadline - performance.now();
    await sleep(left > 0 ? Math.min(context.pollMs, Math.max(1, left)) : context.pollMs);
  }
}

async function connectCard(
  context: PcscContext,
  reader: string,
  options: ResolvedPcscOptions,
  operation: string,
): Promise<PcscCardHandle> {
  try {
    return await context.connect(reader, {
      share: options.exclusive ? 'exclusive' : 'shared',
      protocols: options.protocols,
    });
  } catch (error) {
    throw pcscErrorToSdk(error, { operation, reader });
  }
}

/**
 * PC/SC transport. Create it with `PcscTransport.connect()`; by default it runs on pcscd's socket
 * where that answers (Linux) and on the `smartcard` binding elsewhere; `{ backend: 'pcsclite' }`
 * (or 'smartcard', 'pcscd-socket') runs it on the one named. `backendName` says which it is.
 */
export class PcscTransport implements Transport {
  readonly name: string;
  /** The reader's name as pcscd lists it. */
  readonly reader: string;
  /** The PC/SC backend this transport runs on, e.g. 'pcscd-socket' when the default chose pcscd's socket. */
  readonly backendName: PcscBackendName | 'custom';
  private readonly context: PcscContext;
  private readonly options: ResolvedPcscOptions;
  private readonly events = new ListenerSet<CardEvent>();
  private handle: PcscCardHandle;
  private removed = false;
  private closed = false;
  private stopWatch: (() => void) | undefined;
  /**
   * Transmits and resets under way in the backend (a disconnect would wait for them inside the
   * PC/SC library): a count, not a set of their promises, so an exchange costs no bookkeeping.
   */
  private busy = 0;
  /** Set by close() while it waits for the exchanges under way: called when the last one ends. */
  private onIdle: (() => void) | undefined;

  protected constructor(connection: PcscConnection) {
    this.context = connection.context;
    this.reader = connection.reader;
    this.backendName = connection.backendName;
    this.handle = connection.handle;
    this.options = connection.options;
    this.name = connection.options.name ?? `${connection.label}:${connection.reader}`;
  }

  /**
   * Connects to the card in a reader. Fails with PcscBindingMissingError (binding not installed),
   * PcscServiceError (pcscd not running), ReaderNotFoundError, NoCardError, or a TransportError
   * (sharing violation, protocol mismatch, ...).
   */
  static connect(opts: PcscTransportOptions = {}): Promise<PcscTransport> {
    return PcscTransport.open(opts, (connection) => new PcscTransport(connection));
  }

  /** Connects on `opts.backend` (default 'auto': see PcscTransportOptions.backend) and builds the transport with `make`. */
  protected static async open<T extends PcscTransport>(
    opts: PcscTransportOptions,
    make: (connection: PcscConnection) => T,
  ): Promise<T> {
    const options = resolvePcscOptions(opts);
    const choice = await resolvePcscBackend(options.backend);
    const backend: PcscBackend = choice.backend;
    let context: PcscContext;
    try {
      context = await backend.establish();
    } catch (error) {
      throw pcscErrorToSdk(error, { operation: 'establish a PC/SC context' });
    }
    try {
      const reader = await findReader(context, options.reader, options.waitForCardMs);
      const handle = await connectCard(context, reader, options, 'connect');
      const transport = make({ context, reader, handle, options, label: backend.label, backendName: choice.name });
      transport.watch();
      return transport;
    } catch (error) {
      context.release(false);
      throw error;
    }
  }

  /** The protocol the card runs (fixed by pcscd at the first connect after power-up). */
  get protocol(): PcscProtocol {
    return this.handle.protocol;
  }

  /** Whether the card is known to have left the reader (until `reconnect()`). */
  get cardRemoved(): boolean {
    return this.removed;
  }

  atr(): Uint8Array {
    this.checkOpen();
    if (this.removed) throw this.removedError();
    return this.handle.atr().slice();
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    return observed(this.exchange(command));
  }

  private async exchange(command: Uint8Array): Promise<Uint8Array> {
    this.checkOpen();
    if (this.removed) throw this.removedError();
    const handle = this.handle;
    this.busy++;
    try {
      let response: Uint8Array;
      try {
        response = await handle.transmit(command, this.options.maxRecvLength);
      } catch (error) {
        throw await this.failure(error, 'transmit', handle);
      }
      if (this.closed) throw new ChannelClosedError('transport closed during the exchange');
      if (response.length < 2) {
        throw await shortAnswerError(response.length, this.reader, this.options.removalProbeMs, () =>
          this.cardLeft(handle),
        );
      }
      return response;
    } finally {
      this.settled();
    }
  }

  /** Warm reset (SCardReconnect with RESET_CARD) or cold reset (UNPOWER_CARD); returns the ATR. */
  reset(kind: 'warm' | 'cold'): Promise<Uint8Array> {
    return observed(this.doReset(kind));
  }

  private async doReset(kind: 'warm' | 'cold'): Promise<Uint8Array> {
    this.checkOpen();
    if (this.removed) throw this.removedError();
    const handle = this.handle;
    this.busy++;
    try {
      await handle.reconnect(kind === 'cold' ? 'unpower' : 'reset');
    } catch (error) {
      throw await this.failure(error, `${kind} reset`, handle);
    } finally {
      this.settled();
    }
    const atr = handle.atr().slice();
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
    try {
      await this.handle.disconnect('leave');
    } catch {
      // The old handle belongs to a card that is gone; nothing to release on the card.
    }
    // Until the new connection stands, there is none: exchanges fail with CardRemovedError.
    this.removed = true;
    const reader = await findReader(this.context, this.reader, opts.waitForCardMs ?? 0);
    const handle = await connectCard(this.context, reader, this.options, 'reconnect');
    if (this.closed) {
      try {
        await handle.disconnect('leave');
      } catch {
        // The context went with close(); so did the handle.
      }
      throw new ChannelClosedError('transport closed during reconnect');
    }
    this.handle = handle;
    this.removed = false;
    const atr = handle.atr().slice();
    // A new connection to a freshly powered card: whatever the caller knew about the card is stale.
    this.events.emit({ type: 'inserted', atr: atr.slice() });
    return atr;
  }

  /**
   * Stops watching the reader, disconnects with `closeDisposition` and releases the context.
   * Exchanges still under way get up to one second to finish first: a disconnect would otherwise
   * wait for them inside the PC/SC library. Past that, the card is not disconnected and the
   * backend is told the context was abandoned with exchanges under way.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatch?.();
    this.stopWatch = undefined;
    this.events.clear();
    const settled =
      this.busy === 0 ||
      (await Promise.race([
        new Promise<boolean>((resolve) => {
          this.onIdle = () => resolve(true);
        }),
        sleep(CLOSE_GRACE_MS).then(() => false),
      ]));
    this.onIdle = undefined;
    if (settled) {
      try {
        await this.handle.disconnect(this.removed ? 'leave' : this.options.closeDisposition);
      } catch {
        // A removed card or a dead pcscd: nothing left to release on the card.
      }
    }
    this.context.release(!settled);
  }

  onEvent(listener: (e: CardEvent) => void): () => void {
    return this.events.add(listener);
  }

  /** One backend call under way ended (however). */
  private settled(): void {
    if (--this.busy === 0) this.onIdle?.();
  }

  /** Follows the reader through pcscd's eyes: removal and insertion become card events. */
  private watch(): void {
    this.stopWatch = this.context.watch(this.reader, (change) => {
      if (this.closed) return;
      if (change.type === 'card-removed') {
        this.markRemoved();
      } else if (this.removed) {
        this.events.emit(
          change.atr === undefined ? { type: 'inserted' } : { type: 'inserted', atr: change.atr.slice() },
        );
      }
    });
  }

  private markRemoved(): void {
    if (this.removed) return;
    this.removed = true;
    this.events.emit({ type: 'removed' });
  }

  /** Whether the card behind `handle` is gone (the watch saw it leave, or the handle says so). */
  private cardLeft(handle: PcscCardHandle): boolean {
    if (this.removed || handle !== this.handle) return true;
    try {
      handle.status();
      return false;
    } catch (error) {
      if (isCardGone(pcscErrorToSdk(error, { operation: 'status', reader: this.reader }))) {
        this.markRemoved();
        return true;
      }
      return false;
    }
  }

  /**
   * The typed error for a backend failure, with its consequence: a removal marks the transport
   * removed (and tells the listeners); a reset by another program is acknowledged with
   * SCardReconnect(LEAVE_CARD) so the handle works again, then reported as CardResetError.
   */
  private async failure(error: unknown, operation: string, handle: PcscCardHandle): Promise<SscardError> {
    if (this.closed) return new ChannelClosedError(`transport closed during ${operation}`);
    const typed = pcscErrorToSdk(error, { operation, reader: this.reader });
    if (isCardGone(typed)) {
      if (handle === this.handle) this.markRemoved();
      return typed instanceof NoCardError ? new CardRemovedError(typed.message, { cause: error }) : typed;
    }
    if (typed instanceof CardResetError && handle === this.handle) {
      try {
        // LEAVE: the card was already reset by the other program; resetting it again would reset
        // that program's work in turn.
        await handle.reconnect('leave');
        this.events.emit({ type: 'reset', atr: handle.atr().slice() });
      } catch (again) {
        if (isCardGone(pcscErrorToSdk(again, { operation: 'reconnect after a reset', reader: this.reader })))
          this.markRemoved();
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
