import { decodeBcd, decodeGbk, findTlv, parseBerTlv, toHex } from '../apdu/index.js';
import type { DedicatedFile, ElementaryFile, MasterFile } from '../card-sim/index.js';
import { findSsse } from '../card-sim/index.js';
import {
  ABO_CODES,
  BANK_AID,
  HEALTH_FLAGS,
  INSURANCE_TYPES,
  RH_CODES,
  SSC_EF05_ITEMS,
  SSC_EF06_ITEMS,
  SSC_FIDS,
  SSC_TLV_FILES,
  decodeContraindication,
  decodeHealthBasics,
  decodeInsuranceParticipation,
  decodeMedicalHistory,
  decodeSscItem,
  decodeSscRecord,
  decodeWorkRecord,
  recordItems,
} from '../records/index.js';
import type { SscItem } from '../records/index.js';

/*
 * Record by record decoding of the SSC files for the inspector's file tree, with the decoders of
 * src/records (the same ones the simulator writes with and the SDK reads with). A record that does
 * not decode shows its problem instead of fields; the raw bytes are always there beside it.
 */

/** One decoded record: labelled fields, or why it does not decode. */
export interface DecodedRecord {
  record: number;
  fields?: Array<[label: string, value: string]>;
  problem?: string;
}

type RecordDecoder = (record: Uint8Array, n: number) => Array<[string, string]>;

function text(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function fieldsOf(value: object): Array<[string, string]> {
  return Object.entries(value).map(([k, v]) => [k, text(v)]);
}

function itemsByTag(items: readonly SscItem[]): RecordDecoder {
  return (record) => {
    const item = items.find((i) => i.tag === record[0]);
    if (item === undefined) throw new Error(`no item with tag ${toHex(record.subarray(0, 1))}`);
    return [[`${item.label} (${item.key})`, decodeSscItem(item, record)]];
  };
}

function child(df: DedicatedFile | undefined, fid: number): DedicatedFile | undefined {
  return df?.childDf(fid);
}

function efOf(df: DedicatedFile | undefined, fid: number): ElementaryFile | undefined {
  return df?.childEf(fid);
}

/** The decoder of each SSC record file of `tree` that has one. */
export function recordDecoders(tree: MasterFile): Map<ElementaryFile, RecordDecoder> {
  const out = new Map<ElementaryFile, RecordDecoder>();
  const put = (file: ElementaryFile | undefined, decode: RecordDecoder) => {
    if (file !== undefined) out.set(file, decode);
  };
  const ssse = findSsse(tree);
  if (ssse !== undefined) {
    put(efOf(ssse, SSC_FIDS.EF05), itemsByTag(SSC_EF05_ITEMS));
    put(efOf(ssse, SSC_FIDS.EF06), itemsByTag(SSC_EF06_ITEMS));
    for (const spec of SSC_TLV_FILES) {
      const file = efOf(spec.df === undefined ? ssse : child(ssse, spec.df), spec.fid);
      put(file, (record, n) => {
        const rec = spec.records[n - 1];
        if (rec === undefined) throw new Error(`record ${n} is not in the layout of ${spec.path}`);
        const values = decodeSscRecord(rec, record);
        return recordItems(rec).map((i) => [`${i.label} (${i.key})`, values[i.key] ?? '']);
      });
    }
    put(efOf(child(ssse, SSC_FIDS.DF02), SSC_FIDS.EF07), (r) => fieldsOf(decodeWorkRecord(r)));
    const df03 = child(ssse, SSC_FIDS.DF03);
    put(efOf(df03, SSC_FIDS.DF03_INSURANCE), (r, n) => [
      ['insurance', `${INSURANCE_TYPES[n - 1]?.label ?? '?'} (${INSURANCE_TYPES[n - 1]?.key ?? n})`],
      ...fieldsOf(decodeInsuranceParticipation(r)),
    ]);
    const df10 = child(ssse, SSC_FIDS.DF10);
    put(efOf(df10, SSC_FIDS.EF07), (r) => fieldsOf(decodeContraindication(r)));
    put(efOf(df10, SSC_FIDS.EF08), (r) => fieldsOf(decodeMedicalHistory(r)));
  }
  const bank = tree.findByDfName(BANK_AID);
  put(bank?.efBySfi(1), (r) => {
    const tlvs = parseBerTlv(r);
    const pan = findTlv(tlvs, 0x5a);
    const name = findTlv(tlvs, 0x5f20);
    if (pan === undefined || name === undefined) throw new Error('template 70 lacks 5A or 5F20');
    return [
      ['PAN (5A)', decodeBcd(pan.value)],
      ['cardholder (5F20)', decodeGbk(name.value)],
    ];
  });
  return out;
}

/** The health basics file (DF10/EF05) decodes as a whole: blood type and the twelve flags. */
export function healthBasicsOf(tree: MasterFile): { file: ElementaryFile; fields: DecodedRecord } | undefined {
  const file = efOf(child(findSsse(tree), SSC_FIDS.DF10), SSC_FIDS.EF05);
  if (file === undefined) return undefined;
  try {
    const b = decodeHealthBasics(file.records());
    const flags = HEALTH_FLAGS.map((f): [string, string] => [`${f.label} (${f.key})`, text(b.flags[f.key])]);
    const fields: Array<[string, string]> = [
      ['ABO 血型', `${ABO_CODES[b.abo]} (${b.abo})`],
      ['Rh 血型', `${RH_CODES[b.rh]} (${b.rh})`],
      ...flags,
      ...Object.entries(b)
        .filter(([k]) => k !== 'abo' && k !== 'rh' && k !== 'flags')
        .map(([k, v]): [string, string] => [k, text(v)]),
    ];
    return { file, fields: { record: 0, fields } };
  } catch (err) {
    return { file, fields: { record: 0, problem: err instanceof Error ? err.message : String(err) } };
  }
}

/** Each record of `file` decoded with `decode` (problems named, not thrown). */
export function decodeRecords(file: ElementaryFile, decode: RecordDecoder): DecodedRecord[] {
  return file.records().map((r, i) => {
    try {
      return { record: i + 1, fields: decode(r, i + 1) };
    } catch (err) {
      return { record: i + 1, problem: err instanceof Error ? err.message : String(err) };
    }
  });
}

/** A DF name as text when it reads as text (GBK or ASCII), else undefined. */
export function dfNameText(name: Uint8Array | undefined): string | undefined {
  if (name === undefined) return undefined;
  try {
    const s = decodeGbk(name);
    return /^[\x20-\x7e\u4e00-\u9fff]+$/u.test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}
