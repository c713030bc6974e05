import { AsyncLocalStorage } from 'node:async_hooks';
import {
  SW,
  SscardError,
  commandName,
  decodeResponse,
  encodeCommand,
  isPinCommand,
  mustMaskCommand,
  type CommandApdu,
  type ResponseApdu,
} from '../apdu/index.js';
import {
  CardProtocolError,
  CardRemovedError,
  CardResetError,
  ChannelClosedError,
  InvalidArgumentError,
  TimeoutError,
  TransportError,
  errorForStatus,
} from './errors.js';
import { throwIfAborted, type AbortOptions } from './abort.js';
import { traceCommand, traceResponse, type TraceEvent, type TraceObserver } from './trace.js';
import { ListenerSet } from './listener-set.js';
import { Mutex } from './channel-lock.js';
import { DeadlineWatch } from './deadline-watch.js';
import { completeResponse, type ResponseLimits } from './t0-response.js';
import type { CardEvent, Transport } from './transport.js';

/*
 * The layer every transport shares: T=0 response handling (61xx / 6Cxx), one caller at a time per
 * card, a time limit on every command, tracing, and status words turned into typed errors. The
 * 61xx/6Cxx steps are in t0-response.ts, the callers' queue in channel-lock.ts.
 */

export interface CardChannelOptions {
  /**
   * Time limit of one command including its GET RESPONSE chain and 6Cxx resend (default 5000 ms).
   * Waiting in the queue behind other callers does not count.
   */
  timeoutMs?: number;
  /** Most GET RESPONSE commands after one command (default 32). */
  maxGetResponseRounds?: number;
  /** Most response data bytes one command may gather (default 65536). */
  maxResponseBytes?: number;
}

export interface TransmitOptions {
  /** Overrides the channel's time limit for this command. */
  timeoutMs?: number;
  /**
   * Aborts waiting for the card (behind other callers) and, if it fires before the command goes
   * out, the command itself: AbortError, nothing sent. Once sent, the command completes within its
   * time limit and its response is returned: a command on the wire is never torn (a real card
   * would have acted on it anyway, e.g. counted a VERIFY try).
   */
  signal?: AbortSignal;
}

/** What a caller inside `exclusive()` uses; its commands cannot be interleaved with anyone else's. */
export interface CardSession {
  /** Sends a command; returns the final response (after GET RESPONSE/6Cxx handling) whatever its SW. */
  transmit(command: CommandApdu | Uint8Array, opts?: TransmitOptions): Promise<ResponseApdu>;
  /** Sends a command; returns the response data on 9000 and throws the typed error of any other SW. */
  send(command: CommandApdu, opts?: TransmitOptions): Promise<Uint8Array>;
  /** Resets the card inside the session; the session continues on the fresh card state. */
  reset(kind?: 'warm' | 'cold'): Promise<Uint8Array>;
}

interface SessionState {
  active: boolean;
  /** Card generation when the session began (or last reset itself). */
  generation: number;
  /** The block's AbortSignal: checked before each of its commands. */
  signal: AbortSignal | undefined;
}

interface InFlight {
  abort(error: SscardError): void;
}

const DEFAULTS = { timeoutMs: 5000, maxGetResponseRounds: 32, maxResponseBytes: 65536 } as const;

function checkPositiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * One card, reached through one transport. Every public method is safe to call concurrently:
 * commands are queued, and `exclusive(fn)` gives a caller the card for a multi-command operation
 * (SELECT then READ, VERIFY then READ) that nobody can interleave with. Calls made inside `fn`
 * on this channel, directly or through code it calls, join the running block instead of queueing
 * behind it.
 */
