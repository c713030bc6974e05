import { isPinCommand } from '../../apdu/index.js';
import type {
  PcscBackend,
  PcscCardHandle,
  PcscCardStatus,
  PcscConnectRequest,
  PcscContext,
  PcscReaderChange,
  PcscReaderList,
} from './backend.js';
import { PcscTransportError } from './errors.js';
import { PcscdClient, waitForReaderChange } from './pcscd-client.js';
import {
  CONNECT_BYTES,
  DISCONNECT_BYTES,
  ESTABLISH_BYTES,
  MAX_COMMAND_BYTES,
  PCSCD_COMMAND,
  READER_STATES_BYTES,
  RECONNECT_BYTES,
  SCARD_E_INSUFFICIENT_BUFFER,
  SCARD_E_UNKNOWN_READER,
  SCARD_LEAVE_CARD,
  SCARD_PRESENT,
  SCARD_PROTOCOL_T0,
  SCARD_PROTOCOL_T1,
  SCARD_RESET_CARD,
  SCARD_SCOPE_SYSTEM,
  SCARD_SHARE_EXCLUSIVE,
  SCARD_SHARE_SHARED,
  SCARD_UNPOWER_CARD,
  SCARD_W_REMOVED_CARD,
  TRANSMIT_HEAD_BYTES,
  PcscdReturnError,
  decodeConnect,
  decodeEstablish,
  decodeReaderStates,
  decodeReconnect,
  encodeBare,
  encodeConnect,
  encodeDisconnect,
  encodeEstablish,
  encodeReconnect,
  encodeRelease,
  lastWordRv,
  pcscdSocketPath,
  writeTransmitHead,
  writeTransmitLength,
  type PcscdReaderState,
} from './pcscd-protocol.js';
import type { PcscDisposition, PcscProtocol } from './transport-options.js';

/*
 * The PC/SC backend that speaks pcsc-lite's socket protocol itself (Linux, message protocol 4.4,
 * or 4.5 where pcscd serves only that; pcscd-protocol.ts): no native binding, so nothing to compile, and no
 * thread-pool hop per exchange, the event loop reads pcscd's answer itself. A context is two
 * connections to pcscd, as libpcsclite's own would be: one for the context and its cards (calls
 * answered in order), one parked in CMD_WAIT_READER_STATE_CHANGE, which pcscd answers with every
 * reader's state at once and then signals on each change (insertion, removal, readers coming and
 * going); the reader list and the watch read that. SCardStatus gives only a return code over
 * this protocol (the client library reads the ATR from the reader states), so status() answers
 * from the latest reader states: a card whose reader is empty, gone, or counted another
 * insertion since the connect is removed.
 */

/** Bound on every call but a transmit (the channel bounds those). */
const CALL_TIMEOUT_MS = 10_000;
/** How often the transport looks at the reader list again while it waits for a card. */
const READER_POLL_MS = 20;
/** Room a transmit request is made with: a short APDU with 255 data bytes and Le. */
const SHORT_COMMAND_BYTES = 261;
/** Read buffer of the command connection: an extended-length answer arrives in one read. */
const COMMAND_READ_BYTES = 65536 + 64;

function protocolCode(protocols: readonly PcscProtocol[]): number {
  return (protocols.includes('T=0') ? SCARD_PROTOCOL_T0 : 0) | (protocols.includes('T=1') ? SCARD_PROTOCOL_T1 : 0);
}

function dispositionOf(disposition: PcscDisposition): number {
  return disposition === 'reset' ? SCARD_RESET_CARD : disposition === 'unpower' ? SCARD_UNPOWER_CARD : SCARD_LEAVE_CARD;
}

function check(operation: string, rv: number): void {
  if (rv !== 0) throw new PcscdReturnError(operation, rv);
}

function protocolName(code: number): PcscProtocol | undefined {
  return code === SCARD_PROTOCOL_T0 ? 'T=0' : code === SCARD_PROTOCOL_T1 ? 'T=1' : undefined;
}

interface Watcher {
  reader: string;
  present: boolean;
  eventCounter: number;
  listener: (change: PcscReaderChange) => void;
}

class PcscdSocketHandle implements PcscCardHandle {
  /** The transmit request, made once and reused while the connection has no reply outstanding. */
  private request: Buffer = Buffer.alloc(0);
  private requestMaxRecv = -1;

  constructor(
    private readonly context: PcscdSocketContext,
    private readonly reader: string,
    private readonly card: number,
    private readonly connectRequest: PcscConnectRequest,
    private protocolValue: number,
    private atrValue: Uint8Array,
    /** The reader's insertion count when this handle was made: another one means another card. */
    private eventCounter: number,
  ) {}

  get protocol(): PcscProtocol {
    return protocolName(this.protocolValue) ?? 'T=1';
  }

  atr(): Uint8Array {
    return this.atrValue;
  }

