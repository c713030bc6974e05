import { SscardError } from '../../apdu/index.js';
import { CardRemovedError, InvalidArgumentError, TransportError } from '../errors.js';
import type { CardEvent } from '../transport.js';

/*
 * What the two PC/SC transports share: their options, the event fan-out, and the rule for an
 * answer shorter than an R-APDU.
 */

export type PcscProtocol = 'T=0' | 'T=1';

/** What happens to the card when the transport closes (SCardDisconnect disposition). */
export type PcscDisposition = 'leave' | 'reset' | 'unpower';

export interface PcscTransportOptions {
  /** Reader name (exact, as listed). Default: the first reader with a card in it. */
  reader?: string;
  /** 'shared' (default: other programs may use the card between our commands) or 'exclusive'. */
  share?: 'shared' | 'exclusive';
  /** Protocols the card may run (the mask given to SCardConnect). Default both. */
  protocols?: readonly PcscProtocol[];
  /** How long to wait for a card when the reader is empty. Default 0: NoCardError at once. */
  waitForCardMs?: number;
  /**
   * Receive buffer of one transmit. Default 65538: the largest R-APDU (65536 data bytes + SW1 SW2),
   * so extended-length answers are never cut with "Insufficient buffer".
   */
  maxRecvLength?: number;
  /**
   * Disposition on close(). Default 'reset': a verified PIN must not stay usable for the next
   * program that connects to the card (project choice; 'leave' is the PC/SC habit).
   */
  closeDisposition?: PcscDisposition;
  /**
   * After an answer shorter than 2 bytes (what vpcd and some drivers report when the card died
   * mid-command), how long to wait for pcscd to notice a removal (it polls every ~0.4 s) before
   * calling it a plain transport failure. Default 1000 ms.
   */
  removalProbeMs?: number;
  /** Name shown in traces. Default 'pcsc:<reader>'. */
  name?: string;
}

export interface ResolvedPcscOptions {
  reader: string | undefined;
  exclusive: boolean;
  protocols: readonly PcscProtocol[];
  waitForCardMs: number;
  maxRecvLength: number;
  closeDisposition: PcscDisposition;
  removalProbeMs: number;
  name: string | undefined;
}

/** Largest R-APDU: Ne 65536 + SW1 SW2. */
export const MAX_RESPONSE_LENGTH = 65538;
/** smartcard caps its receive buffer at 256 KiB. */
const MAX_RECV_BUFFER = 262144;

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a number >= 0, got ${String(value)}`);
  }
  return value;
}

export function resolvePcscOptions(opts: PcscTransportOptions): ResolvedPcscOptions {
  const protocols = opts.protocols ?? ['T=0', 'T=1'];
  if (!Array.isArray(protocols) || protocols.length === 0 || protocols.some((p) => p !== 'T=0' && p !== 'T=1')) {
    throw new InvalidArgumentError(`protocols must be a non-empty list of 'T=0' / 'T=1', got ${JSON.stringify(protocols)}`);
  }
  if (opts.share !== undefined && opts.share !== 'shared' && opts.share !== 'exclusive') {
    throw new InvalidArgumentError(`share must be 'shared' or 'exclusive', got ${JSON.stringify(opts.share)}`);
  }
  const disposition = opts.closeDisposition ?? 'reset';
  if (disposition !== 'leave' && disposition !== 'reset' && disposition !== 'unpower') {
    throw new InvalidArgumentError(`closeDisposition must be 'leave', 'reset' or 'unpower', got ${JSON.stringify(disposition)}`);
  }
  const maxRecvLength = opts.maxRecvLength ?? MAX_RESPONSE_LENGTH;
  if (!Number.isInteger(maxRecvLength) || maxRecvLength < 2 || maxRecvLength > MAX_RECV_BUFFER) {
    throw new InvalidArgumentError(`maxRecvLength must be an integer 2..${MAX_RECV_BUFFER}, got ${String(maxRecvLength)}`);
  }
  if (opts.reader !== undefined && (typeof opts.reader !== 'string' || opts.reader === '')) {
    throw new InvalidArgumentError('reader must be a non-empty reader name');
  }
  return {
    reader: opts.reader,
    exclusive: opts.share === 'exclusive',
    protocols,
    waitForCardMs: nonNegative('waitForCardMs', opts.waitForCardMs, 0),
    maxRecvLength,
    closeDisposition: disposition,
    removalProbeMs: nonNegative('removalProbeMs', opts.removalProbeMs, 1000),
    name: opts.name,
  };
}

/** Listeners of a transport's card events; one listener's failure never reaches the others. */
export class CardEventHub {
  private readonly listeners = new Set<(e: CardEvent) => void>();

  add(listener: (e: CardEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: CardEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The error for a "successful" transmit that returned fewer than 2 bytes. vpcd (and drivers like
 * it) report success with 0 bytes when the card vanished after taking the command; pcscd marks the
 * slot empty on its next presence poll. `cardLeft` waits for that (bounded), so a card pulled
 * mid-command is CardRemovedError and a card that stays but answers nothing is a TransportError.
 */
export async function shortAnswerError(
  length: number,
  reader: string,
  probeMs: number,
  cardLeft: () => boolean,
): Promise<SscardError> {
  const what = `the card in '${reader}' answered ${length} byte(s), not an R-APDU (SW1 SW2 at least)`;
  const deadline = performance.now() + probeMs;
  for (;;) {
    if (cardLeft()) {
      return new CardRemovedError(`card removed during transmit on reader '${reader}' (${what} and left the reader)`, {
        cause: new TransportError(what),
      });
    }
    if (performance.now() >= deadline) break;
    await sleep(Math.min(50, Math.max(1, deadline - performance.now())));
  }
  return new TransportError(`${what}; it may have failed in the middle of the command`);
}
