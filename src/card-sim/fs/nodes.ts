import { StatusWordError, SW, toHex } from '../../apdu/index.js';
import { CardTreeError } from '../errors.js';
import { ALWAYS, NEVER, type AccessCondition } from './access.js';
import { CardKey, type CardAlgorithm, type CardKeyOptions } from './keys.js';
import { CardPin, type CardPinOptions } from './pins.js';

/** FID of the master file. */
export const MF_FID = 0x3f00;

/** Structure of an EF (ISO 7816-4 EF structures the SSC uses). */
export type EfStructure = 'transparent' | 'linear-fixed' | 'linear-variable' | 'cyclic';

export const EF_STRUCTURES: readonly EfStructure[] = ['transparent', 'linear-fixed', 'linear-variable', 'cyclic'];

export type FileNode = DedicatedFile | ElementaryFile;

function fidText(fid: number): string {
  return fid.toString(16).toUpperCase().padStart(4, '0');
}

function checkFid(fid: unknown, what: string): number {
  if (typeof fid !== 'number' || !Number.isInteger(fid) || fid < 0 || fid > 0xffff) {
    throw new CardTreeError(`${what}: fid must be an integer 0x0000..0xFFFF, got ${String(fid)}`);
  }
  return fid;
}

function checkAccess(cond: unknown, what: string, use: 'read' | 'write'): AccessCondition {
  const c = cond as AccessCondition | undefined;
  const ok =
    c !== undefined &&
    c !== null &&
    typeof c === 'object' &&
    (c.kind === 'always' ||
      c.kind === 'never' ||
      (c.kind === 'pin' && typeof c.pin === 'string') ||
      ((c.kind === 'key' || c.kind === 'key-and-mac') && Number.isInteger(c.keyId)) ||
      ((c.kind === 'pin-and-key' || c.kind === 'pin-or-key') && typeof c.pin === 'string' && Number.isInteger(c.keyId)));
  if (!ok) throw new CardTreeError(`${what}: invalid access condition ${JSON.stringify(cond)}`);
  // READ commands carry no secure messaging here, so such a read condition could never be met.
  if (c.kind === 'key-and-mac' && use === 'read') {
    throw new CardTreeError(`${what}: key-and-mac is a write condition (reads have no secure messaging)`);
  }
  return { ...c };
}

function checkRecordLengths(options: EfOptions, what: string): readonly number[] | undefined {
  const lengths = options.recordLengths;
  if (lengths === undefined) return undefined;
  if (options.structure !== 'linear-variable') {
    throw new CardTreeError(`${what}: recordLengths is for linear-variable EFs only`);
  }
  if (!Array.isArray(lengths) || lengths.length < 1 || lengths.length > 254) {
    throw new CardTreeError(`${what}: recordLengths must be an array of 1..254 lengths`);
  }
  lengths.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1 || n > 255) {
      throw new CardTreeError(`${what}: recordLengths[${i}] must be an integer 1..255, got ${String(n)}`);
    }
  });
  return Object.freeze([...lengths]);
}

export interface EfOptions {
  fid: number;
  /** Short EF identifier 1..30, unique among the EFs of the parent DF. */
  sfi?: number;
  structure: EfStructure;
  /** Human name for listings ('EF05'); not on the card. */
  label?: string;
  /** Transparent: size in bytes (default: length of `data`). */
  size?: number;
  /** Transparent: initial contents, 00-padded to `size`. */
  data?: Uint8Array;
  /**
   * Record files: fixed record length (linear-fixed, cyclic) or the maximum (linear-variable; with
   * `recordLengths` it defaults to, and must equal, the longest of them).
   */
  recordLength?: number;
  /**
   * Linear-variable files only: each record position's own fixed length, record 1 first (the SSC
   * EF05/EF06 TLV items, DF10/EF05's 1-byte and 40-byte records). Records must have exactly the
   * length of their position (UPDATE RECORD with another length: 6700), and the file has exactly
   * this many positions (`maxRecords`, which defaults to, and must equal, recordLengths.length).
   * Without it a linear-variable record may have any length 1..recordLength.
   */
  recordLengths?: readonly number[];
  /** Record files: capacity in records (default: number of initial records; required for cyclic). */
  maxRecords?: number;
  /** Record files: initial records, record 1 first (for cyclic files record 1 is the newest). */
  records?: Uint8Array[];
  /** Default ALWAYS. */
  read?: AccessCondition;
  /** Default NEVER. */
  write?: AccessCondition;
}

