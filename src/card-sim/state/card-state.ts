import { fromHex, toHex } from '../../apdu/index.js';
import {
  PinPolicyError,
  PinRecordError,
  definePinPolicy,
  sealPinPolicy,
  validatePinRecord,
  validateSealedPinPolicy,
  type PinPolicy,
  type PinRecord,
  type SealedPinPolicy,
} from '../../pin/index.js';
import { CardTreeError, ImageFormatError } from '../errors.js';
import type { AccessCondition } from '../fs/access.js';
import { KEY_USAGES, type CardAlgorithm, type KeyUsage } from '../fs/keys.js';
import {
  APPLICATION_BLOCKS,
  DedicatedFile,
  EF_STRUCTURES,
  ElementaryFile,
  MasterFile,
  MF_FID,
  type ApplicationBlock,
  type EfStructure,
} from '../fs/nodes.js';
import type { PinFormat } from '../fs/pins.js';

/** Value of `format` in every card state. */
export const CARD_STATE_FORMAT = 'sscard-card-state';
/**
 * Current schema version. importState reads it and migrates version 1 (see importState); any
 * other version is refused.
 *
 * Version 2 (this one) differs from version 1 in: PIN policies are sealed (`initialPinVerifier`
 * instead of `initialPin` in clear), `cardBlocked` (CARD BLOCK), `applicationBlocked` on DFs
 * (APPLICATION BLOCK) and `recordLengths` on linear-variable EFs with a fixed length per record.
 *
 * The write condition kind 'key-and-mac' (secure messaging) was added to version 2 without a new
 * version (project choice): the shape of a state is unchanged, every state written before reads
 * as it did, and a build that predates the kind refuses a state holding it with a field error
 * (`...write.kind`) rather than misreading it. A version 1 state never holds it (refused).
 */
export const CARD_STATE_VERSION = 2;

/** The schema versions importState reads (older ones are migrated). */
export const CARD_STATE_READABLE_VERSIONS: readonly number[] = [1, 2];

/**
 * The JSON form of a whole card: the file tree with its contents, PIN records (salted HMAC
 * verifiers and counters, never a PIN in clear), PIN policies with the initial PIN as a salted
 * verifier only, keys with their counters, and the lifecycle (blocked card / applications). Byte
 * strings are uppercase hex; FIDs are 4 hex digits.
 */
export interface CardState {
  format: typeof CARD_STATE_FORMAT;
  version: typeof CARD_STATE_VERSION;
  /** The 8 card-specific ATR bytes, hex. */
  atrCardBytes: string;
  /** CARD BLOCK was done: the card answers every command 6A81, for good. */
  cardBlocked: boolean;
  mf: DfState;
}

export interface DfState {
  type: 'df';
  fid: string;
  label?: string;
  dfName?: string;
  cryptoAlgorithm?: CardAlgorithm;
  fciProprietary?: string;
  /** Applications blocked by APPLICATION BLOCK (absent while usable). */
  applicationBlocked?: ApplicationBlock;
  pins: PinState[];
  keys: KeyState[];
  children: Array<DfState | EfState>;
}

export interface EfState {
  type: 'ef';
  fid: string;
  sfi?: number;
  label?: string;
  structure: EfStructure;
  read: AccessCondition;
  write: AccessCondition;
  /** Transparent EFs. */
  size?: number;
  data?: string;
  /** Record EFs. */
  recordLength?: number;
  maxRecords?: number;
  /** Linear-variable EFs with a fixed length per record position (absent otherwise). */
  recordLengths?: number[];
  records?: string[];
}

export interface PinState {
  id: string;
  reference: number;
  format: PinFormat;
  /** The policy with the initial PIN as a salted verifier, never in clear. */
  policy: SealedPinPolicy;
  record: PinRecord;
}

export interface KeyState {
  id: number;
  algorithm: CardAlgorithm;
  usage: KeyUsage;
  /** Key bytes, hex (test keys; see the project docs on key handling). */
  key: string;
  tryLimit: number;
  triesLeft: number;
}

function fidHex(fid: number): string {
  return fid.toString(16).toUpperCase().padStart(4, '0');
}

