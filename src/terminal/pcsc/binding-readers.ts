import { loadSmartcard, type ScMonitorEvent, type SmartcardBinding } from './binding.js';
import { pcscErrorToSdk } from './error-table.js';
import type { ReaderEvent, ReaderInfo } from './readers.js';

/*
 * Readers and their cards through the `smartcard` binding: a one-off listing and its
 * ReaderMonitor, which waits in SCardGetStatusChange on a thread of its own, so watching never
 * occupies the libuv thread pool that transmits run on.
 */

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

/** The readers as the binding's SCardListReaders + SCardGetStatusChange see them. */
export async function listReadersViaBinding(): Promise<ReaderInfo[]> {
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
 * Starts the binding's ReaderMonitor and hands every event, as a ReaderEvent, to `listener`
 * (with the reader's state for `reader-attached`); returns the function that stops it. The
 * monitor first reports each existing reader as `reader-attached` (with its state); cards already
 * present are reported only through that.
 */
export function startReaderMonitor(
  binding: SmartcardBinding,
  listener: (event: ReaderEvent, info: ReaderInfo | undefined) => void,
): () => void {
  const monitor = new binding.ReaderMonitor();
  let stopped = false;
  const onNative = (e: ScMonitorEvent): void => {
    if (stopped) return;
    let event: ReaderEvent;
    let info: ReaderInfo | undefined;
    switch (e.type) {
      case 'reader-attached': {
        info = readerInfo(binding, e.reader, e.state, e.atr);
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
      listener(event, info);
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
 * The binding's monitor for a watch: its first burst of reader-attached events describes what was
 * there before the watch began (`initial`); it ends with the first event of any other kind or
 * after a grace period.
 */
export async function startBindingWatch(
  listener: (event: ReaderEvent, info: ReaderInfo | undefined, initial: boolean) => void,
): Promise<() => void> {
  const binding = await loadSmartcard();
  let startup = true;
  const startupTimer = setTimeout(() => {
    startup = false;
  }, 250);
  startupTimer.unref();
  const stop = startReaderMonitor(binding, (event, info) => {
    if (event.type !== 'reader-attached') startup = false;
    listener(event, info, startup);
  });
  return () => {
    clearTimeout(startupTimer);
    stop();
  };
}