  transmit(command: Uint8Array, maxRecvLength: number): Promise<Uint8Array> {
    // libpcsclite refuses such a command too; pcscd would drop the whole connection for it.
    if (command.length > MAX_COMMAND_BYTES)
      return Promise.reject(new PcscdReturnError('SCardTransmit', SCARD_E_INSUFFICIENT_BUFFER, 'command too long'));
    const client = this.context.client;
    const size = TRANSMIT_HEAD_BYTES + command.length;
    if (isPinCommand(command)) return this.transmitOnce(command, maxRecvLength);
    let request = this.request;
    // With no reply outstanding every earlier request was read whole by pcscd: its buffer is free.
    if (!client.idle || size > request.length || this.requestMaxRecv !== maxRecvLength) {
      request = Buffer.alloc(Math.max(size, TRANSMIT_HEAD_BYTES + SHORT_COMMAND_BYTES));
      writeTransmitHead(request, this.card, this.protocolValue, maxRecvLength);
      if (client.idle) {
        this.request = request;
        this.requestMaxRecv = maxRecvLength;
      }
    }
    writeTransmitLength(request, command.length);
    request.set(command, TRANSMIT_HEAD_BYTES);
    return client.transmit(request.subarray(0, size));
  }

  /**
   * A command that carries a PIN goes in a request of its own, wiped once pcscd has answered (it
   * has read it whole by then): the PIN is not left in the reused buffer until a longer command
   * happens to overwrite it, as the channel wipes its own copy.
   */
  private transmitOnce(command: Uint8Array, maxRecvLength: number): Promise<Uint8Array> {
    const request = Buffer.alloc(TRANSMIT_HEAD_BYTES + command.length);
    writeTransmitHead(request, this.card, this.protocolValue, maxRecvLength);
    writeTransmitLength(request, command.length);
    request.set(command, TRANSMIT_HEAD_BYTES);
    const answer = this.context.client.transmit(request);
    const wipe = (): void => {
      request.fill(0);
    };
    answer.then(wipe, wipe);
    return answer;
  }

  async reconnect(initialization: PcscDisposition): Promise<void> {
    const reply = await this.context.client.call(
      encodeReconnect(
        this.card,
        this.connectRequest.share === 'exclusive' ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED,
        protocolCode(this.connectRequest.protocols),
        dispositionOf(initialization),
      ),
      RECONNECT_BYTES,
      'SCardReconnect',
      CALL_TIMEOUT_MS,
    );
    const { protocol, rv } = decodeReconnect(reply);
    check('SCardReconnect', rv);
    this.protocolValue = protocol;
    this.requestMaxRecv = -1;
    const state = await this.context.readerNow(this.reader);
    this.atrValue = state.atr;
    this.eventCounter = state.eventCounter;
  }

  status(): PcscCardStatus {
    const state = this.context.latest(this.reader);
    if (state === undefined || (state.state & SCARD_PRESENT) === 0 || state.eventCounter !== this.eventCounter)
      throw new PcscdReturnError('SCardStatus', SCARD_W_REMOVED_CARD);
    return { atr: this.atrValue, protocol: this.protocol };
  }

  async disconnect(disposition: PcscDisposition): Promise<void> {
    // A closed connection took its cards with it (pcscd leaves them as they are).
    if (this.context.client.closed) return;
    const reply = await this.context.client.call(
      encodeDisconnect(this.card, dispositionOf(disposition)),
      DISCONNECT_BYTES,
      'SCardDisconnect',
      CALL_TIMEOUT_MS,
    );
    check('SCardDisconnect', lastWordRv(reply));
  }
}

class PcscdSocketContext implements PcscContext {
  readonly pollMs = READER_POLL_MS;
  private states: PcscdReaderState[];
  private readonly watchers = new Set<Watcher>();
  private watchFailure: Error | undefined;
  private released = false;

  constructor(
    readonly client: PcscdClient,
    private readonly events: PcscdClient,
    private readonly context: number,
    first: PcscdReaderState[],
    signal: Promise<Uint8Array>,
  ) {
    this.states = first;
    void this.follow(signal);
  }

  listReaders(): PcscReaderList {
    if (this.watchFailure !== undefined) throw this.watchFailure;
    return {
      readers: this.states.map((s) => ({ name: s.name, cardPresent: (s.state & SCARD_PRESENT) !== 0 })),
      complete: true,
    };
  }

  latest(reader: string): PcscdReaderState | undefined {
    return this.states.find((s) => s.name === reader);
  }

  /** The reader's state asked of pcscd now (the watch's may be a poll behind). */
  async readerNow(reader: string): Promise<PcscdReaderState> {
    const reply = await this.client.call(
      encodeBare(PCSCD_COMMAND.getReadersState),
      READER_STATES_BYTES,
      'CMD_GET_READERS_STATE',
      CALL_TIMEOUT_MS,
    );
    const state = decodeReaderStates(reply).find((s) => s.name === reader);
    if (state === undefined)
      throw new PcscdReturnError('SCardConnect', SCARD_E_UNKNOWN_READER, `reader '${reader}' is gone`);
    return state;
  }

