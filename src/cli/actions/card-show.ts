import { toHex } from '../../apdu/index.js';
import {
  ABO_CODES,
  HEALTH_FLAGS,
  INSURANCE_STATUS_CODES,
  INSURANCE_TYPES,
  RH_CODES,
  SSC_EF05_ITEMS,
  SSC_EF06_ITEMS,
} from '../../records/index.js';
// From the card-sim modules themselves, not the area's barrel: the barrel is an entry point of the
// package, and importing it would load personalization and the other profiles with `card show`.
// The image is read and checked without making a card of it: the card OS's command handlers are
// not loaded for a command that sends no command.
import { readImageFile } from '../../card-sim/image-access.js';
import type { CardImage } from '../../card-sim/image-format.js';
import { buildAtr } from '../../card-sim/atr.js';
import { inspectSscTree } from '../../card-sim/profiles/ssc-inspect.js';
import type { PinReport, SscCardReport } from '../../card-sim/profiles/ssc-inspect.js';
import { colors, printLine } from '../output.js';

/*
 * `card show`: what a card image holds, decoded from its file tree. A module of its own so the
 * command loads the card image and the record layouts, not the personalization of `card new`.
 */

function pinLine(p: PinReport): string {
  if (p.blocked) return `blocked (0 of ${p.tryLimit} tries left)`;
  return `${p.triesLeft} of ${p.tryLimit} tries left${p.initial ? '; initial PIN still in effect' : ''}`;
}

function hexTag(tag: number): string {
  return toHex(Uint8Array.of(tag));
}

function showReport(image: string, meta: CardImage, r: SscCardReport, atr: string): void {
  const c = colors();
  const head = (text: string) => printLine(c.bold(text));
  const row = (label: string, value: string) =>
    printLine(`  ${label.padEnd(24)} ${value === '' ? c.dim('(empty)') : value}`);
  head(`card image ${image}`);
  row('format', `${meta.format} v${meta.version}, created ${meta.created}, saved ${meta.saved}`);
  row('ATR', atr);
  row('spec', r.spec === null ? 'none' : `${r.spec} (${r.spec === '2.00' ? '3DES' : 'SM4'})`);
  row('holder', r.holder.fullName ?? '(unknown)');
  row('card number', r.issuer.cardNumber ?? '(unknown)');
  row('application PIN', r.appPin === null ? 'none' : pinLine(r.appPin));
  row('bank PIN', r.bankPin === null ? 'none (not a financial card)' : pinLine(r.bankPin));
  const lifecycle = (state: 'usable' | 'temporary' | 'permanent' | null) =>
    state === null ? 'none' : state === 'usable' ? 'usable' : `blocked (${state})`;
  row('applications', `SSSE ${lifecycle(r.applications.ssse)}, bank ${lifecycle(r.applications.bank)}`);

  head('SSSE/EF05 card issuer data');
  for (const item of SSC_EF05_ITEMS) row(`${hexTag(item.tag)} ${item.key}`, r.issuer[item.key] ?? '(missing)');
  head('SSSE/EF06 cardholder data');
  for (const item of SSC_EF06_ITEMS) row(`${hexTag(item.tag)} ${item.key}`, r.holder[item.key] ?? '(missing)');

  head(`DF02/EF07 work records (${r.workRecords.length} of ${r.capacity.workRecords ?? '?'})`);
  r.workRecords.forEach((w, i) =>
    row(`${i + 1} ${w.employerCode}`, `${w.startDate} .. ${w.endDate ?? 'current'}  ${w.employerName}`),
  );
  head('DF03/EF05 insurance participation');
  for (const t of INSURANCE_TYPES) {
    const p = r.insurance[t.key];
    if (p === undefined) continue;
    const since = p.since === null ? '' : ` since ${p.since}, region ${p.region}`;
    row(t.key, `${INSURANCE_STATUS_CODES[p.status]}${since}`);
  }
  head('DF10 health');
  const b = r.health.basics;
  if (b !== null) {
    row('blood type', `ABO ${ABO_CODES[b.abo]}, Rh ${RH_CODES[b.rh]}`);
    const flags = HEALTH_FLAGS.filter((f) => b.flags[f.key]).map((f) => `${f.key} (${f.label})`);
    row('conditions', flags.length === 0 ? 'none' : flags.join(', '));
    row('warning', b.warning === '' ? 'none' : b.warning);
  }
  row('EF07 contraindications', `${r.health.contraindications.length} of ${r.capacity.contraindications ?? '?'}`);
  r.health.contraindications.forEach((x, i) => row(`  ${i + 1}`, `${x.substance}: ${x.reaction}`));
  row('EF08 medical history', `${r.health.history.length} of ${r.capacity.history ?? '?'}`);
  r.health.history.forEach((h, i) => row(`  ${i + 1}`, `${h.date} ${h.icd10} ${h.diagnosis} (${h.institution})`));
  if (r.bank !== null) {
    head('bank application A000000333010101');
    row('PAN', r.bank.pan);
    row('cardholder name', r.bank.holder);
  }
  if (r.problems.length > 0) {
    head(c.red('problems'));
    for (const p of r.problems) printLine(`  ${c.red(p)}`);
  }
}

export async function cardShow(image: string, opts: { json?: boolean }): Promise<void> {
  // One read of the file gives both the image's own fields and the tree; the ATR is the one a card
  // from the image answers with (its protocol's ATR over the tree's card-specific bytes).
  const { image: meta, tree } = readImageFile(image, {});
  const atr = toHex(buildAtr(meta.transmission, tree.atrCardBytes));
  const report = inspectSscTree(tree);
  if (opts.json === true) {
    // The JSON report's module: loaded for --json only (it needs the record layouts, not the SDK).
    const { cardReportFromImage } = await import('../card-report.js');
    const source = { kind: 'image', path: image, created: meta.created, saved: meta.saved } as const;
    printLine(JSON.stringify(cardReportFromImage(source, atr, report), null, 2));
    return;
  }
  showReport(image, meta, report, atr);
}
