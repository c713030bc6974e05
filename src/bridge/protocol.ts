import { encodeResponse, mustMaskCommand, PIN_MASK, SW, toHex, type CardEndpoint } from '../apdu/index.js';
import { VPCD_MAX_FRAME } from './frame.js';

/**
 * The card side of the vpcd protocol, without sockets: one message from pcscd in, at most one
 * reply out. pcscd's vpcd driver sends a 1-byte payload for control and anything longer as a raw
 * C-APDU; only the ATR request and C-APDUs get a reply.
 */

/** Control bytes of the vpcd protocol (a frame with a 1-byte payload). */
export const VPCD_CONTROL = {
  POWER_OFF: 0x00,
  POWER_ON: 0x01,
  RESET: 0x02,
  ATR_REQUEST: 0x04,
} as const;

export type VpcdControl = 'power-off' | 'power-on' | 'reset' | 'atr-request';

// The one mask text (src/apdu), re-exported where the bridge has always offered it.
export { PIN_MASK };

/**
 * Hex of a C-APDU that is safe to log: a PIN-carrying command, or bytes that are not exactly one
 * well-formed APDU (mustMaskCommand), show their 4 header bytes and the mask, never the rest (not
 * even Lc boundaries are trusted from a possibly malformed command).
 */
export function maskedCommandHex(command: Uint8Array): string {
  if (!mustMaskCommand(command)) return toHex(command, { spaces: true });
  return `${toHex(command.subarray(0, 4), { spaces: true })} ${PIN_MASK}`;
}

/** What the bridge reports. APDU events never hold the raw bytes of a PIN-carrying command. */
export type VpcdEvent =
  | { type: 'connecting'; host: string; port: number; attempt: number }
  | { type: 'connected'; host: string; port: number; attempt: number }
  /** pcscd talked to the card on this connection for the first time: the reader holds the card. */
  | { type: 'attached' }
  | { type: 'control'; control: VpcdControl }
  | {
      type: 'command';
      ins: number;
      length: number;
      /** Hex for logs; header and mask only when `masked`. */
      hex: string;
      masked: boolean;
    }
  | { type: 'response'; ins: number; length: number; sw: number; hex: string; durationMs: number }
  /** An established connection ended (not by close()). */
  | {
      type: 'disconnected';
      /** 'peer': pcscd closed the connection; 'error': the socket broke (reset, ...). */
      reason: 'peer' | 'error';
      error?: Error;
      willRetry: boolean;
      retryInMs?: number;
    }
  /** A connection attempt failed (refused, timed out); `attempt` counts consecutive failures. */
  | { type: 'connect-failed'; attempt: number; error: Error; willRetry: boolean; retryInMs?: number }
  /** Something the bridge answered for the card instead of failing: see `code`. */
  | { type: 'warning'; code: VpcdWarningCode; message: string; error?: unknown }
  | { type: 'closed' };

export type VpcdWarningCode =
  'RESPONSE_TOO_LONG' | 'RESPONSE_TOO_SHORT' | 'CARD_THREW' | 'UNKNOWN_CONTROL' | 'EMPTY_FRAME';