function exportDf(df: DedicatedFile): DfState {
  const out: DfState = { type: 'df', fid: fidHex(df.fid), pins: [], keys: [], children: [] };
  if (df.label !== undefined) out.label = df.label;
  if (df.dfName !== undefined) out.dfName = toHex(df.dfName);
  if (df.cryptoAlgorithm !== undefined) out.cryptoAlgorithm = df.cryptoAlgorithm;
  if (df.fciProprietary !== undefined) out.fciProprietary = toHex(df.fciProprietary);
  if (df.blocked !== undefined) out.applicationBlocked = df.blocked;
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
  const out: EfState = {
    type: 'ef',
    fid: fidHex(ef.fid),
    structure: ef.structure,
    read: { ...ef.read },
    write: { ...ef.write },
  };
  if (ef.sfi !== undefined) out.sfi = ef.sfi;
  if (ef.label !== undefined) out.label = ef.label;
  if (ef.structure === 'transparent') {
    out.size = ef.size ?? 0;
    out.data = toHex(ef.data);
  } else {
    out.recordLength = ef.recordLength ?? 0;
    out.maxRecords = ef.maxRecords ?? 0;
    if (ef.recordLengths !== undefined) out.recordLengths = [...ef.recordLengths];
    out.records = ef.records().map((r) => toHex(r));
  }
  return out;
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

// ---- validation ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function bad(field: string, problem: string, cause?: unknown): never {
  throw new ImageFormatError(field, problem, cause === undefined ? undefined : { cause });
}

function obj(v: unknown, field: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(field, 'expected an object');
  return v as Obj;
}

function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) bad(field, 'expected an array');
  return v;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') bad(field, 'expected a string');
  return v;
}

