import type { Command } from 'commander';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('walk through a pharmacy POS transaction on a simulated card (read holder, PIN change, drug check)')
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)')
    .action(async (opts: { trace?: boolean }) => (await import('../actions/demo.js')).runDemo(opts));
}
