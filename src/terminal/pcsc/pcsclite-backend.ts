import type {
  PcscBackend,
  PcscCardHandle,
  PcscCardStatus,
  PcscConnectRequest,
  PcscContext,
  PcscReaderChange,
  PcscReaderList,
} from './backend.js';
import {
  bufferView,
  dispositionCode,
  loadPcsclite,
  plainBytes,
  protocolMask,
  type PlCardReader,
  type PlPcsc,
} from './binding.js';
import { PcscTransportError, ReaderNotFoundError } from './errors.js';
import type { PcscDisposition, PcscProtocol } from './transport-options.js';

/*
 * The PC/SC backend on the `pcsclite` binding (NAN, Node callbacks + EventEmitter). Its quirks, and
 * what this adapter does about them:
 * - pcsc() starts a thread for the reader list and every CardReader one for its status; the
 *   process never exits until each CardReader is close()d and pcsc.close() is called: release()
 *   does both, for every reader ever announced (also those announced after connect).
 * - Closing a CardReader emits 'error' ("Command cancelled"), and an EventEmitter 'error' without
 *   a listener throws: every reader gets an error listener at once.
 * - There is no SCardReconnect and no SCardStatus: a reset is disconnect(RESET/UNPOWER) +
 *   connect, and the ATR is the one pcscd last announced in the reader's status.
 * - connect() on a reader whose `connected` flag is still set calls back with no error and no
 *   protocol (it does nothing), so a reconnect always disconnects first.
 * - The default share mode of connect() is EXCLUSIVE; it is always given explicitly here.
 * - Errors carry the PC/SC code in their message ("...(0x80100069)"); they go up as they are.
 * - The binding holds a per-reader mutex during SCardTransmit, and its status callback takes the
 *   same mutex on the JavaScript thread: a status change delivered while a transmit is under way
 *   makes the event loop wait for that transmit. With a card simulated in this very process (which
 *   answers from the event loop) that would be a deadlock; it did not happen in the lab, where
 *   pcscd's status changes (other programs connecting, resetting) arrived between transmits, but
 *   nothing rules it out. The smartcard backend has no such lock: prefer it.
 */

/** How long the reader list may take to arrive (pcsclite lists readers on a thread). */
const READER_ANNOUNCE_MS = 3000;
/** Bound on the binding's asynchronous connect/disconnect callbacks. */
const CALL_TIMEOUT_MS = 10_000;
/** How often the reader list is looked at again while waiting for readers or a card. */
const READER_POLL_MS = 20;

interface ReaderSlot {
  reader: PlCardReader;
  /** Last status from the binding; undefined until the first one arrives. */
  state: number | undefined;
  atr: Uint8Array | undefined;
}

interface Watcher {
  reader: string;
  /** The slot watched: a reader announced again later is another one. */
  slot: ReaderSlot | undefined;
  listener: (change: PcscReaderChange) => void;
}

function present(slot: ReaderSlot): boolean {
  return slot.state !== undefined && (slot.state & slot.reader.SCARD_STATE_PRESENT) !== 0;
}

function withTimeout<T>(what: string, start: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new PcscTransportError(
            `${what}: no answer from the pcsclite binding within ${CALL_TIMEOUT_MS} ms`,
            'timeout',
            undefined,
          ),
        ),
      CALL_TIMEOUT_MS,
    );
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

/** SCardConnect; returns the protocol code the card runs. */
async function connectReader(reader: PlCardReader, request: PcscConnectRequest): Promise<number> {
  const share = request.share === 'exclusive' ? reader.SCARD_SHARE_EXCLUSIVE : reader.SCARD_SHARE_SHARED;
  const protocol = await withTimeout<number>(`connect to '${reader.name}'`, (done) =>
    reader.connect({ share_mode: share, protocol: protocolMask(reader, request.protocols) }, done),
  );
  if (protocol !== reader.SCARD_PROTOCOL_T0 && protocol !== reader.SCARD_PROTOCOL_T1) {
    throw new PcscTransportError(
      `the card in '${reader.name}' runs protocol ${String(protocol)}, neither T=0 nor T=1`,
      'unsupported-protocol',
      undefined,
    );
  }
  return protocol;
}

function disconnectReader(reader: PlCardReader, disposition: number): Promise<void> {
  return withTimeout<void>(`disconnect from '${reader.name}'`, (done) => reader.disconnect(disposition, done));
}

/** The connection a CardReader holds (the binding keeps one handle per reader). */
class PcscliteHandle implements PcscCardHandle {
  constructor(
    private readonly context: PcscliteContext,
    private readonly slot: ReaderSlot,
    private readonly request: PcscConnectRequest,
    private protocolCode: number,
  ) {}

  get protocol(): PcscProtocol {
    return this.protocolCode === this.slot.reader.SCARD_PROTOCOL_T0 ? 'T=0' : 'T=1';
  }

