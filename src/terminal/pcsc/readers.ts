import type { SscardError } from '../../apdu/index.js';
import { resolvePcscBackend } from './auto-backend.js';
import type { PcscBackendSetting } from '../pcsc-backend-names.js';
import { listReadersViaBinding, startBindingWatch } from './binding-readers.js';
import { listReadersOverSocket, startPcscdReaderWatch } from './pcscd-readers.js';

/*
 * Readers and their cards as pcscd sees them: a one-off listing and a live watch, on the same
 * backend a transport would use by default (pcscd's socket where it answers, else the `smartcard`
 * binding; `backend` names one). The socket backend asks pcscd itself (pcscd-readers.ts); the
 * bindings both go through the `smartcard` binding's listing and ReaderMonitor
 * (binding-readers.ts), `pcsclite` having no monitor of its own worth using.
 */

/** Which PC/SC backend a listing or a watch runs on. */
export interface ReaderBackendOptions {
  /** Default 'auto' (SSCARD_PCSC_BACKEND, else pcscd's socket where it answers, else the binding). */
  backend?: PcscBackendSetting;
}

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

export interface WatchReadersOptions extends ReaderBackendOptions {
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

/** Lists pcscd's readers with their card state. Fails with PcscServiceError when pcscd is not running. */
export async function listReaders(opts: ReaderBackendOptions = {}): Promise<ReaderInfo[]> {
  const choice = await resolvePcscBackend(opts.backend);
  return choice.name === 'pcscd-socket' ? listReadersOverSocket() : listReadersViaBinding();
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
  const choice = await resolvePcscBackend(opts.backend);
  const initialWanted = opts.initial ?? true;
  const known = new Map<string, ReaderInfo>();
  const emit = (event: ReaderEvent): void => {
    try {
      listener(event);
    } catch (error) {
      process.emitWarning(`a PC/SC reader event listener threw on '${event.type}': ${String(error)}`);
    }
  };
  const onEvent = (event: ReaderEvent, info: ReaderInfo | undefined, initial: boolean): void => {
    switch (event.type) {
      case 'reader-attached': {
        const state: ReaderInfo = info ?? {
          name: event.reader,
          cardPresent: event.cardPresent,
          exclusive: false,
          inUse: false,
          mute: false,
          ...(event.atr === undefined ? {} : { atr: event.atr }),
        };
        known.set(event.reader, { ...state });
        if (initial && !initialWanted) return;
        emit(event);
        if (state.cardPresent)
          emit(
            state.atr === undefined
              ? { type: 'card-inserted', reader: event.reader }
              : { type: 'card-inserted', reader: event.reader, atr: state.atr },
          );
        return;
      }
      case 'reader-detached': {
        const state = known.get(event.reader);
        known.delete(event.reader);
        if (state?.cardPresent === true) emit({ type: 'card-removed', reader: event.reader });
        emit(event);
        return;
      }
      case 'card-inserted':
      case 'card-removed': {
        const state = known.get(event.reader);
        if (state !== undefined) {
          state.cardPresent = event.type === 'card-inserted';
          // A card taken out takes its ATR along; an insertion that names none keeps what was known.
          if (event.type === 'card-removed') delete state.atr;
          else if (event.atr !== undefined) state.atr = event.atr;
        }
        emit(event);
        return;
      }
      case 'error':
        emit(event);
        return;
    }
  };
  const stop = choice.name === 'pcscd-socket' ? startPcscdReaderWatch(onEvent) : await startBindingWatch(onEvent);
  return {
    readers: () => [...known.values()].map((r) => ({ ...r })),
    close: stop,
  };
}