function optStr(v: unknown, field: string): string | undefined {
  return v === undefined ? undefined : str(v, field);
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    bad(field, `expected an integer ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') bad(field, 'expected true or false');
  return v;
}

function hex(v: unknown, field: string, opts?: { length?: number }): Uint8Array {
  const s = str(v, field);
  const wrong = s.search(/[^0-9A-Fa-f]/);
  if (wrong >= 0) {
    const what = /\s/.test(s[wrong] as string) ? 'white space' : `non-hex character ${JSON.stringify(s[wrong])}`;
    bad(field, `${what} at position ${wrong} (expected hex digits without spaces)`);
  }
  if (s.length % 2 !== 0) bad(field, `odd number of hex digits (${s.length}); expected whole bytes`);
  const bytes = fromHex(s);
  if (opts?.length !== undefined && bytes.length !== opts.length) {
    bad(field, `expected ${opts.length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function fid(v: unknown, field: string): number {
  const s = str(v, field);
  if (!/^[0-9A-Fa-f]{4}$/.test(s)) bad(field, `expected 4 hex digits, got ${JSON.stringify(s)}`);
  return parseInt(s, 16);
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    bad(field, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

function access(v: unknown, field: string, use: 'read' | 'write', version: number): AccessCondition {
  const o = obj(v, field);
  const kind = oneOf(
    o.kind,
    `${field}.kind`,
    ['always', 'never', 'pin', 'key', 'pin-and-key', 'pin-or-key', 'key-and-mac'] as const,
  );
  switch (kind) {
    case 'always':
    case 'never':
      return { kind };
    case 'pin':
      return { kind, pin: str(o.pin, `${field}.pin`) };
    case 'key':
      return { kind, keyId: int(o.keyId, `${field}.keyId`, 0, 255) };
    case 'pin-and-key':
    case 'pin-or-key':
      return { kind, pin: str(o.pin, `${field}.pin`), keyId: int(o.keyId, `${field}.keyId`, 0, 255) };
    case 'key-and-mac':
      if (version < 2) bad(`${field}.kind`, `key-and-mac is not part of a version ${version} state`);
      if (use === 'read') bad(`${field}.kind`, 'key-and-mac is a write condition (reads have no secure messaging)');
      return { kind, keyId: int(o.keyId, `${field}.keyId`, 0, 255) };
  }
}

function pinRecord(v: unknown, field: string): PinRecord {
  obj(v, field);
  try {
    return validatePinRecord(v);
  } catch (err) {
    if (err instanceof PinRecordError) bad(`${field}.${err.field}`, err.message, err);
    throw err;
  }
}

/**
 * A PIN policy of a version 2 state (sealed), or of a version 1 state (initial PIN in clear),
 * which is sealed here: the migration to version 2.
 */
function pinPolicy(v: unknown, field: string, version: number): SealedPinPolicy {
  const o = obj(v, field);
  if (version >= 2 && o.initialPin !== undefined) {
    bad(`${field}.initialPin`, `a version ${version} state keeps the initial PIN only as initialPinVerifier, never in clear`);
  }
  try {
    return version >= 2 ? validateSealedPinPolicy(o) : sealPinPolicy(definePinPolicy(o as Partial<PinPolicy>));
  } catch (err) {
    const sub = err instanceof PinPolicyError && err.field !== 'policy' ? `.${err.field}` : '';
    bad(`${field}${sub}`, (err as Error).message, err);
  }
}

function buildDf(df: DedicatedFile, o: Obj, field: string, version: number): void {
  arr(o.pins, `${field}.pins`).forEach((p, i) => {
    const f = `${field}.pins[${i}]`;
    const po = obj(p, f);
    const record = pinRecord(po.record, `${f}.record`);
    const policy = pinPolicy(po.policy, `${f}.policy`, version);
    if (record.tryLimit !== policy.tryLimit) bad(`${f}.record.tryLimit`, `differs from policy.tryLimit ${policy.tryLimit}`);
    tryTree(f, () =>
      df.addPin({
        id: str(po.id, `${f}.id`),
        reference: int(po.reference, `${f}.reference`, 0, 255),
        format: oneOf(po.format, `${f}.format`, ['bcd', 'iso9564-format2'] as const),
        policy,
        record,
      }),
    );
  });
  arr(o.keys, `${field}.keys`).forEach((k, i) => {
    const f = `${field}.keys[${i}]`;
    const ko = obj(k, f);
    const tryLimit = int(ko.tryLimit, `${f}.tryLimit`, 1, 15);
    const algorithm = oneOf(ko.algorithm, `${f}.algorithm`, ['3des', 'sm4'] as const);
    const key = hex(ko.key, `${f}.key`);
    tryTree(f, () =>
      df.addKey({
        id: int(ko.id, `${f}.id`, 0, 255),
        algorithm,
        usage: oneOf(ko.usage, `${f}.usage`, KEY_USAGES),
        key,
        tryLimit,
        triesLeft: int(ko.triesLeft, `${f}.triesLeft`, 0, tryLimit),
      }),
    );
  });
  arr(o.children, `${field}.children`).forEach((c, i) => {
    const f = `${field}.children[${i}]`;
    const co = obj(c, f);
    const type = oneOf(co.type, `${f}.type`, ['df', 'ef'] as const);
    if (type === 'df') {
      const child = tryTree(f, () => df.add(newDf(co, f, version)));
      buildDf(child, co, f, version);
    } else {
      tryTree(f, () => df.add(newEf(co, f, version)));
    }
  });
}

function newDf(o: Obj, field: string, version: number): DedicatedFile {
  const options: ConstructorParameters<typeof DedicatedFile>[0] = { fid: fid(o.fid, `${field}.fid`) };
  if (o.applicationBlocked !== undefined) {
    if (version < 2) bad(`${field}.applicationBlocked`, `not part of a version ${version} state`);
    options.blocked = oneOf(o.applicationBlocked, `${field}.applicationBlocked`, APPLICATION_BLOCKS);
  }
  const label = optStr(o.label, `${field}.label`);
  if (label !== undefined) options.label = label;
  if (o.dfName !== undefined) options.dfName = hex(o.dfName, `${field}.dfName`);
  if (o.cryptoAlgorithm !== undefined) {
    options.cryptoAlgorithm = oneOf(o.cryptoAlgorithm, `${field}.cryptoAlgorithm`, ['3des', 'sm4'] as const);
  }
  if (o.fciProprietary !== undefined) options.fciProprietary = hex(o.fciProprietary, `${field}.fciProprietary`);
  return tryTree(field, () => new DedicatedFile(options));
}

function newEf(o: Obj, field: string, version: number): ElementaryFile {
  const structure = oneOf(o.structure, `${field}.structure`, EF_STRUCTURES);
  const options: ConstructorParameters<typeof ElementaryFile>[0] = {
    fid: fid(o.fid, `${field}.fid`),
    structure,
    read: access(o.read, `${field}.read`, 'read', version),
    write: access(o.write, `${field}.write`, 'write', version),
  };
  if (o.sfi !== undefined) options.sfi = int(o.sfi, `${field}.sfi`, 1, 30);
  const label = optStr(o.label, `${field}.label`);
  if (label !== undefined) options.label = label;
  if (structure === 'transparent') {
    options.size = int(o.size, `${field}.size`, 0, 0x7fff);
    const data = hex(o.data, `${field}.data`);
    if (data.length !== options.size) bad(`${field}.data`, `expected ${options.size} bytes (size), got ${data.length}`);
    options.data = data;
  } else {
    options.recordLength = int(o.recordLength, `${field}.recordLength`, 1, 255);
    options.maxRecords = int(o.maxRecords, `${field}.maxRecords`, 1, 254);
    if (o.recordLengths !== undefined) {
      if (version < 2) bad(`${field}.recordLengths`, `not part of a version ${version} state`);
      options.recordLengths = arr(o.recordLengths, `${field}.recordLengths`).map((n, i) =>
        int(n, `${field}.recordLengths[${i}]`, 1, 255),
      );
    }
    const records = arr(o.records, `${field}.records`).map((r, i) => hex(r, `${field}.records[${i}]`));
    if (records.length > options.maxRecords) {
      bad(`${field}.records`, `${records.length} records exceed maxRecords ${options.maxRecords}`);
    }
    const probe = tryTree(field, () => new ElementaryFile({ ...options, records: [] }));
    records.forEach((r, i) => {
      const problem = probe.recordProblem(r, i + 1);
      if (problem !== undefined) bad(`${field}.records[${i}]`, problem);
    });
    options.records = records;
  }
  return tryTree(field, () => new ElementaryFile(options));
}

/** Runs a tree-building step, turning a CardTreeError into an ImageFormatError for `field`. */
function tryTree<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CardTreeError) bad(field, err.message, err);
    throw err;
  }
}

/**
 * Validates a card state (typically parsed JSON) and builds the card tree it describes.
 * Anything wrong is an ImageFormatError (code 'CARD_IMAGE_INVALID') whose `field` names the bad
 * field, e.g. `mf.children[1].keys[0].key`. Nothing is repaired or defaulted silently.
 *
 * Version 1 states are migrated (project choice, rather than refusing them): their PIN policies
 * hold the initial PIN in clear, which is sealed here into a salted verifier; the card is not
 * blocked, no application is blocked, and linear-variable EFs keep their variable record lengths.
 * exportState of the result is a version 2 state without the clear initial PIN.
 */
export function importState(input: unknown): MasterFile {
  const o = obj(input, 'state');
  if (o.format !== CARD_STATE_FORMAT) {
    bad('format', `expected ${JSON.stringify(CARD_STATE_FORMAT)}, got ${JSON.stringify(o.format)}`);
  }
  const version = o.version;
  if (typeof version !== 'number' || !CARD_STATE_READABLE_VERSIONS.includes(version)) {
    bad(
      'version',
      `unsupported version ${JSON.stringify(version)} (this build reads version ${CARD_STATE_VERSION} and migrates version 1)`,
    );
  }
  const atrCardBytes = hex(o.atrCardBytes, 'atrCardBytes', { length: 8 });
  let cardBlocked = false;
  if (version >= 2) cardBlocked = bool(o.cardBlocked, 'cardBlocked');
  else if (o.cardBlocked !== undefined) bad('cardBlocked', `not part of a version ${version} state`);
  const mfo = obj(o.mf, 'mf');
  if (mfo.type !== 'df') bad('mf.type', 'expected "df"');
  if (fid(mfo.fid, 'mf.fid') !== MF_FID) bad('mf.fid', 'expected "3F00"');
  if (mfo.applicationBlocked !== undefined) bad('mf.applicationBlocked', 'the MF is not an application');
  const label = optStr(mfo.label, 'mf.label');
  const mf = new MasterFile(label === undefined ? { atrCardBytes, cardBlocked } : { atrCardBytes, label, cardBlocked });
  buildDf(mf, mfo, 'mf', version);
  return mf;
}

/**
 * Puts the persistent contents of `state` (EF contents, PIN records, key counters) back into a
 * tree of the same shape without persisting anything; used to roll the card back to its last
 * persisted state after a failed write. Returns false when the shapes differ.
 */
export function restoreContents(tree: MasterFile, state: CardState): boolean {
  const ok = restoreDf(tree, state.mf, true);
  if (ok) {
    restoreDf(tree, state.mf, false);
    tree.setCardBlockedSilently(state.cardBlocked);
  }
  return ok;
}

function restoreDf(df: DedicatedFile, s: DfState, dryRun: boolean): boolean {
  if (s.pins.length !== df.pins.length || s.keys.length !== df.keys.length || s.children.length !== df.children.length) {
    return false;
  }
  if (!dryRun && df.isApplication) df.setBlockedSilently(s.applicationBlocked);
  for (let i = 0; i < s.pins.length; i++) {
    const ps = s.pins[i] as PinState;
    const p = df.pins[i];
    if (p === undefined || p.id !== ps.id) return false;
    if (!dryRun) p.restoreSilently(ps.record);
  }
  for (let i = 0; i < s.keys.length; i++) {
    const ks = s.keys[i] as KeyState;
    const k = df.keys[i];
    if (k === undefined || k.id !== ks.id) return false;
    if (!dryRun) k.setTriesLeftSilently(ks.triesLeft);
  }
  for (let i = 0; i < s.children.length; i++) {
    const cs = s.children[i] as DfState | EfState;
    const c = df.children[i];
    if (c === undefined || c.kind !== cs.type || fidHex(c.fid) !== cs.fid) return false;
    if (c.kind === 'df') {
      if (!restoreDf(c, cs as DfState, dryRun)) return false;
    } else if (!dryRun) {
      const es = cs as EfState;
      c.restoreSilently(
        es.data !== undefined ? { data: fromHex(es.data) } : { records: (es.records ?? []).map((r) => fromHex(r)) },
      );
    }
  }
  return true;
}
