import { StatusWordError, decodeResponse, fromHex, type ResponseApdu } from '../../src/apdu/index.js';
import type { SimulatedCard } from '../../src/card-sim/index.js';
import { expectThrowsClass } from './throws.js';

/** Sends a command APDU (hex, spaces allowed, or bytes) to a simulated card and decodes the answer. */
export function send(card: SimulatedCard, apdu: string | Uint8Array): ResponseApdu {
  return decodeResponse(card.transmit(typeof apdu === 'string' ? fromHex(apdu) : apdu));
}

/** Sends a command and returns the status word as 4 upper-case hex digits (for compact assertions). */
export function sw(card: SimulatedCard, apdu: string | Uint8Array): string {
  return swHex(send(card, apdu).sw);
}

/** A status word as 4 upper-case hex digits. */
export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/** Runs `fn` (a file-model call, below the APDU layer), expecting a StatusWordError; returns its status word. */
export function thrownSw(fn: () => unknown): number {
  return expectThrowsClass(fn, StatusWordError).sw;
}

/** Sends a command to a simulated card: the answer's data, and its status word as in {@link sw}. */
export function exchange(card: SimulatedCard, apdu: string | Uint8Array): { data: Uint8Array; sw: string } {
  const r = send(card, apdu);
  return { data: r.data, sw: swHex(r.sw) };
}
