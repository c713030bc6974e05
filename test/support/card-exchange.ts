import { expect } from 'vitest';
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

/**
 * One step of a card transcript: a command APDU (hex) and the status word it must answer (as in
 * {@link sw}), with an optional note on why, shown when the step fails.
 */
export type TranscriptStep = readonly [apdu: string, expectedSw: string, why?: string];

/**
 * Sends each step's command to the card in order and checks its status word. The first step that
 * answers otherwise fails the test there, naming its number, command and note next to the expected
 * and actual status words; the steps after it are not sent.
 */
export function expectTranscript(card: SimulatedCard, steps: readonly TranscriptStep[]): void {
  steps.forEach(([apdu, expectedSw, why], i) => {
    const step = `step ${i + 1} of ${steps.length}: ${apdu}${why === undefined ? '' : ` (${why})`}`;
    expect(sw(card, apdu), step).toBe(expectedSw);
  });
}
