import type { Command } from 'commander';
import type { PcscBackendSetting } from '../../terminal/pcsc-backend-names.js';
import { BACKEND_FLAGS, BACKEND_HELP, parseBackend } from '../backend-option.js';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check what PC/SC use needs (Node, the native bindings, pcscd, readers, the lab route); exit 1 if something is missing',
    )
    .option('--json', 'print the checks as JSON')
    .option(BACKEND_FLAGS, BACKEND_HELP, parseBackend)
    .action(async (opts: { json?: boolean; backend?: PcscBackendSetting }) =>
      (await import('../actions/doctor.js')).doctor(opts),
    );
}
