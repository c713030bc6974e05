import { SscardError, toHex } from '../../apdu/index.js';
import { parseAtr } from '../../card-sim/index.js';
import {
  CardRemovedError,
  FileNotFoundError,
  SecureModuleRequiredError,
  SecurityStatusError,
  SscCard,
  formatTracePretty,
} from '../../terminal/index.js';
import { PcscTransport, listReaders, watchReaders } from '../../terminal/pcsc/index.js';
import type { PcscBackendSetting, ReaderEvent, ReaderInfo } from '../../terminal/pcsc/index.js';
import { resolveReader } from '../card-source.js';
import { colors, printLine } from '../output.js';

/*
 * `sscard readers`: the PC/SC readers, whether each holds a card, and its ATR decoded.
 * `sscard watch`: reader and card events as they happen; a social security card that appears is
 * read (card number from EF05, holder from EF06 where the card gives it without a key).
 */

/** The ATR's parts a person wants to see; a malformed ATR is shown as such, not thrown. */
export function describeAtr(atr: Uint8Array): {
  protocols?: string;
  historical?: string;
  cardBytes?: string;
  problem?: string;
} {
  try {
    const parsed = parseAtr(atr);
    return {
      protocols: parsed.protocols.map((p) => `T=${p}`).join(', '),
      historical: toHex(parsed.historical, { spaces: true }),
      cardBytes: toHex(parsed.cardSpecific, { spaces: true }),
    };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

function readerJson(r: ReaderInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: r.name,
    cardPresent: r.cardPresent,
    inUse: r.inUse,
    exclusive: r.exclusive,
    mute: r.mute,
  };
  if (r.atr !== undefined) out['atr'] = { hex: toHex(r.atr), ...describeAtr(r.atr) };
  return out;
}

/** `{ backend }` when one was named, else nothing (the default). */
function backendOf(opts: { backend?: PcscBackendSetting }): { backend?: PcscBackendSetting } {
  return opts.backend === undefined ? {} : { backend: opts.backend };
}

export async function showReaders(opts: { json?: boolean; backend?: PcscBackendSetting }): Promise<void> {
  const readers = await listReaders(backendOf(opts));
  if (opts.json === true) {
    printLine(JSON.stringify(readers.map(readerJson), null, 2));
    return;
  }
  if (readers.length === 0) {
    printLine('no PC/SC readers (is the reader plugged in and pcscd running?)');
    return;
  }
  const c = colors();
  readers.forEach((r, i) => {
    const flags = [r.inUse ? 'in use' : '', r.exclusive ? 'exclusive' : '', r.mute ? 'mute' : '']
      .filter(Boolean)
      .join(', ');
    printLine(
      `${i}  ${c.bold(r.name)}: ${r.cardPresent ? c.green('card present') : 'no card'}${flags === '' ? '' : ` (${flags})`}`,
    );
    if (r.atr === undefined) return;
    printLine(`   ATR ${toHex(r.atr, { spaces: true })}`);
    const d = describeAtr(r.atr);
    if (d.problem !== undefined) {
      printLine(`   ${c.yellow(`not a valid ISO 7816-3 ATR: ${d.problem}`)}`);
    } else {
      printLine(`   protocols ${d.protocols}; historical bytes ${d.historical === '' ? 'none' : d.historical}`);
      printLine(`   card-specific bytes ${d.cardBytes}`);
    }
  });
}

export interface WatchOptions {
  timeout?: number;
  reader?: string;
  json?: boolean;
  trace?: boolean;
  backend?: PcscBackendSetting;
}

/** What `watch` learnt from a social security card. */
interface CardReport {
  reader: string;
  social: boolean;
  cardNumber?: string;
  holder?: string;
  specVersion?: string;
  note?: string;
}

/** Reads card number and holder; a card that is not an SSC, or leaves mid-read, is reported as such. */
async function readSocialSecurityCard(
  reader: string,
  trace: boolean,
  backend: { backend?: PcscBackendSetting },
): Promise<CardReport> {
  const transport = await PcscTransport.connect({ reader, closeDisposition: 'leave', ...backend });
  try {
    let card: SscCard;
    try {
      card = await SscCard.open(transport, {
        timeoutMs: 3000,
        ...(trace ? { trace: (e) => process.stderr.write(`${formatTracePretty(e)}\n`) } : {}),
      });
    } catch (error) {
      if (error instanceof FileNotFoundError)
        return { reader, social: false, note: 'not a social security card (no SSSE application)' };
      throw error;
    }
    const info = await card.readCardInfo();
    const report: CardReport = { reader, social: true, cardNumber: info.cardNumber, specVersion: info.specVersion };
    try {
      report.holder = (await card.readCardholder()).name;
    } catch (error) {
      if (!(error instanceof SecureModuleRequiredError) && !(error instanceof SecurityStatusError)) throw error;
      report.note = `cardholder data needs external authentication (spec ${info.specVersion} card)`;
    }
    return report;
  } finally {
    await transport.close();
  }
}

function eventLine(e: ReaderEvent): string {
  switch (e.type) {
    case 'reader-attached':
      return `reader attached: ${e.reader} (${e.cardPresent ? 'card present' : 'empty'})`;
    case 'reader-detached':
      return `reader detached: ${e.reader}`;
    case 'card-inserted':
      return `card inserted: ${e.reader}${e.atr === undefined ? '' : ` ATR ${toHex(e.atr, { spaces: true })}`}`;
    case 'card-removed':
      return `card removed: ${e.reader}`;
    case 'error':
      return `error: ${e.error.message}`;
  }
}

function eventJson(e: ReaderEvent): Record<string, unknown> {
  if (e.type === 'error') return { type: 'error', code: e.error.code, message: e.error.message };
  const out: Record<string, unknown> = { ...e };
  if ('atr' in e && e.atr !== undefined) out['atr'] = toHex(e.atr);
  return out;
}

export async function watch(opts: WatchOptions): Promise<void> {
  const json = opts.json === true;
  const emitLine = (text: string, data: Record<string, unknown>): void => printLine(json ? JSON.stringify(data) : text);
  // A reader named but not plugged in yet is watched for; an index must name a listed reader.
  const backend = backendOf(opts);
  const readerFilter =
    opts.reader === undefined ? undefined : await resolveReader(opts.reader, { mustExist: false, ...backend });

  // One read at a time per reader; reads still running when the watch ends are waited for.
  const reads = new Map<string, Promise<void>>();
  const readCard = (reader: string): void => {
    const previous = reads.get(reader) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        const r = await readSocialSecurityCard(reader, opts.trace === true, backend);
        const text = r.social
          ? `social security card in ${reader}: card number ${r.cardNumber}, holder ${r.holder ?? '(not readable)'} (spec ${r.specVersion})${r.note === undefined ? '' : `; ${r.note}`}`
          : `card in ${reader}: ${r.note}`;
        emitLine(text, { type: 'card-read', ...r });
      } catch (error) {
        const gone = error instanceof CardRemovedError;
        const message = error instanceof Error ? error.message : String(error);
        emitLine(
          gone ? `card in ${reader} left before it could be read` : `card in ${reader} could not be read: ${message}`,
          { type: 'card-read-failed', reader, code: error instanceof SscardError ? error.code : 'UNKNOWN', message },
        );
      }
    });
    reads.set(reader, next);
  };

  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const w = await watchReaders((e) => {
    if (readerFilter !== undefined && e.type !== 'error' && e.reader !== readerFilter) return;
    emitLine(eventLine(e), eventJson(e));
    if (e.type === 'card-inserted') readCard(e.reader);
  }, backend);
  const timer = opts.timeout === undefined ? undefined : setTimeout(finish, opts.timeout * 1000);
  process.on('SIGINT', finish);
  process.on('SIGTERM', finish);
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', finish);
    process.off('SIGTERM', finish);
    w.close();
    await Promise.allSettled(reads.values());
  }
}
