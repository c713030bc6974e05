import { StatusWordError, SW } from '../../apdu/index.js';
import { CardTreeError } from '../errors.js';
import { ALWAYS, NEVER, type AccessCondition } from './access.js';
import { EF_STRUCTURES, checkAccess, checkRecordCapacity, checkRecordLengths } from './ef-options.js';
import type { EfOptions, EfStructure } from './ef-options.js';
import { MF_FID, checkFid, fidText } from './fid.js';
import type { DedicatedFile } from './nodes.js';
import { NO_RECORDS, packRecords, recordOffset, recordViews } from './record-store.js';

/*
 * Elementary files, one class per structure (in the spirit of vsmartcard's SmartcardFilesystem):
 * ElementaryFile holds what every EF has (FID, SFI, access conditions, its place in the tree) and
 * answers 6981 "incompatible with file structure" to every operation; TransparentFile overrides
 * the binary ones, RecordFile and its variants (linear fixed, linear variable, cyclic) the record
 * ones. Mutations are persistent card state: they tell the tree, which calls the card's
 * persistence hook before the command is answered. Mutators throw StatusWordError with the status
 * word the card answers (6700, 6A83, 6A84, 6B00, 6981).
 */

/** The EF of `options.structure`: a TransparentFile or one of the RecordFile variants. */
export function createElementaryFile(options: EfOptions): TransparentFile | RecordFile {
  switch (options.structure) {
    case 'transparent':
      return new TransparentFile(options);
    case 'linear-fixed':
      return new LinearFixedFile(options);
    case 'linear-variable':
      return new LinearVariableFile(options);
    case 'cyclic':
      return new CyclicFile(options);
    default:
      throw new CardTreeError(
        `EF ${fidText(checkFid(options.fid, 'EF'))}: structure must be one of ${EF_STRUCTURES.join(', ')}, got ${String(options.structure)}`,
      );
  }
}

function incompatible(ef: ElementaryFile, why: string): never {
  throw new StatusWordError(SW.INCOMPATIBLE_FILE_STRUCTURE, `${ef.name} ${why}`);
}

/**
 * An elementary file of any structure, with read and write access conditions. Every operation
 * answers 6981 here; the class of the file's structure overrides the ones it supports. Its
 * queries (data, records, lengths) answer as an empty file of another structure would.
 *
 * `new ElementaryFile(options)` makes the class of `options.structure`, as
 * createElementaryFile(options) does.
 */
export class ElementaryFile {
  readonly kind = 'ef' as const;
  // Assigned below, except when the constructor hands back the file of the structure instead.
  readonly fid!: number;
  readonly sfi: number | undefined;
  readonly structure!: EfStructure;
  readonly label: string | undefined;
  read!: AccessCondition;
  write!: AccessCondition;
  parent: DedicatedFile | undefined;

  constructor(options: EfOptions) {
    if (new.target === ElementaryFile) return createElementaryFile(options);
    const fid = checkFid(options.fid, 'EF');
    const what = `EF ${fidText(fid)}`;
    if (fid === MF_FID || fid === 0x3fff || fid === 0xffff) throw new CardTreeError(`${what}: reserved FID`);
    if (options.sfi !== undefined && (!Number.isInteger(options.sfi) || options.sfi < 1 || options.sfi > 30)) {
      throw new CardTreeError(`${what}: sfi must be an integer 1..30, got ${String(options.sfi)}`);
    }
    this.fid = fid;
    this.sfi = options.sfi;
    this.structure = options.structure;
    this.label = options.label;
    this.read = checkAccess(options.read ?? ALWAYS, `${what} read`, 'read');
    this.write = checkAccess(options.write ?? NEVER, `${what} write`, 'write');
    this.parent = undefined;
  }

  /** 'EF05' style name: the label, else the FID in hex. */
  get name(): string {
    return this.label ?? fidText(this.fid);
  }

  get isRecordFile(): boolean {
    return false;
  }

  /** This file for READ/UPDATE BINARY; 6981 unless it is transparent. */
  asTransparentFile(): TransparentFile {
    return incompatible(this, 'is not transparent');
  }

  /** This file for the record commands; 6981 unless it is a record file. */
  asRecordFile(): RecordFile {
    return incompatible(this, 'is not a record file');
  }

  /** Transparent: size in bytes. */
  get size(): number | undefined {
    return undefined;
  }

  /** Transparent contents (a copy). */
  get data(): Uint8Array {
    return new Uint8Array(0);
  }

