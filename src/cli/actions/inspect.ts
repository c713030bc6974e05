import { loadCardImage } from '../../card-sim/index.js';
import type { RunningInspector } from '../../inspector/index.js';
import { INSPECTOR_PORT } from '../help-constants.js';
import { printLine } from '../output.js';

/*
 * `sscard inspect <image.json>`: the inspector page for a card image at rest (read-only: the card
 * is loaded detached from the file and nothing talks to it), until Ctrl-C / SIGTERM. The running
 * card of `sscard sim serve --inspect` uses the same page, live.
 */

/** The inspector, loaded when a command needs it (every other command starts without it). */
export function loadInspector(): Promise<typeof import('../../inspector/index.js')> {
  return import('../../inspector/index.js');
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

export async function inspectImage(path: string, opts: { listen?: { host: string; port: number } }): Promise<void> {
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
