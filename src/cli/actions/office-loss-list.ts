import { readFileSync, writeFileSync } from 'node:fs';
import { ed25519KeyFromPem } from '../../keys/index.js';
import type { OperationContext } from '../../office/index.js';
import { CliInputError } from '../errors.js';
import { colors, printLine } from '../output.js';
import { withRegistry } from '../registry-options.js';
import { BLACKLIST_SIGNING_KEY_ENV } from '../commands/office.js';
import { SIDE_NAMES } from './office-common.js';
import type { CommonOptions } from './office-common.js';

/*
 * `sscard office expire-losses | loss-status | blacklist export`: the daily lapse of temporary
 * reports, a card's loss record, and the signed blacklist offline terminals load.
 */

/** Environment variable naming the PEM file of the issuer's blacklist signing key. */

export async function expireLosses(opts: CommonOptions): Promise<void> {
  const ctx: OperationContext = { terminalId: opts.terminal, role: 'admin', channel: 'batch' };
  await withRegistry(opts, async (registry) => {
    const restored = await registry.expireTemporaryLosses(ctx);
    if (opts.json === true) printLine(JSON.stringify(restored.map((c) => c.cardNumber)));
    else
      printLine(
        `${restored.length} temporary loss report${restored.length === 1 ? '' : 's'} lapsed${restored.length === 0 ? '' : `: ${restored.map((c) => c.cardNumber).join(', ')}`}`,
      );
  });
}

export async function lossStatus(cardNumber: string, opts: CommonOptions): Promise<void> {
  await withRegistry(opts, async (registry) => {
    const s = await registry.lossStatus(cardNumber);
    if (opts.json === true) {
      printLine(JSON.stringify(s, null, 2));
      return;
    }
    printLine(colors().bold(`card ${cardNumber}`));
    for (const r of s.reports) {
      const who = [r.document === null ? '' : `document ${r.document}`, r.proxyIdNumber === null ? '' : 'by proxy']
        .filter((x) => x !== '')
        .join(', ');
      printLine(
        `  report ${r.id}: ${SIDE_NAMES[r.side]}, ${r.channel}${who === '' ? '' : ` (${who})`}, ${r.reportedAt.toISOString()}: ${r.state}`,
      );
    }
    if (s.reports.length === 0) printLine('  no loss reports');
    const blocked = (['ssc', 'bank'] as const).filter((side) => s.applicationBlocked[side]);
    if (blocked.length > 0)
      printLine(`  blocked on the card by a terminal: ${blocked.map((side) => SIDE_NAMES[side]).join(', ')}`);
    const w = s.bankActivation;
    if (w !== null)
      printLine(`  bank activation window: ${w.from} to ${w.until} (day ${w.day}, ${w.open ? 'open' : 'closed'})`);
  });
}

export async function exportBlacklist(file: string, opts: CommonOptions & { signingKey?: string }): Promise<void> {
  const keyFile = opts.signingKey ?? process.env[BLACKLIST_SIGNING_KEY_ENV];
  let signingKey: Uint8Array | undefined;
  if (keyFile !== undefined && keyFile !== '') {
    const key = ed25519KeyFromPem(readFileSync(keyFile, 'utf8'));
    if (key.privateKey === undefined)
      throw new CliInputError(`${keyFile} holds a public key; signing needs the private key`);
    signingKey = key.privateKey;
  }
  const ctx: OperationContext = { terminalId: opts.terminal, role: 'admin', channel: 'batch' };
  await withRegistry(opts, async (registry) => {
    // Temporary reports past their lapse are settled first, so the file follows the rule.
    const lapsed = await registry.expireTemporaryLosses(ctx);
    const signed = await registry.exportBlacklist(ctx, signingKey === undefined ? {} : { signingKey });
    writeFileSync(file, `${JSON.stringify(signed, null, 2)}\n`);
    if (opts.json === true)
      printLine(
        JSON.stringify({
          file,
          version: signed.version,
          issuedAt: signed.issuedAt,
          entries: signed.entries.length,
          keyId: signed.keyId,
          lapsed: lapsed.length,
        }),
      );
    else {
      printLine(
        `${colors().green('exported')} blacklist version ${signed.version} (${signed.entries.length} entr${signed.entries.length === 1 ? 'y' : 'ies'}, ` +
          `issued ${signed.issuedAt}, key ${signed.keyId}${keyFile === undefined || keyFile === '' ? ' = the published TEST key' : ''}) to ${file}`,
      );
    }
  });
}

/** Adds expire-losses, loss-status and blacklist export to `sscard office`. */
