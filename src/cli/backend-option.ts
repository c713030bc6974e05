import { InvalidArgumentError } from 'commander';
import {
  PCSC_BACKEND_ENV,
  PCSC_BACKEND_SETTINGS,
  isPcscBackendSetting,
  type PcscBackendSetting,
} from '../terminal/pcsc-backend-names.js';

/* `--backend <name>` of the commands that reach PC/SC readers; checked without loading any PC/SC code. */

export const BACKEND_FLAGS = '--backend <name>';

export const BACKEND_HELP = `PC/SC backend: ${PCSC_BACKEND_SETTINGS.join(', ')} (default auto: pcscd's socket where it answers, else the smartcard binding; ${PCSC_BACKEND_ENV} sets the default)`;

export function parseBackend(value: string): PcscBackendSetting {
  if (!isPcscBackendSetting(value))
    throw new InvalidArgumentError(`must be one of ${PCSC_BACKEND_SETTINGS.join(', ')}`);
  return value;
}
