import type { CardEndpoint } from '../apdu/index.js';
import { encodeFrame, FrameDecoder, frameForSocket } from './frame.js';
import { answerVpcdMessage, VPCD_CONTROL } from './protocol.js';

/*
 * V8 runs a function in its interpreter and baseline tiers until it has run often enough to be
 * optimised: a few thousand calls for the card OS's command path. In a tight loop that is a few
 * milliseconds; behind pcscd, at one APDU per round trip (~0.2 ms), it is the first second or two
 * of traffic, which a freshly started card answered 10-40 us slower than once warm (a tenth to a
 * third of the round trip), while a card with no model (the bench's echo card) has next to
 * nothing to compile. So a served card's answer path can be run beforehand on a scratch card.
 */

/** Exchanges a warm-up runs unless told otherwise: enough for V8 to optimise the answer path. */
export const VPCD_WARM_UP_EXCHANGES = 4000;

export interface VpcdWarmUpOptions {
  /** Exchanges in all (default VPCD_WARM_UP_EXCHANGES). */
  exchanges?: number;
  /** Exchanges per turn of the event loop (default 100): a frame from pcscd waits at most one turn. */
  exchangesPerTurn?: number;
}

/** A warm-up under way: `done` resolves with the exchanges run once it ends (finished or stopped). */
export interface VpcdWarmUp {
  readonly done: Promise<number>;
  /** Ends it after the current turn (at once if it is between turns). */
  stop(): void;
}

/**
 * Runs the bridge's answer path (frame reassembly from vpcd's two sends, `answerVpcdMessage`, the
 * reply frame) on `scratch` for `commands` in turn, with an ATR request after each pass and no
 * events. `scratch` must be a card of its own (a copy, never the one served): its state changes.
 * It is powered on first and off at the end. Returns the exchanges run.
 */
export function warmUpVpcdAnswers(
  scratch: CardEndpoint,
  commands: readonly Uint8Array[],
  exchanges = VPCD_WARM_UP_EXCHANGES,
): number {
  const run = warmer(scratch, commands);
  const done = run(exchanges);
  scratch.powerOff();
  return done;
}

/**
 * warmUpVpcdAnswers a slice at a time, yielding to the event loop between slices (setImmediate),
 * so a card can be put into the reader and answer pcscd while its code is being warmed.
 */
export function warmUpVpcdAnswersInTurns(
  scratch: CardEndpoint,
  commands: readonly Uint8Array[],
  options: VpcdWarmUpOptions = {},
): VpcdWarmUp {
  const total = options.exchanges ?? VPCD_WARM_UP_EXCHANGES;
  const perTurn = Math.max(1, options.exchangesPerTurn ?? 100);
  let stopped = false;
  let pending: NodeJS.Immediate | undefined;
  let finish: () => void = () => undefined;
  let done = 0;
  const promise = new Promise<number>((resolve) => {
    const run = warmer(scratch, commands);
    finish = () => {
      if (pending !== undefined) clearImmediate(pending);
      pending = undefined;
      if (scratch.powered) scratch.powerOff();
      resolve(done);
    };
    const turn = (): void => {
      pending = undefined;
      done += run(Math.min(perTurn, total - done));
      if (stopped || done >= total) finish();
      else pending = setImmediate(turn);
    };
    pending = setImmediate(turn);
  });
  return {
    done: promise,
    stop() {
      if (stopped) return;
      stopped = true;
      if (pending !== undefined) finish();
    },
  };
}

/** A function running `n` more exchanges on `scratch` (powering it on at the first call); returns n or 0. */
function warmer(scratch: CardEndpoint, commands: readonly Uint8Array[]): (n: number) => number {
  const decoder = new FrameDecoder();
  const framed = commands.map((c) => encodeFrame(c));
  const atrRequest = encodeFrame(Uint8Array.of(VPCD_CONTROL.ATR_REQUEST));
  // As the connection reads: into a plain Uint8Array, a view of it per read.
  const readBuffer = new Uint8Array(Math.max(atrRequest.length, ...framed.map((f) => f.length)));
  const read = (bytes: Uint8Array): void => {
    readBuffer.set(bytes);
    answerChunk(scratch, decoder, readBuffer.subarray(0, bytes.length));
  };
  let next = 0;
  return (n) => {
    if (framed.length === 0 || n <= 0) return 0;
    if (!scratch.powered) scratch.powerOn();
    for (let k = 0; k < n; k++) {
      // As vpcd sends a frame: the length in one send, the payload in the next.
      const frame = framed[next] as Uint8Array;
      read(frame.subarray(0, 2));
      read(frame.subarray(2));
      next += 1;
      if (next === framed.length) {
        next = 0;
        read(atrRequest);
      }
    }
    return n;
  };
}

function answerChunk(card: CardEndpoint, decoder: FrameDecoder, chunk: Uint8Array): void {
  for (const payload of decoder.push(chunk)) {
    const reply = answerVpcdMessage(card, payload, undefined, false);
    if (reply !== undefined) frameForSocket(reply);
  }
}
