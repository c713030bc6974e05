/*
 * The names of the PC/SC backends, with nothing else. Outside pcsc/ so that the CLI checks
 * `--backend` against them while a command that opens no reader loads no PC/SC module at all.
 */

/** A PC/SC backend by name: the `smartcard` binding, the `pcsclite` binding, or pcscd's socket spoken directly. */
export type PcscBackendName = 'smartcard' | 'pcsclite' | 'pcscd-socket';

/** A backend by name, or 'auto': pcscd's socket where it answers, the `smartcard` binding otherwise. */
export type PcscBackendSetting = PcscBackendName | 'auto';

export const PCSC_BACKEND_NAMES: readonly PcscBackendName[] = ['smartcard', 'pcsclite', 'pcscd-socket'];

export const PCSC_BACKEND_SETTINGS: readonly PcscBackendSetting[] = ['auto', ...PCSC_BACKEND_NAMES];

/** The environment variable that forces a backend for everything that does not name one itself. */
export const PCSC_BACKEND_ENV = 'SSCARD_PCSC_BACKEND';

export function isPcscBackendSetting(value: unknown): value is PcscBackendSetting {
  return typeof value === 'string' && (PCSC_BACKEND_SETTINGS as readonly string[]).includes(value);
}