  /** Record files: the (maximum) record length. */
  get recordLength(): number | undefined {
    return undefined;
  }

  /** Record files: capacity in records. */
  get maxRecords(): number | undefined {
    return undefined;
  }

  /** Linear-variable files with a fixed length per record position (see EfOptions.recordLengths). */
  get recordLengths(): readonly number[] | undefined {
    return undefined;
  }

  /** Number of records present. */
  get recordCount(): number {
    return 0;
  }

  /** Record n (1-based, a copy), or undefined. For cyclic files record 1 is the newest. */
  record(_n: number): Uint8Array | undefined {
    return undefined;
  }

  /** All records, record 1 first (copies). */
  records(): Uint8Array[] {
    return [];
  }

  /** Number (1-based) of the first record at or after `from` whose first byte is `tag`, or undefined. */
  findRecordByTag(_tag: number, _from = 1): number | undefined {
    return undefined;
  }

  /** Why `bytes` cannot be a record of this file, or undefined when it can. */
  recordProblem(_bytes: Uint8Array, _recordNumber?: number): string | undefined {
    return 'not a record file';
  }

  /** Writes `bytes` at `offset` of a transparent EF (6981 on a record file, 6B00/6700 out of range). */
  writeBinary(_offset: number, _bytes: Uint8Array): void {
    incompatible(this, 'is a record file');
  }

  /** Replaces record n (1-based; 6A83 when absent, 6700 on a wrong length; 6981 on a transparent EF). */
  updateRecord(_n: number, _bytes: Uint8Array): void {
    incompatible(this, 'is transparent');
  }

  /** Adds a record (see RecordFile.appendRecord); 6981 on a transparent EF. */
  appendRecord(_bytes: Uint8Array): number {
    return incompatible(this, 'is transparent');
  }

  /** Sets contents without persisting (rolling back to the last persisted state). */
  restoreSilently(_contents: { data?: Uint8Array; records?: Uint8Array[] }): void {}

  /** Tells the owning card that persistent state changed (no-op while not attached to a card). */
  notifyDurableChange(): void {
    this.parent?.notifyDurableChange();
  }

  /** FIDs from the MF down to this file (MF excluded). */
  path(): number[] {
    return [...(this.parent?.path() ?? []), this.fid];
  }
}

/** A transparent EF: `size` bytes read and written at an offset. */
export class TransparentFile extends ElementaryFile {
  declare readonly structure: 'transparent';
  readonly #size: number;
  #data: Uint8Array;

  constructor(options: EfOptions) {
    super({ ...options, structure: 'transparent' });
    const what = `EF ${fidText(this.fid)}`;
    const data = options.data ?? new Uint8Array(0);
    if (!(data instanceof Uint8Array)) throw new CardTreeError(`${what}: data must be a Uint8Array`);
    const size = options.size ?? data.length;
    if (!Number.isInteger(size) || size < 0 || size > 0x7fff) {
      throw new CardTreeError(`${what}: size must be an integer 0..32767, got ${String(size)}`);
    }
    if (data.length > size) throw new CardTreeError(`${what}: ${data.length} bytes of data exceed size ${size}`);
    if (options.records !== undefined) throw new CardTreeError(`${what}: a transparent EF has no records`);
    if (options.recordLengths !== undefined) throw new CardTreeError(`${what}: a transparent EF has no record lengths`);
    this.#size = size;
    this.#data = new Uint8Array(size);
    this.#data.set(data);
  }

  override asTransparentFile(): TransparentFile {
    return this;
  }

  override get size(): number {
    return this.#size;
  }

