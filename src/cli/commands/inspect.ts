import { Command, InvalidArgumentError } from 'commander';
import { loadCardImage } from '../../card-sim/index.js';
import type { RunningInspector } from '../../inspector/index.js';
import { printLine } from '../output.js';

/*
 * `sscard inspect <image.json>`: the inspector page for a card image at rest (read-only: the card
 * is loaded detached from the file and nothing talks to it), until Ctrl-C / SIGTERM. The running
 * card of `sscard sim serve --inspect` uses the same page, live.
 */

/** The inspector's default port (DEFAULT_INSPECTOR_PORT), repeated so the CLI loads the inspector only when it runs. */
const INSPECTOR_PORT = 7816;

/** The inspector, loaded when a command needs it (every other command starts without it). */
export function loadInspector(): Promise<typeof import('../../inspector/index.js')> {
  return import('../../inspector/index.js');
}

/** `[host:]port` of an inspector: loopback unless a host is given. */
export function parseInspectAddress(value: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new InvalidArgumentError('expected [host:]port, e.g. 7816 or 127.0.0.1:7816 (0: any free port)');
  }
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

/** Resolves at SIGINT / SIGTERM with the signal's name. */
export function untilSignal(): { stopped: Promise<string>; dispose: () => void } {
  let stop!: (signal: string) => void;
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const onSigint = (): void => stop('SIGINT');
  const onSigterm = (): void => stop('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return {
    stopped,
    dispose: () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
    },
  };
}

/** The line that tells where the page is. */
export function inspectorLine(running: RunningInspector, what: string): string {
  return `inspector for ${what}: ${running.url} ${running.inspector.actions ? '(developer actions on)' : '(developer actions off)'}`;
}

async function inspectImage(path: string, opts: { listen?: { host: string; port: number } }): Promise<void> {
  const card = loadCardImage(path, { powered: true });
  const signals = untilSignal();
  let running: RunningInspector | undefined;
  try {
    const where = opts.listen ?? { host: '127.0.0.1', port: INSPECTOR_PORT };
    const { inspect } = await loadInspector();
    running = await inspect(card, { ...where, label: path, readOnly: true });
    printLine(`${inspectorLine(running, `${path} at rest (read-only)`)}, Ctrl-C stops it`);
    const signal = await signals.stopped;
    printLine(`inspector stopped (${signal})`);
  } finally {
    signals.dispose();
    await running?.close();
  }
}

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('show a card image at rest in the browser (read-only): files, decoded records, PIN and key counters')
    .argument('<image.json>', 'card image file')
    .option(
      '--listen <[host:]port>',
      `address of the page (default 127.0.0.1:${INSPECTOR_PORT}; loopback unless a host is given)`,
      parseInspectAddress,
    )
    .action((path: string, opts: { listen?: { host: string; port: number } }) => inspectImage(path, opts));
}
