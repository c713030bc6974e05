import { existsSync } from 'node:fs';
import { SscardError, toHex } from '../../apdu/index.js';
import {
  ABO_CODES,
  HEALTH_FLAGS,
  INSURANCE_STATUS_CODES,
  INSURANCE_TYPES,
  RH_CODES,
  SSC_EF05_ITEMS,
  SSC_EF06_ITEMS,
} from '../../records/index.js';
import {
  PersonalizationError,
  buildSscCard,
  inspectSscTree,
  jsonSyntaxProblem,
  readCardImage,
  loadCardImage,
  lockCardImage,
  samplePerson,
  saveCardImage,
  validatePersonalization,
} from '../../card-sim/index.js';
import type {
  PersonalizationDocument,
  PinReport,
  ResolvedPersonalization,
  SscCardReport,
} from '../../card-sim/index.js';
import { CliInputError } from '../errors.js';
import { colors, printLine } from '../output.js';
import { readInputFile } from '../input-file.js';
import { DEFAULT_SAMPLE } from '../commands/card.js';

/** Reads a personalization document from a JSON file; errors name the file. */
function readDocumentFile(file: string): unknown {
  const text = readInputFile(file);
  try {
    return JSON.parse(text);
  } catch (err) {
    // Not JSON.parse's own message: it may quote the text around the error (a PIN, a key).
    throw new CliInputError(`${file}: not valid JSON (${jsonSyntaxProblem(text, err)})`);
  }
}

export interface NewOptions {
  financial?: boolean;
  spec?: '2.00' | '3.00';
  pinTries?: number;
  from?: string;
  sample?: string;
  transmission?: 'T=0' | 'T=1';
  force?: boolean;
}

/**
 * The document `card new` personalizes: the --from file or a sample person, with the command-line
 * overrides applied. Each keeps its own `financial` (as samplePerson() gives it to the SDK) unless
 * --financial or --no-financial says otherwise; a card made non-financial drops its PAN and bank PIN.
 */
export function documentFor(opts: NewOptions): unknown {
  let doc: Record<string, unknown>;
  let what: string;
  if (opts.from !== undefined) {
    const read = readDocumentFile(opts.from);
    if (read === null || typeof read !== 'object' || Array.isArray(read)) {
      throw new CliInputError(`${opts.from}: a personalization document must be a JSON object`);
    }
    doc = read as Record<string, unknown>;
    what = opts.from;
  } else {
    doc = samplePerson(opts.sample ?? DEFAULT_SAMPLE) as PersonalizationDocument & Record<string, unknown>;
    what = `sample ${opts.sample ?? DEFAULT_SAMPLE}`;
  }
  if (opts.financial !== undefined) doc['financial'] = opts.financial;
  const card = doc['card'];
  if (doc['financial'] !== true) {
    if (card !== null && typeof card === 'object') delete (card as Record<string, unknown>)['pan'];
    delete doc['bankPin'];
  } else if (opts.financial === true && (card === null || typeof card !== 'object' || !('pan' in card))) {
    throw new CliInputError(
      `${what} has no bank PAN (card.pan); pick a financial sample or give one in a --from document`,
    );
  }
  if (opts.spec !== undefined) doc['specVersion'] = opts.spec;
  if (opts.pinTries !== undefined) {
    const pin = doc['pin'];
    doc['pin'] = { ...(pin !== null && typeof pin === 'object' ? pin : {}), tryLimit: opts.pinTries };
  }
  return doc;
}

export function cardNew(image: string, opts: NewOptions): void {
  // Replacing an image another process has open would be undone by that process's next save.
  const lock = lockCardImage(image);
  try {
    if (opts.force !== true && existsSync(image)) {
      throw new CliInputError(`${image} already exists; use --force to replace it`);
    }
    createImage(image, opts);
  } finally {
    lock.release();
  }
}

function createImage(image: string, opts: NewOptions): void {
  const resolved = saveNewCardImage(image, documentFor(opts), opts);
  const c = colors();
  printLine(
    `${c.green('created')} ${image}: ${resolved.person.name}, card ${resolved.card.number}, spec ${resolved.specVersion}` +
      `${resolved.financial ? ', financial' : ''}, PIN tries ${resolved.pin.tryLimit}`,
  );
}

/**
 * Personalizes a card from `doc` and saves it as the image `image` (the caller holds the image's
 * lock); invalid documents are errors naming the field (and the --from file).
 */
export function saveNewCardImage(
  image: string,
  doc: unknown,
  opts: Pick<NewOptions, 'from' | 'transmission'>,
): ResolvedPersonalization {
  let resolved: ResolvedPersonalization;
  try {
    resolved = validatePersonalization(doc);
  } catch (err) {
    if (err instanceof PersonalizationError && opts.from !== undefined) {
      throw new SscardError(err.code, `${opts.from}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const card = buildSscCard(doc, opts.transmission === undefined ? {} : { transmission: opts.transmission });
  saveCardImage(image, card);
  return resolved;
}

// ---- card show ----------------------------------------------------------------------------

function pinLine(p: PinReport): string {
  if (p.blocked) return `blocked (0 of ${p.tryLimit} tries left)`;
  return `${p.triesLeft} of ${p.tryLimit} tries left${p.initial ? '; initial PIN still in effect' : ''}`;
}

function hexTag(tag: number): string {
  return toHex(Uint8Array.of(tag));
}

function showReport(image: string, meta: ReturnType<typeof readCardImage>, r: SscCardReport, atr: string): void {
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
  const meta = readCardImage(image);
  const card = loadCardImage(image);
  const report = inspectSscTree(card.tree);
  if (opts.json === true) {
    // The report's shape comes with the SDK's value names: loaded for --json only.
    const { cardReportFromImage } = await import('../card-report.js');
    const source = { kind: 'image', path: image, created: meta.created, saved: meta.saved } as const;
    printLine(JSON.stringify(cardReportFromImage(source, toHex(card.atr), report), null, 2));
    return;
  }
  showReport(image, meta, report, toHex(card.atr));
}
