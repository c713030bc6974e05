import { PcscBindingMissingError } from './errors.js';
import type { PcscDisposition, PcscProtocol } from './transport-options.js';

/*
 * The native PC/SC bindings are optional dependencies: they build with node-gyp against
 * libpcsclite-dev, which a plain install may not have. So nothing here imports them statically;
 * they are loaded on first use, and a missing one is a PcscBindingMissingError telling what to
 * install. The shapes below are the parts of their APIs this SDK uses, declared locally so the
 * SDK typechecks and builds without them.
 */

/** `smartcard` (N-API): a connected card handle. */
export interface ScCard {
  readonly protocol: number;
  readonly connected: boolean;
  readonly atr: Buffer | null;
  /** `command`: a Buffer or any Uint8Array (napi_is_buffer accepts both). */
  transmit(command: Uint8Array, options?: { maxRecvLength?: number; autoGetResponse?: boolean }): Promise<Buffer>;
  getStatus(): { state: number; protocol: number; atr: Buffer };
  disconnect(disposition?: number): void;
  reconnect(shareMode?: number, protocol?: number, initialization?: number): Promise<number>;
}

/** `smartcard`: a reader as listed by a context. */
export interface ScReader {
  readonly name: string;
  readonly state: number;
  readonly atr: Buffer | null;
  connect(shareMode?: number, protocol?: number): Promise<ScCard>;
}

/** `smartcard`: a PC/SC context. */
export interface ScContext {
  readonly isValid: boolean;
  listReaders(): ScReader[];
  close(): void;
}

/** `smartcard`: reader monitor running SCardGetStatusChange on its own thread. */
export interface ScReaderMonitor {
  readonly isRunning: boolean;
  start(callback: (event: ScMonitorEvent) => void): void;
  stop(): void;
}

export interface ScMonitorEvent {
  type: 'reader-attached' | 'reader-detached' | 'card-inserted' | 'card-removed' | 'error';
  /** Reader name (the error text for 'error'). */
  reader: string;
  state: number;
  atr: Buffer | null;
}

export interface SmartcardBinding {
  Context: new () => ScContext;
  ReaderMonitor: new () => ScReaderMonitor;
  SCARD_SHARE_EXCLUSIVE: number;
  SCARD_SHARE_SHARED: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_LEAVE_CARD: number;
  SCARD_RESET_CARD: number;
  SCARD_UNPOWER_CARD: number;
  SCARD_STATE_EMPTY: number;
  SCARD_STATE_PRESENT: number;
  SCARD_STATE_EXCLUSIVE: number;
  SCARD_STATE_INUSE: number;
  SCARD_STATE_MUTE: number;
}

/** `pcsclite` (NAN): one reader; holds at most one card handle. */
export interface PlCardReader {
  readonly name: string;
  state: number;
  connected: boolean;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_STATE_EMPTY: number;
  readonly SCARD_STATE_MUTE: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
  readonly SCARD_UNPOWER_CARD: number;
  on(event: 'status', listener: (status: { state: number; atr?: Buffer }) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (error: unknown) => void): this;
  removeAllListeners(event?: string): this;
  connect(
    options: { share_mode?: number; protocol?: number },
    callback: (err: unknown, protocol: number) => void,
  ): void;
  disconnect(disposition: number, callback: (err: unknown) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, callback: (err: unknown, response: Buffer) => void): void;
  close(): void;
}

/** `pcsclite`: the context, announcing readers as they appear. */
export interface PlPcsc {
  on(event: 'reader', listener: (reader: PlCardReader) => void): this;
  on(event: 'error', listener: (error: unknown) => void): this;
  removeAllListeners(event?: string): this;
  close(): void;
}

export type PcscliteFactory = () => PlPcsc;

/** The SCardConnect protocol mask for `protocols`, in a binding's constants (both bindings name them alike). */
export function protocolMask(
  binding: { SCARD_PROTOCOL_T0: number; SCARD_PROTOCOL_T1: number },
  protocols: readonly PcscProtocol[],
): number {
  let mask = 0;
  if (protocols.includes('T=0')) mask |= binding.SCARD_PROTOCOL_T0;
  if (protocols.includes('T=1')) mask |= binding.SCARD_PROTOCOL_T1;
  return mask;
}

