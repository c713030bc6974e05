import * as net from 'node:net';
import type { CardEndpoint } from '../apdu/index.js';
import { VpcdError } from './errors.js';
import { FrameDecoder, frameForSocket } from './frame.js';
import { answerVpcdMessage, formatVpcdEvent } from './protocol.js';
import type { VpcdEvent } from './protocol.js';

/**
 * Puts a card behind a real PC/SC reader: pcscd's vsmartcard vpcd driver listens on TCP (reader
 * "Virtual PCD 00 00" on 35963, "Virtual PCD 00 01" on 35964) and the card connects to it as the
 * client. Opening the connection inserts the card; closing it removes the card.
 */

/**
 * Cards connect to 127.0.0.2, not 127.0.0.1: the lab gives that /32 a `quickack 1` route, so the
 * card's socket ACKs at once. Without it every APDU waits ~44 ms, because vpcd writes the length
 * and the payload in two sends (Nagle) and the card side delays its ACK (40 ms). Node cannot set
 * TCP_QUICKACK on a socket. Any 127/8 address reaches pcscd (it listens on 0.0.0.0).
 */
export const VPCD_DEFAULT_HOST = '127.0.0.2';
/** Port of slot 0 ("Virtual PCD 00 00"); slot n listens on 35963 + n. */
export const VPCD_DEFAULT_PORT = 35963;

/** Exponential backoff between connection attempts: initial * factor^k, capped at maxDelayMs. */
export interface VpcdReconnectOptions {
  /** Delay before the first retry after a lost connection or a failed attempt. Default 100 ms. */
  initialDelayMs?: number;
  /** Upper bound of the delay. Default 5000 ms. */
  maxDelayMs?: number;
  /** Growth per consecutive failed attempt. Default 2. */
  factor?: number;
  /** Consecutive failed attempts after which the bridge gives up and closes. Default: never. */
  maxAttempts?: number;
}

export interface VpcdConnectOptions {
  card: CardEndpoint;
  /** Default 127.0.0.2 (see VPCD_DEFAULT_HOST). */
  host?: string;
  /** Default 35963 (slot 0). */
  port?: number;
  /** Backoff for retries, or false to stop at the first lost connection. Default: retry forever. */
  reconnect?: VpcdReconnectOptions | false;
  /** Bound on `start()`: the first connection must be up within this. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** Bound on one TCP connect attempt. Default 3000 ms. */
  attemptTimeoutMs?: number;
  /** Receives one line per event (PIN data masked). ATR polls are left out unless `logPolls`. */
  log?: (line: string) => void;
  /** Also log pcscd's ATR presence polls (about 2.5 a second). Default false. */
  logPolls?: boolean;
}

export type VpcdConnectionState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

const CLOSE_GRACE_MS = 1000;
/** One read from the socket: a whole frame of the largest size vpcd can send, length included. */
const READ_BUFFER_BYTES = 2 + 0xffff;

interface StartState {
  promise: Promise<void>;
  settle?: ((error?: Error) => void) | undefined;
  deadline?: NodeJS.Timeout;
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Connects `options.card` to a vpcd reader and resolves once the TCP connection is up. */
export async function connectToVpcd(options: VpcdConnectOptions): Promise<VpcdConnection> {
  const connection = new VpcdConnection(options);
  await connection.start();
  return connection;
}

/**
 * One card behind one vpcd reader slot. Lost connections (pcscd restarted, socket reset) are
 * retried with exponential backoff and reported as events; they never throw. The card is powered
 * off whenever it leaves the reader (connection lost or closed), as a pulled card loses power.
 */
export class VpcdConnection {
  readonly host: string;
  readonly port: number;
  readonly card: CardEndpoint;

