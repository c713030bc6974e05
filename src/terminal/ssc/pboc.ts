import {
  SscardError,
  decodeBcd,
  decodeGbk,
  findTlv,
  getProcessingOptions,
  parseBerTlv,
  readRecord,
  selectByName,
  toHex,
  type Tlv,
} from '../../apdu/index.js';
import { BANK_AID, PSE_DF_NAME } from '../../records/index.js';
import type { CardSession } from '../channel.js';
import { CardDataError, FileNotFoundError, RecordNotFoundError } from '../errors.js';
import { cardData } from './records.js';

/*
 * Reading the account of a PBOC (UnionPay) debit/credit application the way payment terminals do
 * it (card profile §7), with nothing SSC-specific in it: SELECT the PSE `1PAY.SYS.DDF01`, read its
 * directory for the application's AID (falling back to the UnionPay debit AID when the card has
 * no PSE), SELECT the AID, GET PROCESSING OPTIONS (the PDOL, if the FCI names one, answered with
 * zeros), then READ RECORD every record the AFL names and take the PAN (5A), expiry (5F24),
 * cardholder name (5F20) and track 2 (57) from the record templates. Not an EMV kernel: no
 * offline data authentication, no cardholder verification, no GENERATE AC.
 */

/** What a payment terminal reads from the bank side of a financial card. */
export interface BankAccount {
  /** The application's AID, hex (e.g. 'A000000333010101'). */
  aid: string;
  /** Application label (50), '' when the card gives none. */
  label: string;
  /** Primary account number (5A), digits. */
  pan: string;
  /** Application expiry date (5F24) as 'YYYY-MM-DD'. */
  expiryDate: string;
  /** Cardholder name (5F20): ASCII 'SURNAME/GIVEN', or GBK on cards that print Chinese; '' when absent. */
  cardholderName: string;
  /** Track 2 equivalent data (57) as hex digits, F padding removed ('' when absent). */
  track2: string;
}

/** Bounds of the loops over card data (a card that claims more is misbehaving). */
const MAX_DIRECTORY_RECORDS = 16;
const MAX_AFL_ENTRIES = 16;

/** The BER-TLV list of card data; a parse failure is the card's fault (CardDataError). */
function tlvs(what: string, bytes: Uint8Array): Tlv[] {
  return cardData(what, () => parseBerTlv(bytes));
}

/** Every TLV of `list` and of its constructed children, depth first. */
function* walk(list: readonly Tlv[]): Generator<Tlv> {
  for (const t of list) {
    yield t;
    if (t.children !== undefined) yield* walk(t.children);
  }
}

function first(list: readonly Tlv[], tag: number): Tlv | undefined {
  for (const t of walk(list)) if (t.tag === tag) return t;
  return undefined;
}

/** The AIDs a PSE directory lists (61 { 4F }), by priority (87, lowest first); [] without a PSE. */
async function aidsFromPse(s: CardSession): Promise<Uint8Array[]> {
  let fci: Uint8Array;
  try {
    fci = await s.send(selectByName(PSE_DF_NAME));
  } catch (error) {
    if (error instanceof FileNotFoundError) return [];
    throw error;
  }
  const sfi = first(tlvs('PSE FCI', fci), 0x88)?.value[0];
  if (sfi === undefined || sfi < 1 || sfi > 30) throw new CardDataError('PSE FCI names no directory SFI (88)');
  const entries: Array<{ aid: Uint8Array; priority: number }> = [];
  for (let n = 1; n <= MAX_DIRECTORY_RECORDS; n++) {
    let record: Uint8Array;
    try {
      record = await s.send(readRecord(n, { sfi }));
    } catch (error) {
      if (error instanceof RecordNotFoundError) break;
      throw error;
    }
    for (const t of walk(tlvs(`PSE directory record ${n}`, record))) {
      if (t.tag !== 0x61 || t.children === undefined) continue;
      const aid = findTlv(t.children, 0x4f)?.value;
      if (aid !== undefined) entries.push({ aid, priority: (findTlv(t.children, 0x87)?.value[0] ?? 0x0f) & 0x0f });
    }
  }
  return entries.sort((a, b) => a.priority - b.priority).map((e) => e.aid);
}