/** The SCardDisconnect / SCardReconnect code of `disposition`, in a binding's constants. */
export function dispositionCode(
  binding: { SCARD_LEAVE_CARD: number; SCARD_RESET_CARD: number; SCARD_UNPOWER_CARD: number },
  disposition: PcscDisposition,
): number {
  switch (disposition) {
    case 'leave':
      return binding.SCARD_LEAVE_CARD;
    case 'reset':
      return binding.SCARD_RESET_CARD;
    case 'unpower':
      return binding.SCARD_UNPOWER_CARD;
  }
}

/** A Buffer over the bytes of `bytes`, not a copy: for a binding that copies its input before it returns. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A binding's answer as a plain Uint8Array over the same memory, not a copy: the bindings answer
 * with a Buffer of its own (never a slice of Node's shared pool), and a Buffer's slice() is a view
 * where a Uint8Array's is a copy.
 */
export function plainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Package versions the SDK was written and tested against (package.json optionalDependencies). */
export const PCSC_BINDING_VERSIONS = { smartcard: '3.7.0', pcsclite: '1.0.1' } as const;

export type PcscBindingName = keyof typeof PCSC_BINDING_VERSIONS;

/**
 * Imports an optional package by name. The specifier is a variable on purpose: TypeScript does not
 * resolve it (the package may be absent) and bundlers leave it external.
 */
export async function importOptional(name: string): Promise<unknown> {
  try {
    return await import(name);
  } catch (error) {
    throw missingBinding(name, error);
  }
}

function missingBinding(name: string, cause: unknown): PcscBindingMissingError {
  const version = (PCSC_BINDING_VERSIONS as Record<string, string>)[name];
  const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new PcscBindingMissingError(
    name,
    `the PC/SC binding '${name}' cannot be loaded (${detail}). Install it with ` +
      `\`npm install ${name}${version === undefined ? '' : `@${version}`}\`; it builds with node-gyp and needs ` +
      'the PC/SC headers (Debian/Ubuntu: apt-get install libpcsclite-dev) and a C++ toolchain; pcscd must run to use it',
    { cause },
  );
}

/** ESM namespace of a CommonJS package: the exports object is `default` under Node, the namespace itself under some loaders. */
function commonJsExports(ns: unknown): Record<string, unknown> {
  const record = ns as Record<string, unknown>;
  const inner = record['default'];
  if (inner !== null && (typeof inner === 'object' || typeof inner === 'function'))
    return inner as Record<string, unknown>;
  return record;
}

let smartcard: Promise<SmartcardBinding> | undefined;
let pcsclite: Promise<PcscliteFactory> | undefined;

/** The `smartcard` binding, loaded once on first use. */
export function loadSmartcard(): Promise<SmartcardBinding> {
  smartcard ??= importOptional('smartcard').then((ns) => {
    const exports = commonJsExports(ns);
    if (typeof exports['Context'] !== 'function' || typeof exports['ReaderMonitor'] !== 'function') {
      throw missingBinding(
        'smartcard',
        new Error('the package does not export Context and ReaderMonitor (unexpected version?)'),
      );
    }
    return exports as unknown as SmartcardBinding;
  });
  // A failed load is not cached: installing the package and trying again must work.
  smartcard.catch(() => {
    smartcard = undefined;
  });
  return smartcard;
}

/** The `pcsclite` binding's factory function, loaded once on first use. */
export function loadPcsclite(): Promise<PcscliteFactory> {
  pcsclite ??= importOptional('pcsclite').then((ns) => {
    const factory = typeof ns === 'function' ? ns : commonJsExports(ns);
    if (typeof factory !== 'function') {
      throw missingBinding('pcsclite', new Error('the package does not export a function (unexpected version?)'));
    }
    return factory as unknown as PcscliteFactory;
  });
  pcsclite.catch(() => {
    pcsclite = undefined;
  });
  return pcsclite;
}
