import { pcscErrorToSdk } from './error-table.js';
import { PcscdClient, waitForReaderChange } from './pcscd-client.js';
import {
  PCSCD_COMMAND,
  PCSCLITE_SHARING_EXCLUSIVE,
  READER_STATES_BYTES,
  SCARD_PRESENT,
  SCARD_SWALLOWED,
  decodeReaderStates,
  encodeBare,
  pcscdSocketPath,
  type PcscdReaderState,
} from './pcscd-protocol.js';
import type { ReaderEvent, ReaderInfo } from './readers.js';

/*
 * Readers and their cards over pcscd's own socket, with no binding: the listing is one
 * CMD_GET_READERS_STATE, the watch a connection parked in CMD_WAIT_READER_STATE_CHANGE (pcscd
 * answers every reader's state, then signals the next change: a card in or out, a reader added or
 * gone), diffed against the states before. The flags are read as libpcsclite's
 * SCardGetStatusChange reads them from the same records.
 */

/** Bound on a call to pcscd (the wait for a change is not bounded: it lasts until one happens). */
const CALL_TIMEOUT_MS = 10_000;
/** How long a watch waits before it tries pcscd again after losing it. */
const RETRY_MS = 1000;

function readerInfoOf(s: PcscdReaderState): ReaderInfo {
  const present = (s.state & SCARD_PRESENT) !== 0;
  const info: ReaderInfo = {
    name: s.name,
    cardPresent: present,
    exclusive: s.sharing === PCSCLITE_SHARING_EXCLUSIVE,
    inUse: s.sharing > 0,
    mute: present && (s.state & SCARD_SWALLOWED) !== 0,
  };
  if (present && s.atr.length > 0) info.atr = s.atr;
  return info;
}

/** The readers pcscd lists, with their card state. */
export async function listReadersOverSocket(path: string = pcscdSocketPath()): Promise<ReaderInfo[]> {
  let client: PcscdClient | undefined;
  try {
    client = await PcscdClient.open(path, { timeoutMs: CALL_TIMEOUT_MS, readBytes: 4096, holdsProcess: true });
    const reply = await client.call(
      encodeBare(PCSCD_COMMAND.getReadersState),
      READER_STATES_BYTES,
      'CMD_GET_READERS_STATE',
      CALL_TIMEOUT_MS,
    );
    return decodeReaderStates(reply).map(readerInfoOf);
  } catch (error) {
    throw pcscErrorToSdk(error, { operation: 'list readers' });
  } finally {
    client?.destroy();
  }
}

function attached(info: ReaderInfo): ReaderEvent {
  return info.atr === undefined
    ? { type: 'reader-attached', reader: info.name, cardPresent: info.cardPresent }
    : { type: 'reader-attached', reader: info.name, cardPresent: info.cardPresent, atr: info.atr };
}

function inserted(info: ReaderInfo): ReaderEvent {
  return info.atr === undefined
    ? { type: 'card-inserted', reader: info.name }
    : { type: 'card-inserted', reader: info.name, atr: info.atr };
}

/**
 * Follows pcscd's readers: each reader first as `reader-attached` (with its state; `initial` true
 * for those there when the watch began), then card-inserted / card-removed / reader-attached /
 * reader-detached as they change, and `error` while pcscd cannot be asked (it tries again every
 * second). Returns the function that stops it; until then it keeps the process alive.
 */
export function startPcscdReaderWatch(
  listener: (event: ReaderEvent, info: ReaderInfo | undefined, initial: boolean) => void,
  path: string = pcscdSocketPath(),
): () => void {
  let stopped = false;
  let client: PcscdClient | undefined;
  let retry: NodeJS.Timeout | undefined;
  let known = new Map<string, PcscdReaderState>();
  let initial = true;
  // As the binding's monitor thread does: a watch holds the process until it is closed.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const report = (event: ReaderEvent, info: ReaderInfo | undefined): void => {
    if (stopped) return;
    try {
      listener(event, info, initial);
    } catch (error) {
      process.emitWarning(`a PC/SC reader event listener threw on '${event.type}': ${String(error)}`);
    }
  };
  const apply = (states: PcscdReaderState[]): void => {
    const next = new Map(states.map((s) => [s.name, s]));
    for (const name of known.keys()) if (!next.has(name)) report({ type: 'reader-detached', reader: name }, undefined);
    for (const s of states) {
      const info = readerInfoOf(s);
      const before = known.get(s.name);
      if (before === undefined) {
        report(attached(info), info);
        continue;
      }
      const was = (before.state & SCARD_PRESENT) !== 0;
      // Another insertion count with a card still in: pulled and put back between two signals.
      const swapped = before.eventCounter !== s.eventCounter;
      if (was && (!info.cardPresent || swapped)) report({ type: 'card-removed', reader: s.name }, info);
      if (info.cardPresent && (!was || swapped)) report(inserted(info), info);
    }
    known = next;
    initial = false;
  };
  const run = async (): Promise<void> => {
    while (!stopped) {
      try {
        client = await PcscdClient.open(path, { timeoutMs: CALL_TIMEOUT_MS, readBytes: 4096, holdsProcess: false });
        if (stopped) break;
        let wait = waitForReaderChange(client, CALL_TIMEOUT_MS);
        for (;;) {
          apply(decodeReaderStates(await wait.states));
          await wait.signal;
          wait = waitForReaderChange(client, CALL_TIMEOUT_MS);
        }
      } catch (error) {
        client?.destroy();
        if (stopped) break;
        report({ type: 'error', error: pcscErrorToSdk(error, { operation: 'watch readers' }) }, undefined);
        await new Promise<void>((resolve) => {
          retry = setTimeout(resolve, RETRY_MS);
        });
      }
    }
    client?.destroy();
  };
  void run();
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(keepAlive);
    clearTimeout(retry);
    client?.destroy();
  };
}