  atr(): Uint8Array {
    return this.slot.atr ?? new Uint8Array(0);
  }

  transmit(command: Uint8Array, maxRecvLength: number): Promise<Uint8Array> {
    // No copies: the binding copies the command before it returns, and answers with a Buffer of
    // its own, handed on as a plain Uint8Array over the same memory.
    return new Promise<Uint8Array>((resolve, reject) => {
      this.slot.reader.transmit(bufferView(command), maxRecvLength, this.protocolCode, (err, data) => {
        if (err !== undefined && err !== null) reject(err);
        else resolve(plainBytes(data));
      });
    });
  }

  /** No SCardReconnect: disconnect with the initialization as disposition, then connect again. */
  async reconnect(initialization: PcscDisposition): Promise<void> {
    const reader = this.slot.reader;
    await disconnectReader(reader, dispositionCode(reader, initialization));
    this.protocolCode = await connectReader(reader, this.request);
  }

  /** No SCardStatus: what pcscd last announced. A removal reaches the transport through watch(). */
  status(): PcscCardStatus {
    return { atr: this.atr(), protocol: this.protocol };
  }

  async disconnect(disposition: PcscDisposition): Promise<void> {
    const reader = this.slot.reader;
    // A released context closed its readers, and their handles with them.
    if (this.context.released || !reader.connected) return;
    await disconnectReader(reader, dispositionCode(reader, disposition));
  }
}

class PcscliteContext implements PcscContext {
  readonly pollMs = READER_POLL_MS;
  released = false;
  private readonly slots = new Map<string, ReaderSlot>();
  private readonly watchers = new Set<Watcher>();
  private readonly established = performance.now();
  private listError: unknown;

  constructor(private readonly pcsc: PlPcsc) {
    pcsc.on('error', (error) => {
      this.listError = error;
    });
    pcsc.on('reader', (reader) => {
      const slot: ReaderSlot = { reader, state: undefined, atr: undefined };
      this.slots.set(reader.name, slot);
      // Closing a reader makes it emit 'error' (Command cancelled); unhandled, that would throw.
      reader.on('error', () => {});
      reader.on('status', (status) => {
        slot.state = status.state;
        if (status.atr !== undefined && status.atr.length > 0) slot.atr = new Uint8Array(status.atr);
        this.tell(slot);
      });
      reader.on('end', () => {
        this.slots.delete(reader.name);
        for (const w of [...this.watchers]) if (w.reader === reader.name) w.listener({ type: 'card-removed' });
      });
    });
  }

  listReaders(): PcscReaderList {
    const error = this.listError;
    if (error !== undefined) {
      this.listError = undefined;
      throw error;
    }
    const slots = [...this.slots.values()];
    // The binding announces all readers at once, then reads each one's first status.
    const complete =
      (slots.length > 0 && slots.every((s) => s.state !== undefined)) ||
      performance.now() - this.established >= READER_ANNOUNCE_MS;
    return { readers: slots.map((s) => ({ name: s.reader.name, cardPresent: present(s) })), complete };
  }

  async connect(name: string, request: PcscConnectRequest): Promise<PcscCardHandle> {
    const slot = this.slots.get(name);
    if (slot === undefined)
      throw new ReaderNotFoundError(`reader '${name}' is gone`, { reader: name, available: [...this.slots.keys()] });
    const protocolCode = await connectReader(slot.reader, request);
    return new PcscliteHandle(this, slot, request, protocolCode);
  }

  watch(reader: string, listener: (change: PcscReaderChange) => void): () => void {
    const watcher: Watcher = { reader, slot: this.slots.get(reader), listener };
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  /** Closes every reader the binding announced, then the binding itself (or the process cannot exit). */
  release(): void {
    this.released = true;
    this.watchers.clear();
    for (const slot of this.slots.values()) {
      try {
        slot.reader.close();
      } catch {
        // Already closed.
      }
    }
    this.pcsc.removeAllListeners('reader');
    // Readers announced after this point are closed as they come.
    this.pcsc.on('reader', (reader) => {
      reader.on('error', () => {});
      try {
        reader.close();
      } catch {
        // Already closed.
      }
    });
    try {
      this.pcsc.close();
    } catch {
      // Already closed.
    }
  }

  /** A status change of some reader: its watchers learn whether a card is in it. */
  private tell(slot: ReaderSlot): void {
    for (const w of [...this.watchers]) {
      if (w.slot !== slot) continue;
      w.listener(
        present(slot)
          ? slot.atr === undefined
            ? { type: 'card-present' }
            : { type: 'card-present', atr: slot.atr }
          : { type: 'card-removed' },
      );
    }
  }
}

/** PC/SC on the `pcsclite` binding, loaded on the first establish(). */
export const pcscliteBackend: PcscBackend = {
  label: 'pcsclite',
  async establish(): Promise<PcscContext> {
    const factory = await loadPcsclite();
    return new PcscliteContext(factory());
  },
};