  override get data(): Uint8Array {
    return new Uint8Array(this.#data);
  }

  override writeBinary(offset: number, bytes: Uint8Array): void {
    if (offset > this.#data.length)
      throw new StatusWordError(SW.WRONG_P1P2_OFFSET, `offset ${offset} outside ${this.name}`);
    if (offset + bytes.length > this.#data.length) {
      throw new StatusWordError(SW.WRONG_LENGTH, `${bytes.length} bytes at ${offset} overrun ${this.name}`);
    }
    this.#data.set(bytes, offset);
    this.notifyDurableChange();
  }

  override restoreSilently(contents: { data?: Uint8Array }): void {
    if (contents.data !== undefined) this.#data = new Uint8Array(contents.data);
  }
}

/**
 * A record EF: records of `recordLength` bytes (the maximum, for linear variable files), at most
 * `maxRecords` of them. The variants differ in which lengths a record may have and in how a
 * record is added. The records live in one buffer (record-store.ts).
 */
export abstract class RecordFile extends ElementaryFile {
  declare readonly structure: 'linear-fixed' | 'linear-variable' | 'cyclic';
  readonly #recordLength: number;
  readonly #maxRecords: number;
  readonly #recordLengths: readonly number[] | undefined;
  /** The record count (the first `#count` bytes of `#store` are the lengths). */
  #count = 0;
  #store: Uint8Array = NO_RECORDS;

  constructor(options: EfOptions, recordLengths?: readonly number[]) {
    super(options);
    const what = `EF ${fidText(this.fid)}`;
    const records = options.records ?? [];
    const { recordLength, maxRecords } = checkRecordCapacity(options, recordLengths, records.length, what);
    if (options.data !== undefined) throw new CardTreeError(`${what}: a record EF has no transparent data`);
    this.#recordLength = recordLength;
    this.#maxRecords = maxRecords;
    this.#recordLengths = recordLengths;
    records.forEach((r, i) => {
      const problem = this.recordProblem(r, i + 1);
      if (problem !== undefined) throw new CardTreeError(`${what}: record ${i + 1}: ${problem}`);
    });
    this.setRecords(records);
  }

  /** Replaces every record (copied into the file's one buffer). */
  protected setRecords(records: readonly Uint8Array[]): void {
    this.#store = packRecords(records);
    this.#count = records.length;
  }

  override get isRecordFile(): boolean {
    return true;
  }

  override asRecordFile(): RecordFile {
    return this;
  }

  override get recordLength(): number {
    return this.#recordLength;
  }

  override get maxRecords(): number {
    return this.#maxRecords;
  }

  override get recordLengths(): readonly number[] | undefined {
    return this.#recordLengths;
  }

  override get recordCount(): number {
    return this.#count;
  }

  override record(n: number): Uint8Array | undefined {
    const start = recordOffset(this.#store, this.#count, n);
    return start < 0 ? undefined : this.#store.slice(start, start + (this.#store[n - 1] as number));
  }

  /**
   * Where record `n` is stored, not a copy, for the OS's READ RECORD (whose answer copies it, with
   * no view made per read): its offset in `recordStore` (-1: no record n) and its length.
   */
  recordStart(n: number): number {
    return recordOffset(this.#store, this.#count, n);
  }
  storedRecordLength(n: number): number {
    return this.#store[n - 1] as number;
  }
  /** The buffer of recordStart's offsets. Never hand it out or write to it. */
  get recordStore(): Uint8Array {
    return this.#store;
  }
  /** @deprecated Record n as stored, a view (READ RECORD reads recordStart and recordStore now). */
  recordView(n: number): Uint8Array | undefined {
    const start = this.recordStart(n);
    return start < 0 ? undefined : this.#store.subarray(start, start + this.storedRecordLength(n));
  }

  override records(): Uint8Array[] {
    return recordViews(this.#store, this.#count).map((r) => new Uint8Array(r));
  }

  /** SSC TLV records: the identifier is the tag, the first byte. */
  override findRecordByTag(tag: number, from = 1): number | undefined {
    let at = this.#count;
    for (let i = 0; i < this.#count; i++) {
      if (i >= from - 1 && this.#store[at] === tag) return i + 1;
      at += this.#store[i] as number;
    }
    return undefined;
  }

  /**
   * Why `bytes` cannot be a record of this file (at position `recordNumber`, 1-based, when given),
   * or undefined when it can. Fixed-length files: exactly recordLength bytes.
   */
  override recordProblem(bytes: Uint8Array, _recordNumber?: number): string | undefined {
    if (!(bytes instanceof Uint8Array)) return 'a record must be a Uint8Array';
    if (bytes.length !== this.#recordLength)
      return `length ${bytes.length}, the record length is ${this.#recordLength}`;
    return undefined;
  }

  protected requireRecordShape(bytes: Uint8Array, recordNumber: number): void {
    const problem = this.recordProblem(bytes, recordNumber);
    if (problem !== undefined) throw new StatusWordError(SW.WRONG_LENGTH, `${this.name}: ${problem}`);
  }

  override updateRecord(n: number, bytes: Uint8Array): void {
    const start = recordOffset(this.#store, this.#count, n);
    if (start < 0) throw new StatusWordError(SW.RECORD_NOT_FOUND, `${this.name}: no record ${n}`);
    this.requireRecordShape(bytes, n);
    if (bytes.length === this.#store[n - 1]) {
      this.#store.set(bytes, start);
    } else {
      const records = recordViews(this.#store, this.#count);
      records[n - 1] = bytes;
      this.setRecords(records);
    }
    this.notifyDurableChange();
  }

  /** Linear files: a new last record (6A84 when full). Returns the number of the new record. */
  override appendRecord(bytes: Uint8Array): number {
    this.requireRecordShape(bytes, this.#count + 1);
    if (this.#count >= this.#maxRecords) throw new StatusWordError(SW.NOT_ENOUGH_MEMORY, `${this.name} is full`);
    this.setRecords([...recordViews(this.#store, this.#count), bytes]);
    this.notifyDurableChange();
    return this.#count;
  }

  /**
   * UPDATE RECORD "previous" (P1=00, P2 b3-b1 011) from the current record (undefined: none):
   * linear files replace the record before it. Returns the number of the record written.
   */
  updatePreviousRecord(current: number | undefined, bytes: Uint8Array): number {
    const n = (current ?? this.#count + 1) - 1;
    this.updateRecord(n, bytes);
    return n;
  }

  override restoreSilently(contents: { records?: Uint8Array[] }): void {
    if (contents.records !== undefined) this.setRecords(contents.records);
  }
}

/** A linear fixed EF: records of exactly recordLength bytes, added after the last. */
export class LinearFixedFile extends RecordFile {
  declare readonly structure: 'linear-fixed';

  constructor(options: EfOptions) {
    if (options.recordLengths !== undefined) {
      throw new CardTreeError(
        `EF ${fidText(checkFid(options.fid, 'EF'))}: recordLengths is for linear-variable EFs only`,
      );
    }
    super({ ...options, structure: 'linear-fixed' });
  }
}

/**
 * A linear variable EF: records of 1..recordLength bytes, or, with recordLengths, of exactly the
 * length of their position (see EfOptions.recordLengths).
 */
export class LinearVariableFile extends RecordFile {
  declare readonly structure: 'linear-variable';

  constructor(options: EfOptions) {
    const lengths = checkRecordLengths(options.recordLengths, `EF ${fidText(checkFid(options.fid, 'EF'))}`);
    super({ ...options, structure: 'linear-variable' }, lengths);
  }

  /** Without a position, a file with recordLengths accepts any of its lengths. */
  override recordProblem(bytes: Uint8Array, recordNumber?: number): string | undefined {
    if (!(bytes instanceof Uint8Array)) return 'a record must be a Uint8Array';
    const lengths = this.recordLengths;
    const fixed = recordNumber === undefined ? undefined : lengths?.[recordNumber - 1];
    if (fixed !== undefined) {
      if (bytes.length !== fixed) return `length ${bytes.length}, record ${recordNumber} is ${fixed} bytes`;
    } else if (lengths !== undefined) {
      if (!lengths.includes(bytes.length))
        return `length ${bytes.length} is none of the record lengths ${lengths.join(', ')}`;
    } else if (bytes.length < 1 || bytes.length > this.recordLength) {
      return `length ${bytes.length} outside 1..${this.recordLength}`;
    }
    return undefined;
  }
}

/** A cyclic EF: a new record becomes record 1 and, when the file is full, the oldest drops off. */
export class CyclicFile extends RecordFile {
  declare readonly structure: 'cyclic';

  constructor(options: EfOptions) {
    const what = `EF ${fidText(checkFid(options.fid, 'EF'))}`;
    if (options.recordLengths !== undefined)
      throw new CardTreeError(`${what}: recordLengths is for linear-variable EFs only`);
    if (options.maxRecords === undefined) throw new CardTreeError(`${what}: a cyclic EF needs maxRecords`);
    super({ ...options, structure: 'cyclic' });
  }

  /** Returns 1, the number of the new record. */
  override appendRecord(bytes: Uint8Array): number {
    this.requireRecordShape(bytes, 1);
    this.setRecords([bytes, ...recordViews(this.recordStore, this.recordCount)].slice(0, this.maxRecords));
    this.notifyDurableChange();
    return 1;
  }

  /** On a cyclic file "previous" writes a new record 1 (the oldest drops off when full). */
  override updatePreviousRecord(_current: number | undefined, bytes: Uint8Array): number {
    return this.appendRecord(bytes);
  }
}
