import type { Command } from 'commander';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check what PC/SC use needs (Node, the native bindings, pcscd, readers, the lab route); exit 1 if something is missing',
    )
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }) => (await import('../actions/doctor.js')).doctor(opts));
}
