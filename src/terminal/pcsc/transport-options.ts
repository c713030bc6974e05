import { InvalidArgumentError } from '../errors.js';
import type { PcscBackend } from './backend.js';
import { PCSC_BACKEND_SETTINGS, isPcscBackendSetting, type PcscBackendSetting } from '../pcsc-backend-names.js';

/* The options of a PC/SC transport, and their checks. */

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
  /** Name shown in traces. Default '<backend label>:<reader>', e.g. 'pcsc:Virtual PCD 00 00'. */
  name?: string;
  /**
   * The PC/SC implementation underneath, by name or as an object: 'auto' (the default: pcscd's
   * socket where pcscd answers on it, on Linux, else the `smartcard` binding; SSCARD_PCSC_BACKEND
   * overrides it), 'smartcard' / `smartcardBackend`, 'pcsclite' / `pcscliteBackend`,
   * 'pcscd-socket' / `pcscdSocketBackend`, or one of the caller's own (e.g. a test double). The
   * bindings are loaded on the first connect. SmartcardTransport, PcscliteTransport and
   * PcscdSocketTransport each fix their own.
   */
  backend?: PcscBackend | PcscBackendSetting;
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
  backend: PcscBackend | PcscBackendSetting | undefined;
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
    throw new InvalidArgumentError(
      `protocols must be a non-empty list of 'T=0' / 'T=1', got ${JSON.stringify(protocols)}`,
    );
  }
  if (opts.share !== undefined && opts.share !== 'shared' && opts.share !== 'exclusive') {
    throw new InvalidArgumentError(`share must be 'shared' or 'exclusive', got ${JSON.stringify(opts.share)}`);
  }
  const disposition = opts.closeDisposition ?? 'reset';
  if (disposition !== 'leave' && disposition !== 'reset' && disposition !== 'unpower') {
    throw new InvalidArgumentError(
      `closeDisposition must be 'leave', 'reset' or 'unpower', got ${JSON.stringify(disposition)}`,
    );
  }
  const maxRecvLength = opts.maxRecvLength ?? MAX_RESPONSE_LENGTH;
  if (!Number.isInteger(maxRecvLength) || maxRecvLength < 2 || maxRecvLength > MAX_RECV_BUFFER) {
    throw new InvalidArgumentError(
      `maxRecvLength must be an integer 2..${MAX_RECV_BUFFER}, got ${String(maxRecvLength)}`,
    );
  }
  if (opts.reader !== undefined && (typeof opts.reader !== 'string' || opts.reader === '')) {
    throw new InvalidArgumentError('reader must be a non-empty reader name');
  }
  const backend = opts.backend;
  if (
    backend !== undefined &&
    !isPcscBackendSetting(backend) &&
    (typeof backend !== 'object' || backend === null || typeof backend.establish !== 'function')
  ) {
    throw new InvalidArgumentError(
      `backend must be one of ${PCSC_BACKEND_SETTINGS.join(', ')} or a PcscBackend (an object with establish())`,
    );
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
    backend,
  };
}