  async connect(reader: string, request: PcscConnectRequest): Promise<PcscCardHandle> {
    const share = request.share === 'exclusive' ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED;
    const reply = decodeConnect(
      await this.client.call(
        encodeConnect(this.context, reader, share, protocolCode(request.protocols)),
        CONNECT_BYTES,
        'SCardConnect',
        CALL_TIMEOUT_MS,
      ),
    );
    check('SCardConnect', reply.rv);
    const handle = async (): Promise<PcscCardHandle> => {
      if (protocolName(reply.protocol) === undefined) {
        throw new PcscTransportError(
          `the card in '${reader}' runs protocol ${reply.protocol}, neither T=0 nor T=1`,
          'unsupported-protocol',
          undefined,
        );
      }
      const state = await this.readerNow(reader);
      return new PcscdSocketHandle(this, reader, reply.card, request, reply.protocol, state.atr, state.eventCounter);
    };
    try {
      return await handle();
    } catch (error) {
      await this.client
        .call(encodeDisconnect(reply.card, SCARD_LEAVE_CARD), DISCONNECT_BYTES, 'SCardDisconnect', CALL_TIMEOUT_MS)
        .catch(() => undefined);
      throw error;
    }
  }

  watch(reader: string, listener: (change: PcscReaderChange) => void): () => void {
    const state = this.latest(reader);
    const watcher: Watcher = {
      reader,
      present: state !== undefined && (state.state & SCARD_PRESENT) !== 0,
      eventCounter: state?.eventCounter ?? -1,
      listener,
    };
    this.watchers.add(watcher);
    // The card may have left between the connect and now.
    if (!watcher.present) listener({ type: 'card-removed' });
    return () => {
      this.watchers.delete(watcher);
    };
  }

  /** Ends both connections; pcscd releases the context and leaves its cards as they are. */
  release(): void {
    this.released = true;
    this.watchers.clear();
    this.events.destroy();
    this.client.destroy(encodeRelease(this.context));
  }

  /** Waits for pcscd's signal, asks for the states again (and the next signal), until the connection fails. */
  private async follow(signal: Promise<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        await signal;
        const next = waitForReaderChange(this.events, CALL_TIMEOUT_MS);
        signal = next.signal;
        this.update(decodeReaderStates(await next.states));
      }
    } catch (error) {
      if (!this.released) this.watchFailure = error as Error;
      // pcscd went away: every card with it.
      this.update([]);
    }
  }

  private update(states: PcscdReaderState[]): void {
    this.states = states;
    for (const w of [...this.watchers]) {
      const state = states.find((s) => s.name === w.reader);
      const present = state !== undefined && (state.state & SCARD_PRESENT) !== 0;
      const counter = state?.eventCounter ?? -1;
      if (present === w.present && counter === w.eventCounter) continue;
      // Pulled and put back between two signals: a removal, then the new card.
      if (w.present && present) w.listener({ type: 'card-removed' });
      w.present = present;
      w.eventCounter = counter;
      w.listener(present ? { type: 'card-present', atr: (state as PcscdReaderState).atr } : { type: 'card-removed' });
    }
  }
}

/** Opens the two connections of a context: version checked on both, the context established, the readers known. */
async function establish(): Promise<PcscContext> {
  const path = pcscdSocketPath();
  const client = await PcscdClient.open(path, {
    timeoutMs: CALL_TIMEOUT_MS,
    readBytes: COMMAND_READ_BYTES,
    holdsProcess: true,
  });
  let events: PcscdClient | undefined;
  try {
    const { context, rv } = decodeEstablish(
      await client.call(encodeEstablish(SCARD_SCOPE_SYSTEM), ESTABLISH_BYTES, 'SCardEstablishContext', CALL_TIMEOUT_MS),
    );
    check('SCardEstablishContext', rv);
    events = await PcscdClient.open(path, { timeoutMs: CALL_TIMEOUT_MS, readBytes: 4096, holdsProcess: false });
    const first = waitForReaderChange(events, CALL_TIMEOUT_MS);
    return new PcscdSocketContext(client, events, context, decodeReaderStates(await first.states), first.signal);
  } catch (error) {
    events?.destroy();
    client.destroy();
    throw error;
  }
}

/**
 * PC/SC over pcscd's socket, with no native binding (Linux, pcsc-lite 1.8.24 to 2.x): the default
 * wherever pcscd answers on it (auto-backend.ts); `{ backend: 'pcscd-socket' }` or
 * `PcscdSocketTransport.connect()` insists on it. The socket is PCSCLITE_CSOCK_NAME, else
 * /run/pcscd/pcscd.comm.
 */
export const pcscdSocketBackend: PcscBackend = {
  label: 'pcscd',
  establish,
};
