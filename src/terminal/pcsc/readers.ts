import { SscardError } from '../../apdu/index.js';
import { loadSmartcard, type ScMonitorEvent, type SmartcardBinding } from './binding.js';
import { pcscErrorToSdk } from './error-table.js';

/*
 * Readers and their cards as pcscd sees them, through the `smartcard` binding: a one-off listing
 * and a live watch. The watch runs on the binding's ReaderMonitor, which waits in
 * SCardGetStatusChange on a thread of its own, so watching never occupies the libuv thread pool
 * that transmits run on.
 */

/** One reader and what is in it. */
export interface ReaderInfo {
  name: string;
  cardPresent: boolean;
  /** ATR of the card in the reader (when present and pcscd has read it). */
  atr?: Uint8Array;
  /** Some program holds the card exclusively. */
  exclusive: boolean;
  /** Some program is connected to the card. */
  inUse: boolean;
  /** A card is in the reader but does not answer (no ATR). */
  mute: boolean;
}

/** What a watch reports. `reader-attached` carries the card state at attach time. */
export type ReaderEvent =
  | { type: 'reader-attached'; reader: string; cardPresent: boolean; atr?: Uint8Array }
  | { type: 'reader-detached'; reader: string }
  | { type: 'card-inserted'; reader: string; atr?: Uint8Array }
  | { type: 'card-removed'; reader: string }
  /** The monitor could not ask pcscd (e.g. pcscd stopped); it keeps trying every second. */
  | { type: 'error'; error: SscardError };

export interface WatchReadersOptions {
  /**
   * Report the readers (and cards) already there when the watch starts, as `reader-attached`
   * followed by `card-inserted` for each reader holding a card. Default true.
   */
  initial?: boolean;
}

/** A running watch; `close()` stops it (and lets the process exit). */
export interface ReaderWatch {
  /** Readers known to the watch right now. */
  readers(): ReaderInfo[];
  close(): void;
}

function readerInfo(binding: SmartcardBinding, name: string, state: number, atr: Buffer | null): ReaderInfo {
  const present = (state & binding.SCARD_STATE_PRESENT) !== 0;
  const info: ReaderInfo = {
    name,
    cardPresent: present,
    exclusive: (state & binding.SCARD_STATE_EXCLUSIVE) !== 0,
    inUse: (state & binding.SCARD_STATE_INUSE) !== 0,
    mute: (state & binding.SCARD_STATE_MUTE) !== 0,
  };
  if (present && atr !== null && atr.length > 0) info.atr = new Uint8Array(atr);
  return info;
}

/** Lists pcscd's readers with their card state. Fails with PcscServiceError when pcscd is not running. */
export async function listReaders(): Promise<ReaderInfo[]> {
  const binding = await loadSmartcard();
  let context;
  try {
    context = new binding.Context();
  } catch (error) {
    throw pcscErrorToSdk(error, { operation: 'establish a PC/SC context' });
  }
  try {
    return context.listReaders().map((r) => readerInfo(binding, r.name, r.state, r.atr));
  } catch (error) {
    throw pcscErrorToSdk(error, { operation: 'list readers' });
  } finally {
    context.close();
  }
}

/**
 * Starts the binding's ReaderMonitor and hands every event, as a ReaderEvent, to `listener`;
 * returns the function that stops it. The monitor first reports each existing reader as
 * `reader-attached` (with its state); cards already present are reported only through that.
 */
