import { existsSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import type { PcscBackend } from './backend.js';
import {
  PCSC_BACKEND_ENV,
  PCSC_BACKEND_SETTINGS,
  isPcscBackendSetting,
  type PcscBackendName,
  type PcscBackendSetting,
} from '../pcsc-backend-names.js';
import { PcscdClient } from './pcscd-client.js';
import { pcscdSocketPath } from './pcscd-protocol.js';
import { pcscdSocketBackend } from './pcscd-socket-backend.js';
import { pcscliteBackend } from './pcsclite-backend.js';
import { smartcardBackend } from './smartcard-backend.js';

/*
 * Which PC/SC backend runs when the caller names none. On Linux with a pcscd that answers on its
 * socket in a message protocol this SDK speaks, the socket backend: no native binding, and no
 * thread-pool hop per exchange (it keeps up with pyscard, the binding does not). Anywhere else
 * (another OS, no socket, pcscd silent or speaking another version, the socket refused), the
 * `smartcard` binding, as before, which goes through the system's own PC/SC library. The choice is
 * made once per process, on first use, and SSCARD_PCSC_BACKEND overrides it.
 */

/** How long each step of the probe (connect, CMD_VERSION) may take before pcscd counts as silent. */
export const PCSCD_PROBE_TIMEOUT_MS = 1000;

/** The backend in use, and how it came to be. */
export interface PcscBackendChoice {
  /** 'custom' for a PcscBackend object of the caller's own. */
  name: PcscBackendName | 'custom';
  backend: PcscBackend;
  /** 'auto': the probe chose; 'env': SSCARD_PCSC_BACKEND; 'explicit': the caller named it. */
  how: 'auto' | 'env' | 'explicit';
  /** Why, for people: e.g. "pcscd answers on /run/pcscd/pcscd.comm (message protocol 4.4)". */
  reason: string;
}

/** What the probe of pcscd's socket found. */
export type PcscdProbe =
  { ok: true; path: string; version: string; serverVersion: string } | { ok: false; path: string; reason: string };

export function pcscBackendByName(name: PcscBackendName): PcscBackend {
  switch (name) {
    case 'smartcard':
      return smartcardBackend;
    case 'pcsclite':
      return pcscliteBackend;
    case 'pcscd-socket':
      return pcscdSocketBackend;
  }
}

/** Whether pcscd answers on its socket in a protocol this SDK speaks; never waits longer than the bound per step. */
export async function probePcscdSocket(
  opts: { path?: string; timeoutMs?: number; platform?: NodeJS.Platform } = {},
): Promise<PcscdProbe> {
  const path = opts.path ?? pcscdSocketPath();
  if ((opts.platform ?? process.platform) !== 'linux')
    return { ok: false, path, reason: 'not Linux: the system PC/SC service is reached through the binding' };
  if (!existsSync(path)) return { ok: false, path, reason: `no pcscd socket at ${path}` };
  try {
    const client = await PcscdClient.open(path, {
      timeoutMs: opts.timeoutMs ?? PCSCD_PROBE_TIMEOUT_MS,
      readBytes: 64,
      holdsProcess: false,
    });
    client.destroy();
    return { ok: true, path, version: client.version, serverVersion: client.serverVersion };
  } catch (error) {
    return { ok: false, path, reason: error instanceof Error ? error.message : String(error) };
  }
}

function settingFromEnv(env: NodeJS.ProcessEnv): PcscBackendSetting | undefined {
  const value = env[PCSC_BACKEND_ENV];
  if (value === undefined || value === '') return undefined;
  if (!isPcscBackendSetting(value)) {
    throw new InvalidArgumentError(
      `${PCSC_BACKEND_ENV}=${JSON.stringify(value)}: must be one of ${PCSC_BACKEND_SETTINGS.join(', ')}`,
    );
  }
  return value;
}

/** Makes the default choice now (no cache): the environment variable, else the probe. */
export async function choosePcscBackend(
  opts: { env?: NodeJS.ProcessEnv; path?: string; timeoutMs?: number; platform?: NodeJS.Platform } = {},
): Promise<PcscBackendChoice> {
  const env = opts.env ?? process.env;
  const forced = settingFromEnv(env);
  if (forced !== undefined && forced !== 'auto') {
    return { name: forced, backend: pcscBackendByName(forced), how: 'env', reason: `${PCSC_BACKEND_ENV}=${forced}` };
  }
  const probe = await probePcscdSocket({
    path: opts.path ?? pcscdSocketPath(env),
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    ...(opts.platform === undefined ? {} : { platform: opts.platform }),
  });
  if (probe.ok) {
    const named = probe.serverVersion === probe.version ? '' : `, pcscd's own ${probe.serverVersion}`;
    return {
      name: 'pcscd-socket',
      backend: pcscdSocketBackend,
      how: 'auto',
      reason: `pcscd answers on ${probe.path} (message protocol ${probe.version}${named})`,
    };
  }
  return {
    name: 'smartcard',
    backend: smartcardBackend,
    how: 'auto',
    reason: `${probe.reason}: the smartcard binding`,
  };
}

let chosen: Promise<PcscBackendChoice> | undefined;

/**
 * The default backend of this process: chosen on the first call, the same answer after. One
 * answer is not kept: the binding because there was no socket yet. A POS started at boot before
 * pcscd asks again on its next connect (a look for the socket costs one stat), so it moves to the
 * socket once pcscd is up instead of staying on a binding that may not even be installed.
 */
export function pcscBackendInUse(): Promise<PcscBackendChoice> {
  if (chosen !== undefined) return chosen;
  const choice = choosePcscBackend();
  chosen = choice;
  const forget = (): void => {
    if (chosen === choice) chosen = undefined;
  };
  choice.then((c) => {
    if (c.how === 'auto' && c.name === 'smartcard' && !existsSync(pcscdSocketPath())) forget();
  }, forget); // a bad SSCARD_PCSC_BACKEND is reported on every use, not cached
  return choice;
}

/** Forgets the default choice, so the next use probes again (e.g. after pcscd was started). */
export function resetPcscBackendChoice(): void {
  chosen = undefined;
}

/** The backend a caller's setting means: undefined and 'auto' are the default (env var, then probe). */
export async function resolvePcscBackend(setting?: PcscBackendSetting | PcscBackend): Promise<PcscBackendChoice> {
  if (setting === undefined || setting === 'auto') return pcscBackendInUse();
  if (typeof setting === 'string') {
    if (!isPcscBackendSetting(setting)) {
      throw new InvalidArgumentError(
        `backend must be one of ${PCSC_BACKEND_SETTINGS.join(', ')} or a PcscBackend, got ${JSON.stringify(setting)}`,
      );
    }
    return { name: setting, backend: pcscBackendByName(setting), how: 'explicit', reason: 'named by the caller' };
  }
  const known = (['smartcard', 'pcsclite', 'pcscd-socket'] as const).find((n) => pcscBackendByName(n) === setting);
  return { name: known ?? 'custom', backend: setting, how: 'explicit', reason: 'named by the caller' };
}
