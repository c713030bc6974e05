import type { PcscDisposition, PcscProtocol } from './transport-options.js';

/*
 * The seam under the PC/SC transport: what it needs of a PC/SC implementation. One small adapter
 * per native binding (smartcard-backend.ts, pcsclite-backend.ts) translates that binding's calls,
 * constants and quirks; PcscTransport (pcsc-transport.ts) holds the lifecycle once: the busy
 * guard, close and its grace period, reader lookup, error mapping, removal and reset handling.
 * Methods fail with whatever the implementation throws: the transport maps every failure through
 * the one PC/SC error table (error-table.ts), so an adapter throws the binding's error as it is.
 */

/** A PC/SC implementation, e.g. a native binding. */
export interface PcscBackend {
  /** Prefix of a transport's default name: 'pcsc' gives 'pcsc:<reader>'. */
  readonly label: string;
  /** A new context (SCardEstablishContext); an implementation that is a native binding is loaded here, on first use. */
  establish(): Promise<PcscContext>;
}

/** One reader as a context lists it. */
export interface PcscReaderState {
  readonly name: string;
  readonly cardPresent: boolean;
}

export interface PcscReaderList {
  readonly readers: readonly PcscReaderState[];
  /**
   * False while the implementation may still be announcing readers or their first state: a reader
   * missing or empty now may yet show up. The transport then keeps polling instead of failing.
   */
  readonly complete: boolean;
}

/** What a context reports about the watched reader. */
export type PcscReaderChange =
  /** The card left the reader, or the reader left the machine. */
  | { type: 'card-removed' }
  /** A card is in the reader (reported at least when one is inserted). */
  | { type: 'card-present'; atr?: Uint8Array };

export interface PcscConnectRequest {
  share: 'shared' | 'exclusive';
  /** The protocols the card may run (the SCardConnect mask). */
  protocols: readonly PcscProtocol[];
}

/** A PC/SC context: its readers, connections to their cards, and a watch on one reader. */
export interface PcscContext {
  /** How often the transport lists the readers again while it waits for a reader or a card. */
  readonly pollMs: number;
  listReaders(): PcscReaderList;
  /** SCardConnect to the card in `reader`. */
  connect(reader: string, request: PcscConnectRequest): Promise<PcscCardHandle>;
  /** Starts following `reader`; returns the function that stops it. */
  watch(reader: string, listener: (change: PcscReaderChange) => void): () => void;
  /**
   * SCardReleaseContext, and whatever else the implementation holds (threads, reader objects).
   * `abandoned`: exchanges were still under way when the transport stopped waiting for them.
   */
  release(abandoned: boolean): void;
}

/** What SCardStatus says of a connected card. */
export interface PcscCardStatus {
  atr: Uint8Array;
  protocol: PcscProtocol;
}

/** One connection to a card (an SCARDHANDLE). */
export interface PcscCardHandle {
  /** The protocol the card runs, as of the last connect or reconnect. */
  readonly protocol: PcscProtocol;
  /** The card's ATR, as the implementation last learnt it. */
  atr(): Uint8Array;
  /** C-APDU bytes in, R-APDU bytes out, unchanged; an answer shorter than 2 bytes is the transport's to judge. */
  transmit(command: Uint8Array, maxRecvLength: number): Promise<Uint8Array>;
  /**
   * SCardReconnect: 'reset' is a warm reset, 'unpower' a cold one, 'leave' acknowledges a reset
   * that another program did (so the handle works again). `protocol` and `atr()` follow.
   */
  reconnect(initialization: PcscDisposition): Promise<void>;
  /** Asks about the card now; fails with the implementation's error when it is gone. */
  status(): PcscCardStatus;
  /** SCardDisconnect, doing `disposition` to the card. */
  disconnect(disposition: PcscDisposition): Promise<void>;
}