/** One log line for an event; ATR polls (2-3 a second) are left to `formatVpcdEvent` callers to filter. */
export function formatVpcdEvent(e: VpcdEvent): string {
  switch (e.type) {
    case 'connecting':
      return `vpcd: connecting to ${e.host}:${e.port}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'connected':
      return `vpcd: connected to ${e.host}:${e.port}`;
    case 'attached':
      return 'vpcd: the reader holds the card';
    case 'control':
      return `vpcd: ${e.control}`;
    case 'command':
      return `vpcd: -> ${e.hex}`;
    case 'response':
      return `vpcd: <- ${e.hex} (${e.durationMs.toFixed(3)} ms)`;
    case 'disconnected': {
      const why =
        e.reason === 'peer' ? 'connection closed by pcscd' : `connection error: ${e.error?.message ?? 'unknown'}`;
      return `vpcd: disconnected (${why})${retryText(e.willRetry, e.retryInMs)}`;
    }
    case 'connect-failed':
      return `vpcd: connect attempt ${e.attempt} failed (${e.error.message})${retryText(e.willRetry, e.retryInMs)}`;
    case 'warning':
      return `vpcd: warning ${e.code}: ${e.message}`;
    case 'closed':
      return 'vpcd: closed';
  }
}

function retryText(willRetry: boolean, retryInMs: number | undefined): string {
  return willRetry ? `; retrying in ${retryInMs ?? 0} ms` : '; giving up';
}

const SW_WRONG_LENGTH = encodeResponse(new Uint8Array(0), SW.WRONG_LENGTH);
const SW_UNKNOWN = encodeResponse(new Uint8Array(0), SW.UNKNOWN);

/**
 * Answers one message from pcscd. Returns the reply payload (to be framed), or undefined when the
 * message gets no reply. Never throws: a card that throws or answers something unframeable is
 * reported through `emit` and answered as described below.
 *
 * - `04` ATR request: the card's ATR, also while it is powered off (pcscd polls presence that
 *   way every ~0.4 s); if the card throws, an empty reply, which vpcd reads as "no card".
 * - `00` / `01` / `02`: power off / power on / warm reset; no reply.
 * - C-APDU (2 bytes or more): the card's R-APDU. An R-APDU over 65535 bytes cannot be framed; it
 *   is answered `6700` (wrong length: the reader cannot carry what Le asked for) rather than cut,
 *   because a truncated body with the original status word would be silently wrong data. An
 *   R-APDU under 2 bytes or a throwing card is answered `6F00`.
 *
 * `emit` receives warnings, and with `trace` (the default) also control, command and response
 * events; `trace: false` skips building those (hex strings, timing) when nobody listens.
 */
export function answerVpcdMessage(
  card: CardEndpoint,
  payload: Uint8Array,
  emit?: (e: VpcdEvent) => void,
  trace = true,
): Uint8Array | undefined {
  const traceTo = trace ? emit : undefined;
  if (payload.length === 1) return answerControl(card, payload[0] as number, emit, traceTo);
  if (payload.length === 0) {
    emit?.({ type: 'warning', code: 'EMPTY_FRAME', message: 'pcscd sent an empty frame; ignored' });
    return undefined;
  }
  const ins = payload[1] as number;
  let started = 0;
  if (traceTo !== undefined) {
    const masked = mustMaskCommand(payload);
    traceTo({ type: 'command', ins, length: payload.length, hex: maskedCommandHex(payload), masked });
    started = performance.now();
  }
  let response: Uint8Array;
  try {
    response = card.transmit(payload);
    if (!(response instanceof Uint8Array) || response.length < 2) {
      emit?.({
        type: 'warning',
        code: 'RESPONSE_TOO_SHORT',
        message: `the card answered INS ${toHex(Uint8Array.of(ins))} with ${describeLength(response)}; sent 6F00`,
      });
      response = SW_UNKNOWN;
    } else if (response.length > VPCD_MAX_FRAME) {
      emit?.({
        type: 'warning',
        code: 'RESPONSE_TOO_LONG',
        message: `the card's ${response.length}-byte response to INS ${toHex(Uint8Array.of(ins))} exceeds the ${VPCD_MAX_FRAME}-byte vpcd frame; sent 6700`,
      });
      response = SW_WRONG_LENGTH;
    }
  } catch (error) {
    emit?.({
      type: 'warning',
      code: 'CARD_THREW',
      message: `the card threw on INS ${toHex(Uint8Array.of(ins))}; sent 6F00`,
      error,
    });
    response = SW_UNKNOWN;
  }
  if (traceTo !== undefined) {
    const sw = ((response[response.length - 2] as number) << 8) | (response[response.length - 1] as number);
    traceTo({
      type: 'response',
      ins,
      length: response.length,
      sw,
      hex: toHex(response, { spaces: true }),
      durationMs: performance.now() - started,
    });
  }
  return response;
}

function describeLength(response: unknown): string {
  return response instanceof Uint8Array ? `${response.length} byte(s)` : 'a value that is not a Uint8Array';
}

function answerControl(
  card: CardEndpoint,
  code: number,
  emit: ((e: VpcdEvent) => void) | undefined,
  traceTo: ((e: VpcdEvent) => void) | undefined,
): Uint8Array | undefined {
  const control = controlName(code);
  if (control === undefined) {
    emit?.({
      type: 'warning',
      code: 'UNKNOWN_CONTROL',
      message: `unknown vpcd control byte ${toHex(Uint8Array.of(code))}; ignored`,
    });
    return undefined;
  }
  traceTo?.({ type: 'control', control });
  try {
    switch (control) {
      case 'power-off':
        card.powerOff();
        return undefined;
      case 'power-on':
        card.powerOn();
        return undefined;
      case 'reset':
        card.reset('warm');
        return undefined;
      case 'atr-request': {
        const atr = card.atr;
        // An ATR longer than a frame does not exist (ISO 7816-3 caps it at 33 bytes); an empty
        // reply tells vpcd "no card" instead of sending garbage.
        return atr.length <= VPCD_MAX_FRAME ? atr : new Uint8Array(0);
      }
    }
  } catch (error) {
    emit?.({ type: 'warning', code: 'CARD_THREW', message: `the card threw on ${control}`, error });
    return control === 'atr-request' ? new Uint8Array(0) : undefined;
  }
}

function controlName(code: number): VpcdControl | undefined {
  switch (code) {
    case VPCD_CONTROL.POWER_OFF:
      return 'power-off';
    case VPCD_CONTROL.POWER_ON:
      return 'power-on';
    case VPCD_CONTROL.RESET:
      return 'reset';
    case VPCD_CONTROL.ATR_REQUEST:
      return 'atr-request';
    default:
      return undefined;
  }
}
