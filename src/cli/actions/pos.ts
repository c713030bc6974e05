import { OfficeIssuerHost, Registry, defaultRegistryLocation } from '../../office/index.js';
import type { OperationContext } from '../../office/index.js';
import { SoftwarePsam } from '../../terminal/index.js';
import type { ScriptOutcome, ScriptRun } from '../../terminal/index.js';
import { withSscCard } from '../card-source.js';
import type { CardSourceOptions } from '../card-source.js';
import { readPins } from '../pin-input.js';
import type { CliIo } from '../pin-input.js';
import { colors, printLine } from '../output.js';
import { CliInputError } from '../errors.js';

/*
 * `sscard pos`: a card inserted at a POS terminal. With --db the terminal is online: as it opens
 * the card it applies the card's pending issuer scripts (a PIN change given to the hotline)
 * through the office's IssuerHost and reports each answer; without --db it is offline and sends
 * none. With --verify the holder then enters the PIN (hidden prompt or --pin-stdin), as at the
 * counter. The office's secure module is a software one with the project's published test master
 * key PIN_CHANGE (simulated cards).
 */

export interface PosOptions extends CardSourceOptions {
  db?: string;
  verify?: boolean;
  pinStdin?: boolean;
  terminal: string;
  /** Set when someone wrote --pin <value>: refused. */
  pin?: string;
}

function outcomeText(outcome: ScriptOutcome): string {
  if (outcome.result === 'applied') return 'applied';
  if (outcome.reason === 'pin_incorrect') {
    const t = (outcome as { triesLeft: number }).triesLeft;
    return t === 0
      ? 'refused by the card: wrong current PIN, the PIN is now locked'
      : `refused by the card: wrong current PIN, ${t} ${t === 1 ? 'try' : 'tries'} left`;
  }
  return `refused by the card (${outcome.reason.replace(/_/g, ' ')})`;
}

function printRun(run: ScriptRun | undefined): void {
  const c = colors();
  if (run === undefined) {
    printLine('offline: no issuer scripts');
    return;
  }
  if (!run.online) {
    printLine(c.yellow(`offline: the issuer host did not answer (${run.hostError?.code ?? 'unknown'})`));
    return;
  }
  if (run.entries.length === 0) printLine('online: no pending issuer scripts');
  for (const e of run.entries) {
    const what =
      e.outcome === undefined
        ? c.yellow(`not sent (${e.error?.code ?? 'unknown'})`)
        : e.outcome.result === 'applied'
          ? c.green('applied')
          : c.red(outcomeText(e.outcome));
    const report =
      e.outcome !== undefined && !e.reported ? c.yellow(` (report not recorded: ${e.error?.code ?? 'unknown'})`) : '';
    printLine(`issuer script ${e.id} (${e.kind.replace(/_/g, ' ')}): ${what}${report}`);
  }
}

export async function pos(opts: PosOptions, io: CliIo): Promise<void> {
  if (opts.pin !== undefined)
    throw new CliInputError('a PIN is never taken from the command line; use the prompt or --pin-stdin');
  const registry =
    opts.db === undefined ? undefined : await Registry.open(opts.db === '' ? defaultRegistryLocation() : opts.db);
  try {
    const ctx: OperationContext = { terminalId: opts.terminal, role: 'pos', channel: 'terminal' };
    const issuerHost =
      registry === undefined
        ? undefined
        : new OfficeIssuerHost(registry, SoftwarePsam.withTestKeys(['PIN_CHANGE']), ctx);
    await withSscCard(
      opts,
      async (card) => {
        const info = await card.readCardInfo();
        printLine(
          `card ${info.cardNumber} at ${opts.terminal}${registry === undefined ? '' : ` (online: ${registry.location})`}`,
        );
        printRun(card.issuerScripts);
        if (opts.verify !== true) return;
        const [pin = ''] = await readPins(['PIN: '], opts.pinStdin === true, io);
        await card.verifyPin(pin);
        printLine(colors().green('PIN correct'));
      },
      issuerHost === undefined ? {} : { issuerHost },
    );
  } finally {
    await registry?.close();
  }
}
