import { connect, type Socket } from 'node:net';
import { endianness } from 'node:os';
import { PcscTransportError } from './errors.js';
import {
  PCSCD_COMMAND,
  PCSCD_PROTOCOL_VERSION,
  PCSCD_SPOKEN_MINORS,
  READER_STATES_BYTES,
  WAIT_SIGNAL_BYTES,
  encodeBare,
  PcscdProtocolVersionError,
  PcscdReturnError,
  SCARD_E_NO_SERVICE,
  TRANSMIT_BYTES,
  VERSION_BYTES,
  decodeVersion,
  encodeVersion,
} from './pcscd-protocol.js';

/*
 * One connection to pcscd's socket: requests written as they come, replies read in order (pcscd
 * handles a connection's messages one at a time and answers each before it reads the next).
 * The read path is what an exchange costs, so it allocates nothing but the answer: Node's
 * static-buffer `onread` (no 'data' event, no Buffer per chunk), replies parsed where they land
 * and settled from inside the read callback when whole (one promise per call, no second wait),
 * bytes kept over only when a reply spans reads.
 *
 * A call other than a transmit is bounded (a pcscd that stops answering fails it); a transmit is
 * not, as a card may work for long, and the channel above bounds it. Any failure of the
 * connection (pcscd gone, a reply that does not fit, a call past its bound, which leaves the
 * replies out of step) fails every call under way and every later one, at once.
 */

const LE = endianness() === 'LE';

interface Pending {
  /** Bytes of a fixed reply; -1 for a transmit (its struct says how many follow). */
  size: number;
  operation: string;
  resolve(bytes: Uint8Array): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

function serviceError(operation: string, detail: string): PcscdReturnError {
  return new PcscdReturnError(operation, SCARD_E_NO_SERVICE, detail);
}

export class PcscdClient {
  private readonly queue: Pending[] = [];
  /** Bytes of a reply that spans reads (rare: replies are small and pcscd writes each at once). */
  private stash: Buffer = Buffer.alloc(0);
  private stashed = 0;
  private failure: Error | undefined;
  private readonly socket: Socket;

  /**
   * `holdsProcess`: whether a call under way keeps the process alive (a command connection does;
   * a reader watch, always waiting, does not).
   */
  private constructor(
    path: string,
    readBytes: number,
    private readonly holdsProcess: boolean,
  ) {
    this.socket = connect({
      path,
      onread: {
        buffer: Buffer.allocUnsafe(readBytes),
        callback: (n: number, buf: Uint8Array) => {
          this.received(buf as Buffer, n);
          return true;
        },
      },
    });
    this.socket.on('error', (error) => this.fail(serviceError('pcscd connection', error.message)));
    this.socket.on('close', () => this.fail(serviceError('pcscd connection', 'pcscd closed the connection')));
  }

  /**
   * Connects and agrees on the message protocol; fails with SCARD_E_NO_SERVICE when pcscd is not
   * there, and PcscdProtocolVersionError when it speaks no version this client does
   * (PCSCD_SPOKEN_MINORS says which and why).
   */
  static async open(
    path: string,
    opts: { timeoutMs: number; readBytes: number; holdsProcess: boolean },
  ): Promise<PcscdClient> {
    const { major, minor } = PCSCD_PROTOCOL_VERSION;
    const first = await PcscdClient.handshake(path, opts, major, minor);
    if (first instanceof PcscdClient) return first;
    // pcsc-lite 2.3.0 to 2.4.0 serve their own 4.5 only and say so: ask again for it, afresh.
    if (first.major === major && first.minor !== minor && PCSCD_SPOKEN_MINORS.includes(first.minor)) {
      const second = await PcscdClient.handshake(path, opts, major, first.minor);
      if (second instanceof PcscdClient) return second;
    }
    throw new PcscdProtocolVersionError(
      PCSCD_SPOKEN_MINORS.map((m) => `${major}.${m}`).join('/'),
      `${first.major}.${first.minor}`,
    );
  }

