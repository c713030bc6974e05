import { bytesEqual, toHex } from '../../apdu/index.js';
import { CardTreeError } from '../errors.js';
import type { EfOptions } from './ef-options.js';
import { ElementaryFile, createElementaryFile } from './elementary-files.js';
import { MF_FID, checkFid, fidText } from './fid.js';
import { CardKey, type CardAlgorithm, type CardKeyOptions } from './keys.js';
import { CardPin, type CardPinOptions } from './pins.js';

export { MF_FID };

export type FileNode = DedicatedFile | ElementaryFile;

/**
 * Lifecycle state of a blocked application (APPLICATION BLOCK `84 1E 00 P2`): 'temporary'
 * (P2 00; APPLICATION UNBLOCK lifts it) or 'permanent' (P2 01; final).
 */
export type ApplicationBlock = 'temporary' | 'permanent';

/**
 * A durable change small enough to be written as itself (a delta): a PIN's try counter, spent or
 * restored. Any other change (a record, a key counter, a block, a new PIN) is reported without
 * one, and the whole card state is what gets written.
 */
export interface DurableChange {
  kind: 'pin-tries';
  owner: DedicatedFile;
  pin: string;
  triesLeft: number;
}

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
  /**
   * Data objects GET DATA answers in this application (BER-TLV, concatenated), e.g. the PBOC
   * application's ATC `9F36 02 xxxx` and last online ATC `9F13 02 xxxx`.
   */
  dataObjects?: Uint8Array;
  /**
   * The answer to GET PROCESSING OPTIONS `80 A8` in this application (a PBOC application's
   * response template, `77 { 82 AIP, 94 AFL }`); absent: GPO is 6985 here.
   */
  processingOptions?: Uint8Array;
  /**
   * Applications only: RELOAD PIN without a challenge in the PBOC zero-IV form is accepted (see
   * os/handlers/pin-pboc.ts). Personalization choice, default false: such a command can be replayed.
   */
  zeroIvReload?: boolean;
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
  readonly dataObjects: Uint8Array | undefined;
  readonly processingOptions: Uint8Array | undefined;
  readonly zeroIvReload: boolean;
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
    if (
      options.cryptoAlgorithm !== undefined &&
      options.cryptoAlgorithm !== '3des' &&
      options.cryptoAlgorithm !== 'sm4'
    ) {
      throw new CardTreeError(`${what}: cryptoAlgorithm must be '3des' or 'sm4'`);
    }
    if (options.fciProprietary !== undefined && !(options.fciProprietary instanceof Uint8Array)) {
      throw new CardTreeError(`${what}: fciProprietary must be a Uint8Array`);
    }
    for (const field of ['dataObjects', 'processingOptions'] as const) {
      const value = options[field];
      if (value !== undefined && !(value instanceof Uint8Array))
        throw new CardTreeError(`${what}: ${field} must be a Uint8Array`);
    }
    if (options.zeroIvReload !== undefined && typeof options.zeroIvReload !== 'boolean') {
      throw new CardTreeError(`${what}: zeroIvReload must be true or false`);
    }
    this.cryptoAlgorithm = options.cryptoAlgorithm;
    this.fciProprietary = options.fciProprietary === undefined ? undefined : new Uint8Array(options.fciProprietary);
    this.dataObjects = options.dataObjects === undefined ? undefined : new Uint8Array(options.dataObjects);
    this.processingOptions =
      options.processingOptions === undefined ? undefined : new Uint8Array(options.processingOptions);
    this.zeroIvReload = options.zeroIvReload ?? false;
    this.label = options.label;
    this.parent = undefined;
    if (options.blocked !== undefined) {
      if (!APPLICATION_BLOCKS.includes(options.blocked)) {
        throw new CardTreeError(
          `${what}: blocked must be one of ${APPLICATION_BLOCKS.join(', ')}, got ${String(options.blocked)}`,
        );
      }
      if (this.dfName === undefined)
        throw new CardTreeError(`${what}: only an application (a DF with a DF name) can be blocked`);
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
    return this.add(createElementaryFile(options));
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
    const pin = new CardPin(options, (triesLeft) => {
      const root = this.root();
      if (root === undefined) return;
      // The counter as a delta only for a card that writes deltas: a card in memory (or one that
      // saves whole states) is told that something changed, with nothing made for it.
      root.notifyDurableChange(
        triesLeft === undefined || !root.wantsDurableDeltas
          ? undefined
          : { kind: 'pin-tries', owner: this, pin: id, triesLeft },
      );
    });
    this.#pins.push(pin);
    return pin;
  }

  /** Creates a key owned by this DF; its try counter is persistent card state. */
  addKey(options: CardKeyOptions): CardKey {
    // `id`, not `options`, in the closures below: the key's onChange shares their scope, and
    // would keep the options (and a copy of the key bytes) alive with the card.
    const id = options.id;
    if (this.#keys.some((k) => k.id === id)) {
      throw new CardTreeError(`${this.name} already has a key ${String(id)}`);
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

  /** The child EF with this FID (undefined when there is none, or it is a DF). */
  childEf(fid: number): ElementaryFile | undefined {
    const node = this.child(fid);
    return node?.kind === 'ef' ? node : undefined;
  }

  /** The child DF with this FID (undefined when there is none, or it is an EF). */
  childDf(fid: number): DedicatedFile | undefined {
    const node = this.child(fid);
    return node?.kind === 'df' ? node : undefined;
  }

  /** The child EF with this SFI. */
  efBySfi(sfi: number): ElementaryFile | undefined {
    // A plain loop: every SFI-addressed read looks its EF up here.
    for (const c of this.#children) if (c.kind === 'ef' && c.sfi === sfi) return c;
    return undefined;
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
    // A loop, not a recursion: every PIN try and key counter change asks for the root.
    let top = this.parent;
    if (top === undefined) return this instanceof MasterFile ? this : undefined;
    while (top.parent !== undefined) top = top.parent;
    return top instanceof MasterFile ? top : undefined;
  }

  /**
   * Tells the owning card that persistent state changed (no-op while not attached to a card):
   * with `change` when a counter alone changed, without when anything else did.
   */
  notifyDurableChange(change?: DurableChange): void {
    this.root()?.notifyDurableChange(change);
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
  #listener: ((change?: DurableChange) => void) | undefined;
  #wantsDeltas = false;
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
   * Pass undefined to detach. `deltas` false: counter changes come without a DurableChange too.
   */
  setDurableChangeListener(
    listener: ((change?: DurableChange) => void) | undefined,
    options: { deltas?: boolean } = {},
  ): void {
    if (listener !== undefined && this.#listener !== undefined) {
      throw new CardTreeError('this card tree is already attached to a card');
    }
    this.#listener = listener;
    this.#wantsDeltas = listener !== undefined && (options.deltas ?? true);
  }

  /**
   * Whether the listener takes a counter change as a DurableChange (`deltas` when it was
   * installed); otherwise every change reaches it without one.
   */
  get wantsDurableDeltas(): boolean {
    return this.#wantsDeltas;
  }

  override notifyDurableChange(change?: DurableChange): void {
    this.#listener?.(change);
  }

  /** The node at a path of FIDs below the MF (as returned by `path()`), or undefined. */
  nodeAt(path: readonly number[]): FileNode | undefined {
    return path.reduce<FileNode | undefined>((node, fid) => (node?.kind === 'df' ? node.child(fid) : undefined), this);
  }

  /** The first DF in the tree whose DF name equals `name`. */
  findByDfName(name: Uint8Array): DedicatedFile | undefined {
    return dfNamed(this, name);
  }
}

/** The first DF at or below `df` (depth first, in tree order) whose DF name is `name`. */
function dfNamed(df: DedicatedFile, name: Uint8Array): DedicatedFile | undefined {
  if (df.dfName !== undefined && bytesEqual(df.dfName, name)) return df;
  for (const child of df.children) {
    if (child.kind !== 'df') continue;
    const found = dfNamed(child, name);
    if (found !== undefined) return found;
  }
  return undefined;
}
