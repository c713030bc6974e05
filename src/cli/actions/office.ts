import { existsSync } from 'node:fs';
import { lockCardImage, validatePersonalization } from '../../card-sim/index.js';
import type { CardStatus, HistoryEntry, OperationContext } from '../../office/index.js';
import { colors, printLine } from '../output.js';
import { CliInputError } from '../errors.js';
import type { NewCardOptions } from '../new-card-options.js';
import { withRegistry } from '../registry-options.js';
import type { RegistryDbOptions } from '../registry-options.js';
import { documentFor, saveNewCardImage } from './card.js';

/*
 * `sscard office …`: the back office registry from the command line. Every command takes
 * --db URL (file:DIR for the embedded store, postgres://… for a server; default SSCARD_DB, else
 * file:./sscard-office). `office issue` glues the registry (person, card, numbers, the stored
 * document) to the card simulator (the image built from that same document), which the office
 * itself never imports.
 */

type DbOptions = RegistryDbOptions;

// ---- init -----------------------------------------------------------------------------------

export async function officeInit(opts: DbOptions): Promise<void> {
  await withRegistry(opts, async (registry) => {
    const m = registry.migration;
    const what = m.applied.length === 0 ? 'up to date' : m.from === 0 ? 'created' : `migrated from version ${m.from}`;
    printLine(`registry ${registry.location} (${registry.backend}): schema version ${m.to}, ${what}`);
  });
}

// ---- status ---------------------------------------------------------------------------------

function statusLines(card: CardStatus): void {
  const c = colors();
  const row = (label: string, value: string) => printLine(`  ${label.padEnd(18)} ${value}`);
  printLine(c.bold(`card ${card.cardNumber}`));
  row('identifier', card.cardIdentifier);
  row('holder', `${card.holderName} (ID ${card.idNumber})`);
  row('spec', `${card.specVersion}${card.financial ? ', financial' : ''}`);
  row('issued / expires', `${card.issueDate} / ${card.expiryDate}`);
  row('social security', card.ssc);
  row('bank', card.bank ?? 'none (not a financial card)');
  row('application PIN', card.pinInitial ? 'initial (123456) as far as the office knows' : 'changed by the holder');
  row('personalization', `version ${card.personalizationVersion}`);
  row('pending scripts', String(card.pendingScripts));
  if (card.replaces !== null) row('replaces', card.replaces);
}

export async function officeStatus(cardNumber: string, opts: DbOptions & { json?: boolean }): Promise<void> {
  await withRegistry(opts, async (registry) => {
    const card = await registry.cardStatus(cardNumber);
    if (opts.json === true) printLine(JSON.stringify(card, null, 2));
    else statusLines(card);
  });
}

// ---- history --------------------------------------------------------------------------------

function historyLine(e: HistoryEntry): string {
  const c = colors();
  const result = e.result === 'ok' ? c.green('ok') : c.red(`refused ${e.reason ?? ''}`);
  const details = Object.keys(e.details).length === 0 ? '' : ` ${c.dim(JSON.stringify(e.details))}`;
  return `${String(e.id).padStart(6)} ${e.at.toISOString()} ${e.operation.padEnd(24)} ${result}  ${e.role}/${e.channel} ${e.terminalId}${details}`;
}

export async function officeHistory(
  cardNumber: string,
  opts: DbOptions & { json?: boolean; limit?: number },
): Promise<void> {
  await withRegistry(opts, async (registry) => {
    const entries = await registry.history(cardNumber, opts.limit === undefined ? {} : { limit: opts.limit });
    if (opts.json === true) {
      printLine(JSON.stringify(entries, null, 2));
      return;
    }
    if (entries.length === 0) {
      printLine(`no history for card ${cardNumber}`);
      return;
    }
    for (const e of entries) printLine(historyLine(e));
  });
}

// ---- issue ----------------------------------------------------------------------------------

export interface IssueOptions extends DbOptions, NewCardOptions {
  terminal: string;
  json?: boolean;
}

export async function officeIssue(opts: IssueOptions): Promise<void> {
  if ((opts.sample === undefined) === (opts.from === undefined))
    throw new CliInputError('office issue needs one of --sample NAME or --from person.json');
  const doc = documentFor(opts);
  const ctx: OperationContext = { terminalId: opts.terminal, role: 'admin', channel: 'cli' };
  // The image is locked and checked first, so a card is never recorded without a place for its image.
  const lock = lockCardImage(opts.card);
  try {
    if (opts.force !== true && existsSync(opts.card))
      throw new CliInputError(`${opts.card} already exists; use --force to replace it`);
    await withRegistry(opts, async (registry) => {
      // The card simulator's full check runs inside the issue, on the document with its numbers.
      const issued = await registry.issueCard(ctx, { document: doc, validate: (d) => void validatePersonalization(d) });
      saveNewCardImage(opts.card, issued.document, opts);
      const card = issued.card;
      if (opts.json === true) {
        printLine(JSON.stringify({ image: opts.card, ...card }, null, 2));
        return;
      }
      const c = colors();
      printLine(
        `${c.green('issued')} card ${card.cardNumber} (identifier ${card.cardIdentifier}) to ${card.holderName}, ` +
          `spec ${card.specVersion}${card.financial ? ', financial' : ''}, valid ${card.issueDate} to ${card.expiryDate}; image ${opts.card}`,
      );
    });
  } finally {
    lock.release();
  }
}