  /** One connection and its CMD_VERSION: the client when pcscd accepts `major.minor`, else what pcscd answered. */
  private static async handshake(
    path: string,
    opts: { timeoutMs: number; readBytes: number; holdsProcess: boolean },
    major: number,
    minor: number,
  ): Promise<PcscdClient | { major: number; minor: number }> {
    const client = new PcscdClient(path, opts.readBytes, opts.holdsProcess);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.destroy();
        reject(serviceError('connect to pcscd', `no connection to ${path} within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      client.socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.socket.once('error', (error) => {
        clearTimeout(timer);
        reject(serviceError('connect to pcscd', `${path}: ${error.message}`));
      });
    });
    client.socket.unref();
    const reply = decodeVersion(
      await client.call(encodeVersion(major, minor), VERSION_BYTES, 'CMD_VERSION', opts.timeoutMs),
    );
    // pcscd answers with its own version; success means it serves ours (2.4.1 and later accept an older minor).
    if (reply.rv === 0 && reply.major === major) {
      client.serverVersion = `${reply.major}.${reply.minor}`;
      client.version = `${major}.${minor}`;
      return client;
    }
    client.destroy();
    return { major: reply.major, minor: reply.minor };
  }

  /** The message protocol agreed on, e.g. '4.4'. */
  version = '';
  /** The version pcscd named in its answer (its own), e.g. '4.5'. */
  serverVersion = '';

  /** No reply outstanding: pcscd has read every request written so far. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Whether the connection failed or was closed (every call fails now). */
  get closed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Writes `request` (none: only waits for the next reply, e.g. a reader-state signal) and
   * answers the next `replyBytes` bytes pcscd sends; bounded by `timeoutMs` unless it is 0.
   */
  call(request: Uint8Array | undefined, replyBytes: number, operation: string, timeoutMs: number): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.failure !== undefined) return reject(this.failure);
      const pending: Pending = { size: replyBytes, operation, resolve, reject, timer: undefined };
      if (timeoutMs > 0) {
        pending.timer = setTimeout(() => {
          this.fail(
            new PcscTransportError(`${operation}: no answer from pcscd within ${timeoutMs} ms`, 'timeout', undefined),
          );
        }, timeoutMs);
      }
      this.enqueue(pending, request);
    });
  }

  /**
   * Writes a transmit request (header, transmit_struct, command) and answers the response bytes,
   * or fails with the return code pcscd gave. `request` is the caller's: it must stay unchanged
   * until this settles.
   */
  transmit(request: Uint8Array): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.failure !== undefined) return reject(this.failure);
      this.enqueue({ size: -1, operation: 'SCardTransmit', resolve, reject, timer: undefined }, request);
    });
  }

  /** Writes `last` if given (a release), then closes; the calls under way fail. */
  destroy(last?: Uint8Array): void {
    const open = this.failure === undefined;
    this.fail(
      new PcscTransportError('the pcscd connection was closed', 'closed', undefined),
      last === undefined || !open,
    );
    // pcscd reads the last request, then the end of the stream, and cleans up after this client.
    if (last !== undefined && open) this.socket.end(last);
  }

  private enqueue(pending: Pending, request: Uint8Array | undefined): void {
    this.queue.push(pending);
    if (this.holdsProcess && this.queue.length === 1) this.socket.ref();
    if (request !== undefined) this.socket.write(request);
  }

  private received(chunk: Buffer, n: number): void {
    if (this.stashed === 0) {
      const used = this.drain(chunk, n);
      if (used < n) this.keep(chunk, used, n);
      return;
    }
    this.keep(chunk, 0, n);
    const used = this.drain(this.stash, this.stashed);
    if (used === this.stashed) this.stashed = 0;
    else if (used > 0) {
      this.stash.copyWithin(0, used, this.stashed);
      this.stashed -= used;
    }
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    const need = this.stashed + (to - from);
    if (need > this.stash.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.stash.length * 2, 1024));
      this.stash.copy(bigger, 0, 0, this.stashed);
      this.stash = bigger;
    }
    chunk.copy(this.stash, this.stashed, from, to);
    this.stashed = need;
  }

  /** Settles the replies whole in `bytes[0, end)`; answers how many bytes they took. */
  private drain(bytes: Buffer, end: number): number {
    let at = 0;
    while (at < end) {
      const head = this.queue[0];
      if (head === undefined) {
        this.fail(serviceError('pcscd connection', `${end - at} bytes pcscd sent unasked`));
        return end;
      }
      const available = end - at;
      let size = head.size;
      let rv = 0;
      if (size === -1) {
        if (available < TRANSMIT_BYTES) return at;
        rv = LE ? bytes.readUInt32LE(at + 28) : bytes.readUInt32BE(at + 28);
        size = TRANSMIT_BYTES + (rv === 0 ? (LE ? bytes.readUInt32LE(at + 24) : bytes.readUInt32BE(at + 24)) : 0);
      }
      if (available < size) return at;
      this.queue.shift();
      if (head.timer !== undefined) clearTimeout(head.timer);
      if (this.holdsProcess && this.queue.length === 0) this.socket.unref();
      if (rv !== 0) head.reject(new PcscdReturnError(head.operation, rv));
      else if (head.size === -1) head.resolve(new Uint8Array(bytes.subarray(at + TRANSMIT_BYTES, at + size)));
      else head.resolve(new Uint8Array(bytes.subarray(at, at + size)));
      at += size;
    }
    return at;
  }

  private fail(error: Error, closeSocket = true): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.socket.unref();
    if (closeSocket) this.socket.destroy();
    for (const pending of this.queue.splice(0)) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}

/**
 * CMD_WAIT_READER_STATE_CHANGE: pcscd answers every reader's state at once, and signals the next
 * change later. Both are asked for together, as the signal may come in the same read as the
 * states. `timeoutMs` bounds the states' answer; the signal may take any time.
 */
export function waitForReaderChange(
  events: PcscdClient,
  timeoutMs: number,
): { states: Promise<Uint8Array>; signal: Promise<Uint8Array> } {
  const states = events.call(
    encodeBare(PCSCD_COMMAND.waitReaderStateChange),
    READER_STATES_BYTES,
    'CMD_WAIT_READER_STATE_CHANGE',
    timeoutMs,
  );
  const signal = events.call(undefined, WAIT_SIGNAL_BYTES, 'reader state change', 0);
  signal.catch(() => undefined);
  return { states, signal };
}