  readonly #reconnect: Required<VpcdReconnectOptions> | false;
  readonly #connectTimeoutMs: number;
  readonly #attemptTimeoutMs: number;
  readonly #log: ((line: string) => void) | undefined;
  readonly #logPolls: boolean;
  /** Each listener, with whether it takes the per-exchange events. */
  readonly #listeners = new Map<(e: VpcdEvent) => void, boolean>();
  #exchangeListeners = 0;
  readonly #decoder = new FrameDecoder();
  /** Where the socket reads into; a frame's bytes are copied out before the next read. */
  // A plain Uint8Array, not a Buffer: a view of it per read is a builtin's work, where a Buffer
  // view runs Buffer's own constructor.
  readonly #readBuffer = new Uint8Array(READ_BUFFER_BYTES);
  readonly #attachWaiters = new Set<Waiter>();

  #state: VpcdConnectionState = 'idle';
  #socket: net.Socket | undefined;
  #attached = false;
  /** Consecutive attempts that did not connect, since the last connection that did. */
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #start: StartState | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: VpcdConnectOptions) {
    const card = options?.card;
    if (card === undefined || typeof card.transmit !== 'function' || typeof card.powerOn !== 'function') {
      throw new VpcdError(
        'VPCD_OPTIONS',
        'options.card must be a card endpoint (atr, powerOn, powerOff, reset, transmit)',
      );
    }
    this.card = card;
    this.host = options.host ?? VPCD_DEFAULT_HOST;
    this.port = options.port ?? VPCD_DEFAULT_PORT;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      throw new VpcdError('VPCD_OPTIONS', `options.port must be an integer 1..65535, got ${String(options.port)}`);
    }
    this.#connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 10_000);
    this.#attemptTimeoutMs = positive('attemptTimeoutMs', options.attemptTimeoutMs, 3_000);
    if (options.reconnect === false) {
      this.#reconnect = false;
    } else {
      const r = options.reconnect ?? {};
      this.#reconnect = {
        initialDelayMs: positive('reconnect.initialDelayMs', r.initialDelayMs, 100),
        maxDelayMs: positive('reconnect.maxDelayMs', r.maxDelayMs, 5_000),
        factor: positive('reconnect.factor', r.factor, 2),
        maxAttempts: positive('reconnect.maxAttempts', r.maxAttempts, Number.POSITIVE_INFINITY),
      };
    }
    this.#log = options.log;
    this.#logPolls = options.logPolls === true;
  }

  get state(): VpcdConnectionState {
    return this.#state;
  }

  /** Whether pcscd has talked to the card on the current connection (the reader holds the card). */
  get attached(): boolean {
    return this.#attached;
  }

  /**
   * Subscribes to events; returns the unsubscribe function. A throwing listener is reported as a
   * process warning. `exchanges: false`: the listener is not given the per-exchange events
   * (control, command, response); while no listener (and no log) takes them the bridge makes none,
   * so a card served without a trace spends nothing per APDU on one.
   */
  onEvent(listener: (e: VpcdEvent) => void, options: { exchanges?: boolean } = {}): () => void {
    const exchanges = options.exchanges ?? true;
    // A listener added twice keeps one subscription, as a Set holds it once.
    if (!this.#listeners.has(listener)) {
      this.#listeners.set(listener, exchanges);
      if (exchanges) this.#exchangeListeners += 1;
    }
    return () => {
      const had = this.#listeners.get(listener);
      if (had === undefined) return;
      this.#listeners.delete(listener);
      if (had) this.#exchangeListeners -= 1;
    };
  }

  /**
   * Opens the connection (retrying with backoff) and resolves when TCP is up; rejects with
   * VPCD_CONNECT_TIMEOUT after `connectTimeoutMs` (and closes), or VPCD_CONNECT_FAILED when
   * reconnecting is off. Calling it again returns the same promise.
   */
  start(): Promise<void> {
    if (this.#start !== undefined) return this.#start.promise;
    if (this.#state === 'closed') return Promise.reject(new VpcdError('VPCD_CLOSED', 'the vpcd bridge is closed'));
    const start: StartState = { promise: Promise.resolve() };
    start.promise = new Promise<void>((resolve, reject) => {
      start.settle = (error) => {
        clearTimeout(start.deadline);
        start.settle = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    start.deadline = setTimeout(() => {
      start.settle?.(
        new VpcdError(
          'VPCD_CONNECT_TIMEOUT',
          `no connection to the vpcd reader at ${this.host}:${this.port} within ${this.#connectTimeoutMs} ms; is pcscd with vsmartcard-vpcd running (scripts/pcsc-lab up)?`,
        ),
      );
      void this.close();
    }, this.#connectTimeoutMs);
    this.#start = start;
    this.#connect();
    return start.promise;
  }

  /**
   * Resolves once pcscd has talked to the card on the current connection (it polls every ~0.4 s,
   * so this follows a connect within about half a second). Rejects with VPCD_ATTACH_TIMEOUT when it
   * does not happen in time, e.g. because another card occupies the slot.
   */
  waitAttached(timeoutMs = 5_000): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(new VpcdError('VPCD_CLOSED', 'the vpcd bridge is closed'));
    if (this.#attached) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#attachWaiters.delete(waiter);
          reject(
            new VpcdError(
              'VPCD_ATTACH_TIMEOUT',
              `pcscd did not talk to the card at ${this.host}:${this.port} within ${timeoutMs} ms (state ${this.#state}); another card may hold this reader slot`,
            ),
          );
        }, timeoutMs),
      };
      this.#attachWaiters.add(waiter);
    });
  }

  /** Removes the card: stops retrying, ends the socket (destroyed if pcscd does not close within 1 s), powers the card off. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#state = 'closed';
    clearTimeout(this.#retryTimer);
    this.#start?.settle?.(new VpcdError('VPCD_CLOSED', 'the vpcd bridge was closed before it connected'));
    for (const w of this.#attachWaiters) {
      clearTimeout(w.timer);
      w.reject(new VpcdError('VPCD_CLOSED', 'the vpcd bridge was closed'));
    }
    this.#attachWaiters.clear();
    const socket = this.#socket;
    this.#closing = new Promise<void>((resolve) => {
      const done = (): void => {
        this.#socket = undefined;
        this.#attached = false;
        this.#powerOff();
        this.#emit({ type: 'closed' });
        resolve();
      };
      if (socket === undefined || socket.destroyed) {
        done();
        return;
      }
      const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      socket.once('close', () => {
        clearTimeout(grace);
        done();
      });
      // Still connecting: nothing to end cleanly yet.
      if (socket.connecting) socket.destroy();
      else socket.end();
    });
    return this.#closing;
  }

  #connect(): void {
    if (this.#state === 'closed') return;
    this.#state = 'connecting';
    const attempt = this.#failures + 1;
    this.#emit({ type: 'connecting', host: this.host, port: this.port, attempt });
    // pcscd's bytes are read into one buffer of this connection and handed to the frame decoder
    // (which copies every frame out) without a Readable stream: no Buffer per read, no 'data'
    // event, no stream bookkeeping. That path ran on every one of vpcd's two sends per APDU and
    // cost the card more than its own answer (see docs/benchmarks.md).
    const socket = net.createConnection({
      host: this.host,
      port: this.port,
      onread: {
        buffer: this.#readBuffer,
        callback: (nread: number, buffer: Uint8Array): boolean => {
          this.#onData(socket, buffer.subarray(0, nread));
          return true;
        },
      },
    });
    this.#socket = socket;
    // Our replies go out in one write each; no reason to let Nagle hold them.
    socket.setNoDelay(true);
    socket.setTimeout(this.#attemptTimeoutMs);
    let connected = false;
    let lastError: Error | undefined;
    socket.once('timeout', () => {
      if (!connected)
        socket.destroy(
          new Error(`TCP connect to ${this.host}:${this.port} timed out after ${this.#attemptTimeoutMs} ms`),
        );
    });
    socket.once('connect', () => {
      connected = true;
      socket.setTimeout(0);
      if (this.#state === 'closed') return;
      this.#state = 'connected';
      this.#failures = 0;
      this.#attached = false;
      this.#decoder.reset();
      this.#emit({ type: 'connected', host: this.host, port: this.port, attempt });
      this.#start?.settle?.();
    });
    socket.on('error', (error) => {
      lastError = error;
    });
    socket.once('close', () => this.#onClose(socket, connected, lastError));
  }

  #onData(socket: net.Socket, chunk: Uint8Array): void {
    if (socket !== this.#socket || this.#state !== 'connected') return;
    const frames = this.#decoder.push(chunk);
    const trace = this.#exchangeListeners > 0 || this.#log !== undefined;
    for (const frame of frames) {
      if (!this.#attached) this.#markAttached();
      const reply = answerVpcdMessage(this.card, frame, this.#emitBound, trace);
      if (socket.destroyed) return;
      // answerVpcdMessage never returns more than a frame holds.
      if (reply !== undefined) socket.write(frameForSocket(reply));
    }
  }

  #markAttached(): void {
    this.#attached = true;
    this.#emit({ type: 'attached' });
    for (const w of this.#attachWaiters) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.#attachWaiters.clear();
  }

  #onClose(socket: net.Socket, wasConnected: boolean, error: Error | undefined): void {
    if (socket !== this.#socket || this.#state === 'closed') return;
    this.#socket = undefined;
    this.#attached = false;
    if (wasConnected) this.#powerOff();
    else this.#failures += 1;
    const retry = this.#retryDelay();
    const willRetry = retry !== undefined;
    if (wasConnected) {
      this.#emit({
        type: 'disconnected',
        reason: error === undefined ? 'peer' : 'error',
        ...(error === undefined ? {} : { error }),
        willRetry,
        ...(willRetry ? { retryInMs: retry } : {}),
      });
    } else {
      this.#emit({
        type: 'connect-failed',
        attempt: this.#failures,
        error: error ?? new Error(`connection to ${this.host}:${this.port} closed before it opened`),
        willRetry,
        ...(willRetry ? { retryInMs: retry } : {}),
      });
    }
    if (!willRetry) {
      const cause = error ?? new Error('connection closed');
      this.#start?.settle?.(
        new VpcdError(
          'VPCD_CONNECT_FAILED',
          `could not connect to the vpcd reader at ${this.host}:${this.port}: ${cause.message}`,
          { cause },
        ),
      );
      void this.close();
      return;
    }
    this.#state = 'waiting';
    this.#retryTimer = setTimeout(() => this.#connect(), retry);
  }

  /** Delay before the next attempt, or undefined when the bridge should give up. */
  #retryDelay(): number | undefined {
    const r = this.#reconnect;
    if (r === false || this.#failures >= r.maxAttempts) return undefined;
    return Math.min(r.maxDelayMs, Math.round(r.initialDelayMs * r.factor ** this.#failures));
  }

  #powerOff(): void {
    try {
      if (this.card.powered) this.card.powerOff();
    } catch (error) {
      this.#emit({ type: 'warning', code: 'CARD_THREW', message: 'the card threw on power-off at removal', error });
    }
  }

  readonly #emitBound = (e: VpcdEvent): void => this.#emit(e);

  #emit(e: VpcdEvent): void {
    if (this.#listeners.size === 0 && this.#log === undefined) {
      // Nobody listens: a warning (the card misbehaved) still must not vanish.
      if (e.type === 'warning') process.emitWarning(formatVpcdEvent(e), { code: e.code });
      return;
    }
    const exchange = e.type === 'command' || e.type === 'response' || e.type === 'control';
    for (const [listener, exchanges] of this.#listeners) {
      if (exchange && !exchanges) continue;
      try {
        listener(e);
      } catch (error) {
        process.emitWarning(`a vpcd event listener threw on '${e.type}': ${String(error)}`);
      }
    }
    if (this.#log !== undefined && (this.#logPolls || e.type !== 'control' || e.control !== 'atr-request')) {
      try {
        this.#log(formatVpcdEvent(e));
      } catch (error) {
        process.emitWarning(`the vpcd log function threw: ${String(error)}`);
      }
    }
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new VpcdError('VPCD_OPTIONS', `options.${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}