/** The PDOL data of zeros for the PDOL in `fci` (9F38: tag, length pairs), empty without one. */
function pdolZeros(fci: readonly Tlv[]): Uint8Array {
  const pdol = first(fci, 0x9f38)?.value;
  if (pdol === undefined) return new Uint8Array(0);
  let total = 0;
  for (let i = 0; i < pdol.length;) {
    // The tag: one byte, or more when its low five bits are all 1 (then every byte with b8 set continues it).
    let end = i;
    if (((pdol[i] as number) & 0x1f) === 0x1f) {
      end += 1;
      while (end < pdol.length && ((pdol[end] as number) & 0x80) !== 0) end += 1;
    }
    const length = pdol[end + 1];
    if (length === undefined) throw new CardDataError('the PDOL (9F38) ends inside an entry');
    total += length;
    i = end + 2;
  }
  if (total > 0x7f) throw new CardDataError(`the card's PDOL asks for ${total} bytes`);
  return new Uint8Array(total);
}

/** AFL (94) from a GPO answer: format 1 `80 { AIP 2 || AFL }` or format 2 `77 { 82, 94 }`. */
function aflOf(answer: Uint8Array): Uint8Array {
  const list = tlvs('GET PROCESSING OPTIONS', answer);
  const format1 = findTlv(list, 0x80)?.value;
  const afl = format1 !== undefined ? format1.subarray(2) : first(list, 0x94)?.value;
  if (afl === undefined || afl.length === 0 || afl.length % 4 !== 0 || afl.length / 4 > MAX_AFL_ENTRIES) {
    throw new CardDataError('GET PROCESSING OPTIONS: no AFL of 4-byte entries');
  }
  return afl;
}

/** 'YYYY-MM-DD' of an EMV YYMMDD date (years 00-49 are 20xx, as EMV reads them). */
function emvDate(value: Uint8Array): string {
  const digits = cardData('5F24', () => decodeBcd(value));
  if (!/^[0-9]{6}$/.test(digits)) throw new CardDataError('5F24 is not a YYMMDD date');
  const yy = Number(digits.slice(0, 2));
  return `${yy < 50 ? 20 : 19}${digits.slice(0, 2)}-${digits.slice(2, 4)}-${digits.slice(4, 6)}`;
}

/** 5F20 as text: ASCII when it is, else GBK. */
function holderName(value: Uint8Array | undefined): string {
  if (value === undefined) return '';
  if (value.every((b) => b >= 0x20 && b < 0x7f)) return String.fromCharCode(...value).trimEnd();
  try {
    return decodeGbk(value).trimEnd();
  } catch (error) {
    if (error instanceof SscardError) throw new CardDataError(`5F20: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Reads the bank account of the card's PBOC application (see the top of this file). */
export async function readPbocAccount(s: CardSession): Promise<BankAccount> {
  const listed = await aidsFromPse(s);
  const aid = listed[0] ?? BANK_AID;
  const fci = tlvs('application FCI', await s.send(selectByName(aid)));
  const label = first(fci, 0x50)?.value;
  const afl = aflOf(await s.send(getProcessingOptions(pdolZeros(fci))));
  const found = new Map<number, Uint8Array>();
  for (let i = 0; i < afl.length; i += 4) {
    const sfi = (afl[i] as number) >> 3;
    const from = afl[i + 1] as number;
    const to = afl[i + 2] as number;
    if (sfi < 1 || sfi > 30 || from < 1 || to < from) throw new CardDataError(`AFL entry ${i / 4 + 1} is malformed`);
    for (let n = from; n <= to; n++) {
      const record = await s.send(readRecord(n, { sfi }));
      for (const t of walk(tlvs(`SFI ${sfi} record ${n}`, record))) {
        if (t.children === undefined && !found.has(t.tag)) found.set(t.tag, t.value);
      }
    }
  }
  const track2 = toHex(found.get(0x57) ?? new Uint8Array(0)).replace(/F+$/, '');
  const panBytes = found.get(0x5a);
  const pan = panBytes !== undefined ? cardData('5A', () => decodeBcd(panBytes)) : (track2.split('D')[0] ?? '');
  if (!/^[0-9]{12,19}$/.test(pan)) throw new CardDataError('the records the AFL names hold no PAN (5A or track 2)');
  const expiry = found.get(0x5f24);
  if (expiry === undefined) throw new CardDataError('the records the AFL names hold no expiry date (5F24)');
  return {
    aid: toHex(aid),
    label: label === undefined ? '' : String.fromCharCode(...label).trim(),
    pan,
    expiryDate: emvDate(expiry),
    cardholderName: holderName(found.get(0x5f20)),
    track2,
  };
}