export function startReaderMonitor(
  binding: SmartcardBinding,
  listener: (event: ReaderEvent, state: number) => void,
): () => void {
  const monitor = new binding.ReaderMonitor();
  let stopped = false;
  const onNative = (e: ScMonitorEvent): void => {
    if (stopped) return;
    let event: ReaderEvent;
    switch (e.type) {
      case 'reader-attached': {
        const info = readerInfo(binding, e.reader, e.state, e.atr);
        event =
          info.atr === undefined
            ? { type: 'reader-attached', reader: e.reader, cardPresent: info.cardPresent }
            : { type: 'reader-attached', reader: e.reader, cardPresent: info.cardPresent, atr: info.atr };
        break;
      }
      case 'reader-detached':
        event = { type: 'reader-detached', reader: e.reader };
        break;
      case 'card-inserted':
        event =
          e.atr !== null && e.atr.length > 0
            ? { type: 'card-inserted', reader: e.reader, atr: new Uint8Array(e.atr) }
            : { type: 'card-inserted', reader: e.reader };
        break;
      case 'card-removed':
        event = { type: 'card-removed', reader: e.reader };
        break;
      case 'error':
        // The native monitor puts the PC/SC error text where the reader name would be.
        event = { type: 'error', error: pcscErrorToSdk(new Error(e.reader), { operation: 'watch readers' }) };
        break;
      default:
        return;
    }
    try {
      listener(event, e.state);
    } catch (error) {
      // A listener's failure must not kill the monitor's callback (it runs from a native thread's queue).
      process.emitWarning(`a PC/SC reader event listener threw on '${event.type}': ${String(error)}`);
    }
  };
  try {
    monitor.start(onNative);
  } catch (error) {
    throw pcscErrorToSdk(error, { operation: 'watch readers' });
  }
  return () => {
    if (stopped) return;
    stopped = true;
    // Stopping joins the monitor thread; never do that from inside the monitor's own callback.
    setImmediate(() => {
      try {
        monitor.stop();
      } catch {
        // Already stopped (e.g. its context died with pcscd): nothing left to release.
      }
    });
  };
}

/**
 * Watches readers and cards: `listener` gets reader-attached / reader-detached / card-inserted
 * (with the ATR) / card-removed events, and `error` while pcscd cannot be asked. The watch keeps
 * the process alive until `close()`.
 */
export async function watchReaders(
  listener: (event: ReaderEvent) => void,
  opts: WatchReadersOptions = {},
): Promise<ReaderWatch> {
  const binding = await loadSmartcard();
  const initial = opts.initial ?? true;
  const known = new Map<string, ReaderInfo>();
  // The monitor's first burst of reader-attached events describes what was there before the
  // watch began; it ends with the first event of any other kind or after this grace period.
  let startup = true;
  const startupTimer = setTimeout(() => {
    startup = false;
  }, 250);
  startupTimer.unref();
  const emit = (event: ReaderEvent): void => {
    try {
      listener(event);
    } catch (error) {
      process.emitWarning(`a PC/SC reader event listener threw on '${event.type}': ${String(error)}`);
    }
  };
  const stop = startReaderMonitor(binding, (event, state) => {
    if (event.type !== 'reader-attached') startup = false;
    switch (event.type) {
      case 'reader-attached': {
        const info = readerInfo(binding, event.reader, state, event.atr === undefined ? null : Buffer.from(event.atr));
        known.set(event.reader, info);
        if (startup && !initial) return;
        emit(event);
        if (info.cardPresent)
          emit(
            info.atr === undefined
              ? { type: 'card-inserted', reader: event.reader }
              : { type: 'card-inserted', reader: event.reader, atr: info.atr },
          );
        return;
      }
      case 'reader-detached': {
        const info = known.get(event.reader);
        known.delete(event.reader);
        if (info?.cardPresent === true) emit({ type: 'card-removed', reader: event.reader });
        emit(event);
        return;
      }
      case 'card-inserted': {
        const info = known.get(event.reader);
        if (info !== undefined) {
          info.cardPresent = true;
          if (event.atr !== undefined) info.atr = event.atr;
        }
        emit(event);
        return;
      }
      case 'card-removed': {
        const info = known.get(event.reader);
        if (info !== undefined) {
          info.cardPresent = false;
          delete info.atr;
        }
        emit(event);
        return;
      }
      case 'error':
        emit(event);
        return;
    }
  });
  return {
    readers: () => [...known.values()].map((r) => ({ ...r })),
    close: () => {
      clearTimeout(startupTimer);
      stop();
    },
  };
}