export class CardChannel {
  readonly transport: Transport;
  private readonly timeoutMs: number;
  /** GET RESPONSE rounds and response bytes one command may take. */
  private readonly limits: ResponseLimits;
  /** Outer lock: standalone commands and exclusive blocks. */
  private readonly sessionLock = new Mutex();
  /** Inner lock: one command (with its GET RESPONSE chain) on the wire at a time, even inside a block. */
  private readonly wireLock = new Mutex();
  private readonly context = new AsyncLocalStorage<SessionState>();
  private readonly observers = new ListenerSet<TraceEvent>();
  private readonly unsubscribeTransport: () => void;
  private inFlight: InFlight | undefined;
  private readonly deadlines = new DeadlineWatch();
  private seq = 0;
  private closed = false;
  private cardGeneration = 0;

  constructor(transport: Transport, opts: CardChannelOptions = {}) {
    this.transport = transport;
    this.timeoutMs = checkPositiveInteger('timeoutMs', opts.timeoutMs ?? DEFAULTS.timeoutMs);
    this.limits = {
      maxRounds: checkPositiveInteger(
        'maxGetResponseRounds',
        opts.maxGetResponseRounds ?? DEFAULTS.maxGetResponseRounds,
      ),
      maxBytes: checkPositiveInteger('maxResponseBytes', opts.maxResponseBytes ?? DEFAULTS.maxResponseBytes),
    };
    this.unsubscribeTransport = transport.onEvent((event) => this.onCardEvent(event));
  }

  /**
   * Counts card resets, removals and insertions seen so far. State learnt from the card (selected
   * file, verified PIN) is valid only while this number is unchanged.
   */
  get generation(): number {
    return this.cardGeneration;
  }

  atr(): Uint8Array {
    if (this.closed) throw new ChannelClosedError();
    return this.transport.atr();
  }

  /** Registers a trace observer; returns the function that removes it. */
  subscribe(observer: TraceObserver): () => void {
    return this.observers.add(observer);
  }

  transmit(command: CommandApdu | Uint8Array, opts?: TransmitOptions): Promise<ResponseApdu> {
    const session = this.currentSession();
    if (session !== undefined) return this.runCommand(command, session, opts);
    return this.sessionLock.run(() => this.runCommand(command, undefined, opts), opts?.signal);
  }

  async send(command: CommandApdu, opts?: TransmitOptions): Promise<Uint8Array> {
    const response = await this.transmit(command, opts);
    return checkOk(command, response);
  }

  /**
   * Runs `fn` with the card to itself; the block ends when the promise `fn` returns settles.
   * `opts.signal` aborts waiting for the card (AbortError, `fn` never runs) and, once `fn` runs,
   * each of its later commands before it is sent; a command already sent completes.
   */
  exclusive<T>(fn: (session: CardSession) => Promise<T>, opts: AbortOptions = {}): Promise<T> {
    const joined = this.currentSession();
    if (joined !== undefined) {
      throwIfAborted(opts.signal, 'waiting for the card');
      return fn(this.sessionApi(joined, opts.signal));
    }
    return this.sessionLock.run(async () => {
      const state: SessionState = { active: true, generation: this.cardGeneration, signal: opts.signal };
      try {
        return await this.context.run(state, () => fn(this.sessionApi(state)));
      } finally {
        state.active = false;
      }
    }, opts.signal);
  }

  /** Resets the card (queued like a command). Security state on the card is lost. */
  reset(kind: 'warm' | 'cold' = 'warm'): Promise<Uint8Array> {
    const session = this.currentSession();
    if (session !== undefined) return this.resetIn(session, kind);
    return this.sessionLock.run(() => this.resetIn(undefined, kind));
  }

