import { toHex } from '../../apdu/index.js';
import { TransparentFile, type ElementaryFile } from '../fs/elementary-files.js';
import type { DedicatedFile, MasterFile } from '../fs/nodes.js';
import { CARD_STATE_FORMAT, CARD_STATE_VERSION } from './schema.js';
import type { CardState, DfState, EfState } from './schema.js';

/** A FID as a card state writes it: 4 uppercase hex digits. */
export function fidHex(fid: number): string {
  return fid.toString(16).toUpperCase().padStart(4, '0');
}

function exportDf(df: DedicatedFile): DfState {
  const out: DfState = { type: 'df', fid: fidHex(df.fid), pins: [], keys: [], children: [] };
  if (df.label !== undefined) out.label = df.label;
  if (df.dfName !== undefined) out.dfName = toHex(df.dfName);
  if (df.cryptoAlgorithm !== undefined) out.cryptoAlgorithm = df.cryptoAlgorithm;
  if (df.fciProprietary !== undefined) out.fciProprietary = toHex(df.fciProprietary);
  if (df.blocked !== undefined) out.applicationBlocked = df.blocked;
  if (df.dataObjects !== undefined) out.dataObjects = toHex(df.dataObjects);
  if (df.processingOptions !== undefined) out.processingOptions = toHex(df.processingOptions);
  if (df.zeroIvReload) out.zeroIvReload = true;
  out.pins = df.pins.map((p) => ({
    id: p.id,
    reference: p.reference,
    format: p.format,
    policy: { ...p.policy, initialPinVerifier: { ...p.policy.initialPinVerifier } },
    record: p.record(),
  }));
  out.keys = df.keys.map((k) => ({
    id: k.id,
    algorithm: k.algorithm,
    usage: k.usage,
    key: toHex(k.key),
    tryLimit: k.tryLimit,
    triesLeft: k.triesLeft,
  }));
  out.children = df.children.map((c) => (c.kind === 'df' ? exportDf(c) : exportEf(c)));
  return out;
}

function exportEf(ef: ElementaryFile): EfState {
  // Keys in the order images have always had them.
  const head = { type: 'ef' as const, fid: fidHex(ef.fid) };
  const tail = {
    read: { ...ef.read },
    write: { ...ef.write },
    ...(ef.sfi === undefined ? {} : { sfi: ef.sfi }),
    ...(ef.label === undefined ? {} : { label: ef.label }),
  };
  if (ef instanceof TransparentFile) {
    return { ...head, structure: ef.structure, ...tail, size: ef.size, data: toHex(ef.data) };
  }
  return {
    ...head,
    structure: ef.structure as Exclude<typeof ef.structure, 'transparent'>,
    ...tail,
    recordLength: ef.recordLength ?? 0,
    maxRecords: ef.maxRecords ?? 0,
    ...(ef.recordLengths === undefined ? {} : { recordLengths: [...ef.recordLengths] }),
    records: ef.records().map((r) => toHex(r)),
  };
}

/** The JSON-serialisable state of a card tree (a deep copy; safe to keep and to stringify). */
export function exportState(tree: MasterFile): CardState {
  return {
    format: CARD_STATE_FORMAT,
    version: CARD_STATE_VERSION,
    atrCardBytes: toHex(tree.atrCardBytes),
    cardBlocked: tree.cardBlocked,
    mf: exportDf(tree),
  };
}