/**
 * An elementary file: transparent bytes or a list of records, with read and write access
 * conditions. Mutations made here are persistent card state: they tell the tree, which calls the
 * card's persistence hook before the command is answered. Mutators throw StatusWordError with the
 * status word the card answers (6700, 6A83, 6A84, 6B00, 6981).
 */
export class ElementaryFile {
  readonly kind = 'ef' as const;
  readonly fid: number;
  readonly sfi: number | undefined;
  readonly structure: EfStructure;
  readonly label: string | undefined;
  readonly size: number | undefined;
  readonly recordLength: number | undefined;
  readonly maxRecords: number | undefined;
  /** Linear-variable files with a fixed length per record position (see EfOptions.recordLengths). */
  readonly recordLengths: readonly number[] | undefined;
  read: AccessCondition;
  write: AccessCondition;
  parent: DedicatedFile | undefined;
  #data: Uint8Array;
  #records: Uint8Array[];

  constructor(options: EfOptions) {
    const fid = checkFid(options.fid, 'EF');
    const what = `EF ${fidText(fid)}`;
    if (fid === MF_FID || fid === 0x3fff || fid === 0xffff) throw new CardTreeError(`${what}: reserved FID`);
    if (!EF_STRUCTURES.includes(options.structure)) {
      throw new CardTreeError(`${what}: structure must be one of ${EF_STRUCTURES.join(', ')}, got ${String(options.structure)}`);
    }
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
    if (options.structure === 'transparent') {
      const data = options.data ?? new Uint8Array(0);
      if (!(data instanceof Uint8Array)) throw new CardTreeError(`${what}: data must be a Uint8Array`);
      const size = options.size ?? data.length;
      if (!Number.isInteger(size) || size < 0 || size > 0x7fff) {
        throw new CardTreeError(`${what}: size must be an integer 0..32767, got ${String(size)}`);
      }
      if (data.length > size) throw new CardTreeError(`${what}: ${data.length} bytes of data exceed size ${size}`);
      if (options.records !== undefined) throw new CardTreeError(`${what}: a transparent EF has no records`);
      if (options.recordLengths !== undefined) throw new CardTreeError(`${what}: a transparent EF has no record lengths`);
      this.size = size;
      this.recordLength = undefined;
      this.maxRecords = undefined;
      this.recordLengths = undefined;
      this.#data = new Uint8Array(size);
      this.#data.set(data);
      this.#records = [];
    } else {
      const records = options.records ?? [];
      const recordLengths = checkRecordLengths(options, what);
      const longest = recordLengths === undefined ? undefined : Math.max(...recordLengths);
      const recordLength = options.recordLength ?? longest;
      if (recordLength === undefined || !Number.isInteger(recordLength) || recordLength < 1 || recordLength > 255) {
        throw new CardTreeError(`${what}: recordLength must be an integer 1..255, got ${String(recordLength)}`);
      }
      if (longest !== undefined && recordLength !== longest) {
        throw new CardTreeError(`${what}: recordLength ${recordLength} must be the longest of recordLengths (${longest})`);
      }
      if (options.structure === 'cyclic' && options.maxRecords === undefined) {
        throw new CardTreeError(`${what}: a cyclic EF needs maxRecords`);
      }
      if (recordLengths !== undefined && options.maxRecords !== undefined && options.maxRecords !== recordLengths.length) {
        throw new CardTreeError(`${what}: maxRecords ${options.maxRecords} must equal the number of recordLengths (${recordLengths.length})`);
      }
      const maxRecords = options.maxRecords ?? recordLengths?.length ?? records.length;
      if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > 254) {
        throw new CardTreeError(`${what}: maxRecords must be an integer 1..254, got ${String(maxRecords)}`);
      }
      if (records.length > maxRecords) {
        throw new CardTreeError(`${what}: ${records.length} records exceed maxRecords ${maxRecords}`);
      }
      if (options.data !== undefined) throw new CardTreeError(`${what}: a record EF has no transparent data`);
      this.size = undefined;
      this.recordLength = recordLength;
      this.maxRecords = maxRecords;
      this.recordLengths = recordLengths;
      this.#data = new Uint8Array(0);
      this.#records = records.map((r, i) => {
        const problem = this.recordProblem(r, i + 1);
        if (problem !== undefined) throw new CardTreeError(`${what}: record ${i + 1}: ${problem}`);
        return new Uint8Array(r);
      });
    }
  }

  /** 'EF05' style name: the label, else the FID in hex. */
  get name(): string {
    return this.label ?? fidText(this.fid);
  }

  get isRecordFile(): boolean {
    return this.structure !== 'transparent';
  }

  /** Transparent contents (a copy). */
  get data(): Uint8Array {
    return new Uint8Array(this.#data);
  }

  /** Number of records present. */
  get recordCount(): number {
    return this.#records.length;
  }

  /** Record n (1-based, a copy), or undefined. For cyclic files record 1 is the newest. */
  record(n: number): Uint8Array | undefined {
    const r = this.#records[n - 1];
    return r === undefined ? undefined : new Uint8Array(r);
  }

  /** All records, record 1 first (copies). */
  records(): Uint8Array[] {
    return this.#records.map((r) => new Uint8Array(r));
  }

  /**
   * Number (1-based) of the first record at or after `from` whose first byte is `tag` (SSC TLV
   * records: the identifier is the tag), or undefined.
   */
  findRecordByTag(tag: number, from = 1): number | undefined {
    for (let i = Math.max(0, from - 1); i < this.#records.length; i++) {
      if (this.#records[i]?.[0] === tag) return i + 1;
    }
    return undefined;
  }

  /**
   * Why `bytes` cannot be a record of this file (at position `recordNumber`, 1-based, when given),
   * or undefined when it can. With recordLengths the position decides the exact length; without a
   * position such a file accepts any of its lengths.
   */
  recordProblem(bytes: Uint8Array, recordNumber?: number): string | undefined {
    if (!(bytes instanceof Uint8Array)) return 'a record must be a Uint8Array';
    const len = this.recordLength ?? 0;
    const fixed = recordNumber === undefined ? undefined : this.recordLengths?.[recordNumber - 1];
    if (fixed !== undefined) {
      if (bytes.length !== fixed) return `length ${bytes.length}, record ${recordNumber} is ${fixed} bytes`;
    } else if (this.recordLengths !== undefined) {
      if (!this.recordLengths.includes(bytes.length)) return `length ${bytes.length} is none of the record lengths ${this.recordLengths.join(', ')}`;
    } else if (this.structure === 'linear-variable') {
      if (bytes.length < 1 || bytes.length > len) return `length ${bytes.length} outside 1..${len}`;
    } else if (bytes.length !== len) {
      return `length ${bytes.length}, the record length is ${len}`;
    }
    return undefined;
  }

  #requireRecords(): void {
    if (!this.isRecordFile) throw new StatusWordError(SW.INCOMPATIBLE_FILE_STRUCTURE, `${this.name} is transparent`);
  }

  #requireRecordShape(bytes: Uint8Array, recordNumber: number): void {
    const problem = this.recordProblem(bytes, recordNumber);
    if (problem !== undefined) throw new StatusWordError(SW.WRONG_LENGTH, `${this.name}: ${problem}`);
  }

  /** Writes `bytes` at `offset` of a transparent EF (6981 on a record file, 6B00/6700 out of range). */
  writeBinary(offset: number, bytes: Uint8Array): void {
    if (this.isRecordFile) throw new StatusWordError(SW.INCOMPATIBLE_FILE_STRUCTURE, `${this.name} is a record file`);
    if (offset > this.#data.length) throw new StatusWordError(SW.WRONG_P1P2_OFFSET, `offset ${offset} outside ${this.name}`);
    if (offset + bytes.length > this.#data.length) {
      throw new StatusWordError(SW.WRONG_LENGTH, `${bytes.length} bytes at ${offset} overrun ${this.name}`);
    }
    this.#data.set(bytes, offset);
    this.notifyDurableChange();
  }

  /** Replaces record n (1-based; 6A83 when absent, 6700 on a wrong length). */
  updateRecord(n: number, bytes: Uint8Array): void {
    this.#requireRecords();
    if (n < 1 || n > this.#records.length) throw new StatusWordError(SW.RECORD_NOT_FOUND, `${this.name}: no record ${n}`);
    this.#requireRecordShape(bytes, n);
    this.#records[n - 1] = new Uint8Array(bytes);
    this.notifyDurableChange();
  }

  /**
   * Adds a record. Linear files: after the last one (6A84 when full). Cyclic files: the new record
   * becomes record 1 and, when the file is full, the oldest record drops off.
   * Returns the number of the new record.
   */
  appendRecord(bytes: Uint8Array): number {
    this.#requireRecords();
    this.#requireRecordShape(bytes, this.structure === 'cyclic' ? 1 : this.#records.length + 1);
    const max = this.maxRecords ?? 0;
    if (this.structure === 'cyclic') {
      this.#records.unshift(new Uint8Array(bytes));
      if (this.#records.length > max) this.#records.length = max;
      this.notifyDurableChange();
      return 1;
    }
    if (this.#records.length >= max) throw new StatusWordError(SW.NOT_ENOUGH_MEMORY, `${this.name} is full`);
    this.#records.push(new Uint8Array(bytes));
    this.notifyDurableChange();
    return this.#records.length;
  }

  /** Sets contents without persisting (rolling back to the last persisted state). */
  restoreSilently(contents: { data?: Uint8Array; records?: Uint8Array[] }): void {
    if (contents.data !== undefined) this.#data = new Uint8Array(contents.data);
    if (contents.records !== undefined) this.#records = contents.records.map((r) => new Uint8Array(r));
  }

  /** Tells the owning card that persistent state changed (no-op while not attached to a card). */
  notifyDurableChange(): void {
    this.parent?.notifyDurableChange();
  }

  /** FIDs from the MF down to this file (MF excluded). */
  path(): number[] {
    return [...(this.parent?.path() ?? []), this.fid];
  }
}

/**
 * Lifecycle state of a blocked application (APPLICATION BLOCK `84 1E 00 P2`): 'temporary'
 * (P2 00; APPLICATION UNBLOCK lifts it) or 'permanent' (P2 01; final).
 */
export type ApplicationBlock = 'temporary' | 'permanent';

export const APPLICATION_BLOCKS: readonly ApplicationBlock[] = ['temporary', 'permanent'];

export interface DfOptions {
  fid: number;
  /** DF name (AID), 1..16 bytes; a DF with a name is an application. */
  dfName?: Uint8Array;
  /** Human name for listings ('SSSE'); not on the card. */
  label?: string;
  /** When set, the FCI proprietary template carries `9F0C 03 86 01 xx` (01 3DES, 03 SM4). */
  cryptoAlgorithm?: CardAlgorithm;
  /** Extra BER-TLV bytes appended inside the FCI proprietary template `A5`. */
  fciProprietary?: Uint8Array;
  /** Applications only (a DF with a DF name): blocked at creation (restoring a card image). */
  blocked?: ApplicationBlock;
}

/**
 * A dedicated file: a folder of DFs and EFs that may also own PINs and keys. A DF with a DF name
 * is an application (SSSE, the bank application); selecting another application ends the
 * security state.
 */
export class DedicatedFile {
  readonly kind = 'df' as const;
  readonly fid: number;
  readonly dfName: Uint8Array | undefined;
  readonly label: string | undefined;
  readonly cryptoAlgorithm: CardAlgorithm | undefined;
  readonly fciProprietary: Uint8Array | undefined;
  parent: DedicatedFile | undefined;
  readonly #children: FileNode[] = [];
  readonly #pins: CardPin[] = [];
  readonly #keys: CardKey[] = [];
  #blocked: ApplicationBlock | undefined;

  constructor(options: DfOptions) {
    const fid = checkFid(options.fid, 'DF');
    this.fid = fid;
    const what = `DF ${fidText(fid)}`;
    if (options.dfName !== undefined) {
      if (!(options.dfName instanceof Uint8Array) || options.dfName.length < 1 || options.dfName.length > 16) {
        throw new CardTreeError(`${what}: dfName must be 1..16 bytes`);
      }
      this.dfName = new Uint8Array(options.dfName);
    } else {
      this.dfName = undefined;
    }
    if (options.cryptoAlgorithm !== undefined && options.cryptoAlgorithm !== '3des' && options.cryptoAlgorithm !== 'sm4') {
      throw new CardTreeError(`${what}: cryptoAlgorithm must be '3des' or 'sm4'`);
    }
    if (options.fciProprietary !== undefined && !(options.fciProprietary instanceof Uint8Array)) {
      throw new CardTreeError(`${what}: fciProprietary must be a Uint8Array`);
    }
    this.cryptoAlgorithm = options.cryptoAlgorithm;
    this.fciProprietary = options.fciProprietary === undefined ? undefined : new Uint8Array(options.fciProprietary);
    this.label = options.label;
    this.parent = undefined;
    if (options.blocked !== undefined) {
      if (!APPLICATION_BLOCKS.includes(options.blocked)) {
        throw new CardTreeError(`${what}: blocked must be one of ${APPLICATION_BLOCKS.join(', ')}, got ${String(options.blocked)}`);
      }
      if (this.dfName === undefined) throw new CardTreeError(`${what}: only an application (a DF with a DF name) can be blocked`);
    }
    this.#blocked = options.blocked;
  }

  /** 'temporary' / 'permanent' once APPLICATION BLOCK blocked this application; undefined while usable. */
  get blocked(): ApplicationBlock | undefined {
    return this.#blocked;
  }

  /**
   * Blocks this application durably (APPLICATION BLOCK). A permanent block is final: it is never
   * turned back into a temporary one or lifted.
   */
  blockApplication(kind: ApplicationBlock): void {
    if (!this.isApplication) throw new CardTreeError(`${this.name} is not an application`);
    if (this.#blocked === 'permanent' || this.#blocked === kind) return;
    this.#blocked = kind;
    this.notifyDurableChange();
  }

  /** Lifts a temporary block durably (APPLICATION UNBLOCK); a permanent block stays. */
  unblockApplication(): void {
    if (this.#blocked !== 'temporary') return;
    this.#blocked = undefined;
    this.notifyDurableChange();
  }

  /** Sets the block state without persisting (rolling back to the last persisted state). */
  setBlockedSilently(state: ApplicationBlock | undefined): void {
    this.#blocked = state;
  }

  /** The label, else the DF name in hex, else the FID in hex. */
  get name(): string {
    return this.label ?? (this.dfName !== undefined ? toHex(this.dfName) : fidText(this.fid));
  }

  /** A DF with a DF name is an application. */
  get isApplication(): boolean {
    return this.dfName !== undefined;
  }

  get children(): readonly FileNode[] {
    return this.#children;
  }

  get pins(): readonly CardPin[] {
    return this.#pins;
  }

  get keys(): readonly CardKey[] {
    return this.#keys;
  }

  /** Attaches an existing node (checks FID and SFI uniqueness among the children). */
  add<T extends FileNode>(node: T): T {
    if (node.parent !== undefined) throw new CardTreeError(`${node.name} already has a parent`);
    if (node instanceof MasterFile) throw new CardTreeError('the MF cannot be a child');
    if (node.fid === this.fid && node.kind === 'df') {
      throw new CardTreeError(`${node.name}: a child DF cannot have its parent's FID ${fidText(this.fid)}`);
    }
    if (this.#children.some((c) => c.fid === node.fid)) {
      throw new CardTreeError(`${this.name} already has a child with FID ${fidText(node.fid)}`);
    }
    if (node.kind === 'ef' && node.sfi !== undefined && this.efBySfi(node.sfi) !== undefined) {
      throw new CardTreeError(`${this.name} already has an EF with SFI ${node.sfi}`);
    }
    if (node.kind === 'df' && node.dfName !== undefined) {
      const name = node.dfName;
      const clash = this.#children.some(
        (c) => c.kind === 'df' && c.dfName !== undefined && toHex(c.dfName) === toHex(name),
      );
      if (clash) throw new CardTreeError(`${this.name} already has a DF named ${toHex(name)}`);
    }
    node.parent = this;
    this.#children.push(node);
    return node;
  }

  /** Creates a DF, attaches it, returns it. */
  addDf(options: DfOptions): DedicatedFile {
    return this.add(new DedicatedFile(options));
  }

  /** Creates an EF, attaches it, returns it. */
  addEf(options: EfOptions): ElementaryFile {
    return this.add(new ElementaryFile(options));
  }

  /**
   * Creates a PIN owned by this DF (personalized with `initialPin`, or restored from `record`).
   * Its saves are made durable through this tree.
   */
  addPin(options: CardPinOptions): CardPin {
    const id = options.id;
    if (this.#pins.some((p) => p.id === id)) throw new CardTreeError(`${this.name} already has a PIN '${id}'`);
    const ref = options.reference ?? 0;
    if (this.#pins.some((p) => p.reference === ref)) {
      throw new CardTreeError(`${this.name} already has a PIN with reference ${ref}`);
    }
    const pin = new CardPin(options, () => this.notifyDurableChange());
    this.#pins.push(pin);
    return pin;
  }

  /** Creates a key owned by this DF; its try counter is persistent card state. */
  addKey(options: CardKeyOptions): CardKey {
    if (this.#keys.some((k) => k.id === options.id)) {
      throw new CardTreeError(`${this.name} already has a key ${String(options.id)}`);
    }
    const key = new CardKey(options);
    key.onChange = () => this.notifyDurableChange();
    this.#keys.push(key);
    return key;
  }

  /** The child (DF or EF) with this FID. */
  child(fid: number): FileNode | undefined {
    return this.#children.find((c) => c.fid === fid);
  }

  /** The child EF with this SFI. */
  efBySfi(sfi: number): ElementaryFile | undefined {
    return this.#children.find((c): c is ElementaryFile => c.kind === 'ef' && c.sfi === sfi);
  }

  /** This DF's own PIN with this id. */
  pin(id: string): CardPin | undefined {
    return this.#pins.find((p) => p.id === id);
  }

  /** This DF's own key with this number. */
  key(id: number): CardKey | undefined {
    return this.#keys.find((k) => k.id === id);
  }

  /** The MF at the top of this tree, or undefined while the DF is detached. */
  root(): MasterFile | undefined {
    let df: DedicatedFile = this;
    while (df.parent !== undefined) df = df.parent;
    return df instanceof MasterFile ? df : undefined;
  }

  /** Tells the owning card that persistent state changed (no-op while not attached to a card). */
  notifyDurableChange(): void {
    this.root()?.notifyDurableChange();
  }

  /** FIDs from the MF down to this DF (MF excluded; [] for the MF). */
  path(): number[] {
    if (this.parent === undefined) return [];
    return [...this.parent.path(), this.fid];
  }

  /** This DF and every node below it, depth-first, parents before children. */
  *walk(): Generator<FileNode> {
    yield this;
    for (const c of this.#children) {
      if (c.kind === 'df') yield* c.walk();
      else yield c;
    }
  }
}

export interface MasterFileOptions {
  label?: string;
  /**
   * The 8 card-specific bytes at the end of the ATR (terminals diversify keys with them; e.g. the
   * last 8 bytes of the card identifier). Default 8 zero bytes.
   */
  atrCardBytes?: Uint8Array;
  /** The card was blocked by CARD BLOCK (restoring a card image). Default false. */
  cardBlocked?: boolean;
}

/**
 * The MF (FID 3F00), root of the card's file tree. It carries the persistence listener the card
 * installs: every durable change anywhere in the tree reaches it synchronously.
 */
export class MasterFile extends DedicatedFile {
  #listener: (() => void) | undefined;
  #atrCardBytes: Uint8Array;
  #cardBlocked: boolean;

  constructor(options: MasterFileOptions = {}) {
    super({ fid: MF_FID, label: options.label ?? 'MF' });
    const bytes = options.atrCardBytes ?? new Uint8Array(8);
    if (!(bytes instanceof Uint8Array) || bytes.length !== 8) {
      throw new CardTreeError('MF: atrCardBytes must be exactly 8 bytes');
    }
    this.#atrCardBytes = new Uint8Array(bytes);
    const blocked = options.cardBlocked ?? false;
    if (typeof blocked !== 'boolean') throw new CardTreeError('MF: cardBlocked must be true or false');
    this.#cardBlocked = blocked;
  }

  /** True once CARD BLOCK blocked the whole card (final). */
  get cardBlocked(): boolean {
    return this.#cardBlocked;
  }

  /** Blocks the whole card durably (CARD BLOCK); there is no way back. */
  blockCard(): void {
    if (this.#cardBlocked) return;
    this.#cardBlocked = true;
    this.notifyDurableChange();
  }

  /** Sets the card-blocked flag without persisting (rolling back to the last persisted state). */
  setCardBlockedSilently(blocked: boolean): void {
    this.#cardBlocked = blocked;
  }

  /** The 8 card-specific ATR bytes (a copy). */
  get atrCardBytes(): Uint8Array {
    return new Uint8Array(this.#atrCardBytes);
  }

  /**
   * Installs the function called on every durable change (the card does this; one card per tree).
   * Pass undefined to detach.
   */
  setDurableChangeListener(listener: (() => void) | undefined): void {
    if (listener !== undefined && this.#listener !== undefined) {
      throw new CardTreeError('this card tree is already attached to a card');
    }
    this.#listener = listener;
  }

  override notifyDurableChange(): void {
    this.#listener?.();
  }

  /** The node at a path of FIDs below the MF (as returned by `path()`), or undefined. */
  nodeAt(path: readonly number[]): FileNode | undefined {
    let node: FileNode = this;
    for (const fid of path) {
      if (node.kind !== 'df') return undefined;
      const next: FileNode | undefined = node.child(fid);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  /** The first DF in the tree whose DF name equals `name`. */
  findByDfName(name: Uint8Array): DedicatedFile | undefined {
    const hex = toHex(name);
    for (const n of this.walk()) {
      if (n.kind === 'df' && n.dfName !== undefined && toHex(n.dfName) === hex) return n;
    }
    return undefined;
  }
}