  /** Closes the channel and its transport; queued and later calls fail with ChannelClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeTransport();
    this.inFlight?.abort(new ChannelClosedError('card channel closed during the exchange'));
    await this.transport.close();
  }

  private currentSession(): SessionState | undefined {
    const state = this.context.getStore();
    return state?.active === true ? state : undefined;
  }

  private sessionApi(state: SessionState, joinSignal?: AbortSignal): CardSession {
    // A session object used after its block ended falls back to queueing like any other caller.
    const live = (): SessionState | undefined => (state.active ? state : this.currentSession());
    // A nested block's own signal stops its commands as the outer block's signal does.
    const withJoin = (opts: TransmitOptions | undefined): TransmitOptions | undefined =>
      joinSignal === undefined || opts?.signal !== undefined ? opts : { ...opts, signal: joinSignal };
    return {
      transmit: (command, given) => {
        const opts = withJoin(given);
        const s = live();
        return s !== undefined
          ? this.runCommand(command, s, opts)
          : this.sessionLock.run(() => this.runCommand(command, undefined, opts), opts?.signal);
      },
      send: async (command, given) => {
        const opts = withJoin(given);
        const s = live();
        const response =
          s !== undefined
            ? await this.runCommand(command, s, opts)
            : await this.sessionLock.run(() => this.runCommand(command, undefined, opts), opts?.signal);
        return checkOk(command, response);
      },
      reset: (kind = 'warm') => {
        const s = live();
        return s !== undefined ? this.resetIn(s, kind) : this.sessionLock.run(() => this.resetIn(undefined, kind));
      },
    };
  }

  private onCardEvent(event: CardEvent): void {
    this.cardGeneration++;
    const inFlight = this.inFlight;
    if (inFlight === undefined) return;
    if (event.type === 'removed') inFlight.abort(new CardRemovedError('card removed during the exchange'));
    else
      inFlight.abort(
        new CardResetError(`card ${event.type === 'reset' ? 'was reset' : 'was replaced'} during the exchange`),
      );
  }

  private async resetIn(session: SessionState | undefined, kind: 'warm' | 'cold'): Promise<Uint8Array> {
    if (this.closed) throw new ChannelClosedError();
    const atr = await this.wireLock.run(() =>
      this.race(
        () => this.transport.reset(kind),
        performance.now() + this.timeoutMs,
        this.timeoutMs,
        'card reset',
        false,
      ),
    );
    if (!(atr instanceof Uint8Array)) throw new TransportError('transport reset did not return an ATR');
    // MemoryTransport (and any transport with events) has already counted the reset; one that
    // does not report its own resets is counted here so state learnt before it is dropped.
    this.cardGeneration++;
    if (session !== undefined) session.generation = this.cardGeneration;
    return atr;
  }

  private runCommand(
    command: CommandApdu | Uint8Array,
    session: SessionState | undefined,
    opts: TransmitOptions | undefined,
  ): Promise<ResponseApdu> {
    return this.wireLock.run(async () => {
      if (this.closed) throw new ChannelClosedError();
      if (session !== undefined && session.generation !== this.cardGeneration) {
        throw new CardResetError('card was reset, removed or replaced during the exclusive block; start over');
      }
      // The last moment an abort can stop the command: after this it is on the wire.
      throwIfAborted(session?.signal, 'the operation');
      throwIfAborted(opts?.signal, 'the command');
      const bytes = command instanceof Uint8Array ? command.slice() : encodeCommand(command);
      const timeoutMs = checkPositiveInteger('timeoutMs', opts?.timeoutMs ?? this.timeoutMs);
      if (!isPinCommand(bytes)) return this.runWithResponseHandling(bytes, timeoutMs);
      // The channel's own copy of a command that carries a PIN is wiped once the card has answered
      // or the command failed: it is not left for the garbage collector to free whenever it likes.
      try {
        return await this.runWithResponseHandling(bytes, timeoutMs);
      } finally {
        bytes.fill(0);
      }
    });
  }

  /** One command: the exchange, one 6Cxx resend, then the bounded GET RESPONSE chain. */
  private runWithResponseHandling(bytes: Uint8Array, timeoutMs: number): Promise<ResponseApdu> {
    const deadline = performance.now() + timeoutMs;
    const generation = this.cardGeneration;
    return completeResponse(bytes, (b) => this.exchange(b, deadline, timeoutMs, generation), this.limits);
  }

