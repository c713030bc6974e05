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
  dispositionCode,
  loadSmartcard,
  plainBytes,
  protocolMask,
  type ScCard,
  type ScContext,
  type ScReader,
  type SmartcardBinding,
} from './binding.js';
import { PcscTransportError } from './errors.js';
import { startReaderMonitor } from './binding-readers.js';
import type { PcscDisposition, PcscProtocol } from './transport-options.js';

/*
 * The PC/SC backend on the `smartcard` binding (N-API, promises). Its quirks, and what this
 * adapter does about them:
 * - Errors are plain Errors with a fixed English text per code and no number: they go up as they
 *   are, and the error table knows the texts.
 * - Transmit could do T=0 GET RESPONSE by itself (autoGetResponse); it is kept off.
 * - disconnect() is synchronous: it blocks this thread inside the PC/SC library until pcscd
 *   answers, so a disposition that makes pcscd talk to the card is done first by an asynchronous
 *   reconnect (see SmartcardHandle.disconnect).
 * - Reader events come from the binding's ReaderMonitor, which waits in SCardGetStatusChange on a
 *   thread of its own (readers.ts), so watching never occupies the thread pool transmits run on.
 */

/** How often the reader list is asked again while waiting for a card. */
const READER_POLL_MS = 50;

function protocolName(code: number, binding: SmartcardBinding): PcscProtocol | undefined {
  if (code === binding.SCARD_PROTOCOL_T0) return 'T=0';
  if (code === binding.SCARD_PROTOCOL_T1) return 'T=1';
  return undefined;
}

/** One connection, through the binding's Card object. */
class SmartcardHandle implements PcscCardHandle {
  private currentAtr: Uint8Array;
  private currentProtocol: PcscProtocol;
  /** The binding's transmit options, kept between transmits (they are the same every time). */
  private transmitOptions = { maxRecvLength: 0, autoGetResponse: false };

  constructor(
    private readonly binding: SmartcardBinding,
    private readonly card: ScCard,
    private readonly request: PcscConnectRequest,
    status: PcscCardStatus,
  ) {
    this.currentAtr = status.atr;
    this.currentProtocol = status.protocol;
  }

  get protocol(): PcscProtocol {
    return this.currentProtocol;
  }

  atr(): Uint8Array {
    return this.currentAtr;
  }

  transmit(command: Uint8Array, maxRecvLength: number): Promise<Uint8Array> {
    // autoGetResponse stays off: T=0 61xx/6Cxx is the channel layer's job, for every transport alike.
    let options = this.transmitOptions;
    if (options.maxRecvLength !== maxRecvLength) {
      options = { maxRecvLength, autoGetResponse: false };
      this.transmitOptions = options;
    }
    // No copies: the binding takes a Uint8Array as it is (N-API's buffer check accepts one) and
    // copies it before it returns, and answers with a Buffer of its own, which is handed on as a
    // plain Uint8Array over the same memory.
    return this.card.transmit(command, options).then(plainBytes);
  }

  async reconnect(initialization: PcscDisposition): Promise<void> {
    await this.reconnectCard(initialization);
    const status = this.status();
    this.currentAtr = status.atr;
    this.currentProtocol = status.protocol;
  }

  status(): PcscCardStatus {
    const status = this.card.getStatus();
    return {
      atr: new Uint8Array(status.atr),
      protocol: protocolName(status.protocol, this.binding) ?? this.currentProtocol,
    };
  }

  /**
   * The reset or power-down of the disposition is done by an asynchronous SCardReconnect before a
   * plain SCardDisconnect(LEAVE): the binding's disconnect is synchronous, and a disconnect that
   * makes pcscd talk to the card would block this thread while the card answers, which deadlocks
   * when the card is simulated in this very process (sscard's own bridge).
   */
  async disconnect(disposition: PcscDisposition): Promise<void> {
    if (disposition !== 'leave') {
      try {
        await this.reconnectCard(disposition);
      } catch {
        // The card left or pcscd went away: there is no security state left to end.
      }
    }
    this.card.disconnect(this.binding.SCARD_LEAVE_CARD);
  }

  private reconnectCard(initialization: PcscDisposition): Promise<number> {
    const share =
      this.request.share === 'exclusive' ? this.binding.SCARD_SHARE_EXCLUSIVE : this.binding.SCARD_SHARE_SHARED;
    return this.card.reconnect(
      share,
      protocolMask(this.binding, this.request.protocols),
      dispositionCode(this.binding, initialization),
    );
  }
}

class SmartcardContext implements PcscContext {
  readonly pollMs = READER_POLL_MS;
  /** The binding's reader objects of the last listing: connect() uses the one just found. */
  private listed = new Map<string, ScReader>();

  constructor(
    private readonly binding: SmartcardBinding,
    private readonly context: ScContext,
  ) {}

  listReaders(): PcscReaderList {
    const readers = this.context.listReaders();
    this.listed = new Map(readers.map((r) => [r.name, r]));
    return {
      readers: readers.map((r) => ({ name: r.name, cardPresent: (r.state & this.binding.SCARD_STATE_PRESENT) !== 0 })),
      complete: true,
    };
  }

  async connect(name: string, request: PcscConnectRequest): Promise<PcscCardHandle> {
    const binding = this.binding;
    const reader = this.listed.get(name) ?? this.context.listReaders().find((r) => r.name === name);
    // The binding's own text for SCARD_E_UNKNOWN_READER, for a reader gone since the listing.
    if (reader === undefined) throw new Error('Unknown reader');
    const share = request.share === 'exclusive' ? binding.SCARD_SHARE_EXCLUSIVE : binding.SCARD_SHARE_SHARED;
    const card = await reader.connect(share, protocolMask(binding, request.protocols));
    try {
      const status = card.getStatus();
      const protocol = protocolName(status.protocol, binding);
      if (protocol === undefined) {
        throw new PcscTransportError(
          `the card in '${name}' runs protocol ${status.protocol}, neither T=0 nor T=1`,
          'unsupported-protocol',
          undefined,
        );
      }
      return new SmartcardHandle(binding, card, request, { atr: new Uint8Array(status.atr), protocol });
    } catch (error) {
      try {
        card.disconnect(binding.SCARD_LEAVE_CARD);
      } catch {
        // The handle is useless either way.
      }
      throw error;
    }
  }

  watch(reader: string, listener: (change: PcscReaderChange) => void): () => void {
    return startReaderMonitor(this.binding, (event) => {
      switch (event.type) {
        case 'reader-attached':
          // The monitor's first report: the card may have gone between connect and now.
          if (event.reader === reader && !event.cardPresent) listener({ type: 'card-removed' });
          return;
        case 'card-removed':
        case 'reader-detached':
          if (event.reader === reader) listener({ type: 'card-removed' });
          return;
        case 'card-inserted':
          if (event.reader === reader)
            listener(event.atr === undefined ? { type: 'card-present' } : { type: 'card-present', atr: event.atr });
          return;
        case 'error':
          return;
      }
    });
  }

  release(abandoned: boolean): void {
    // With exchanges still under way, releasing the context would block this thread inside the
    // PC/SC library until they end (like SCardDisconnect), which is never when the card that
    // should answer them is simulated in this very process. It is left to the process's end.
    if (abandoned) return;
    this.context.close();
  }
}

/** PC/SC on the `smartcard` binding, loaded on the first establish(). The default backend. */
export const smartcardBackend: PcscBackend = {
  label: 'pcsc',
  async establish(): Promise<PcscContext> {
    const binding = await loadSmartcard();
    return new SmartcardContext(binding, new binding.Context());
  },
};