  /** One exchange with the transport, bounded by the command's deadline, traced. */
  private async exchange(
    bytes: Uint8Array,
    deadline: number,
    timeoutMs: number,
    generation: number,
  ): Promise<ResponseApdu> {
    if (this.cardGeneration !== generation) throw new CardResetError('card was reset during the command');
    const started = performance.now();
    // The trace's timestamp is taken only when someone is watching: formatting a date costs more
    // than an exchange with a card in memory.
    const time = this.observers.size === 0 ? '' : new Date().toISOString();
    let raw: Uint8Array;
    try {
      const remaining = deadline - started;
      if (remaining <= 0) throw new TimeoutError(timeoutMs, 'command');
      const direct = this.transport.transmitDirect?.(bytes);
      // A synchronous answer needs no deadline (nothing can fire while the transport held the event
      // loop); a deferred one races the deadline and card events.
      raw =
        direct instanceof Uint8Array
          ? direct
          : await this.race(
              () => direct ?? this.transport.transmit(bytes, { timeoutMs: Math.ceil(remaining) }),
              deadline,
              timeoutMs,
              'command',
            );
      if (!(raw instanceof Uint8Array)) throw new TransportError('transport answered something that is not bytes');
      if (raw.length < 2) throw new TransportError(`response shorter than 2 bytes (got ${raw.length})`);
      if (raw.length - 2 > this.limits.maxBytes) {
        throw new CardProtocolError(
          `card returned ${raw.length - 2} response bytes, more than ${this.limits.maxBytes}`,
        );
      }
    } catch (error) {
      const typed = error instanceof SscardError ? error : new TransportError('transport failed', { cause: error });
      if (this.observers.size !== 0)
        this.trace(bytes, time, started, { error: { code: typed.code, message: typed.message } });
      throw typed;
    }
    const response = decodeResponse(raw);
    if (this.observers.size !== 0)
      this.trace(bytes, time, started, {
        response: traceResponse(response.data, response.sw, mustMaskCommand(bytes)),
      });
    return response;
  }

  /** Tells the trace observers of one exchange; an observer's failure does not fail it (ListenerSet swallows it). */
  private trace(
    bytes: Uint8Array,
    time: string,
    started: number,
    outcome: Pick<TraceEvent, 'response' | 'error'>,
  ): void {
    this.observers.emit({
      seq: ++this.seq,
      transport: this.transport.name,
      time: time === '' ? new Date().toISOString() : time,
      command: traceCommand(bytes),
      ...outcome,
      elapsedMs: Math.round((performance.now() - started) * 1000) / 1000,
    });
  }

  /**
   * Runs a transport call against the deadline and card events. Whichever comes first wins; a call
   * that loses is abandoned (its late answer or failure is ignored), so a silent card costs one
   * timeout.
   */
  private race<T>(
    call: () => Promise<T>,
    deadline: number,
    timeoutMs: number,
    what: string,
    abortable = true,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const fail = (error: SscardError): void => {
        if (done) return;
        done = true;
        this.deadlines.end();
        if (this.inFlight === entry) this.inFlight = undefined;
        reject(error);
      };
      const entry: InFlight = { abort: fail };
      this.deadlines.start(deadline, () => fail(new TimeoutError(timeoutMs, what)));
      // A reset we asked for announces itself as a card event; it must not abort itself.
      if (abortable) this.inFlight = entry;
      let pending: Promise<T>;
      try {
        pending = Promise.resolve(call());
      } catch (error) {
        fail(asTyped(error));
        return;
      }
      pending.then(
        (value) => {
          if (done) return;
          done = true;
          this.deadlines.end();
          if (this.inFlight === entry) this.inFlight = undefined;
          resolve(value);
        },
        (error: unknown) => fail(asTyped(error)),
      );
    });
  }
}

function asTyped(error: unknown): SscardError {
  return error instanceof SscardError ? error : new TransportError('transport failed', { cause: error });
}

function checkOk(command: CommandApdu, response: ResponseApdu): Uint8Array {
  if (response.sw === SW.OK) return response.data;
  throw errorForStatus(response.sw, { command: commandName(command.cla, command.ins, command.p1), ins: command.ins });
}
