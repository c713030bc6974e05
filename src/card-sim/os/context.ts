import type { DecodedCommandApdu } from '../../apdu/index.js';
import type { AccessCondition } from '../fs/access.js';
import type { CardKey } from '../fs/keys.js';
import type { ElementaryFile } from '../fs/elementary-files.js';
import type { DedicatedFile, MasterFile } from '../fs/nodes.js';
import type { CardPin } from '../fs/pins.js';

/** The command a handler receives: the decoded APDU (header, data, Ne, case, extended). */
export type CardCommand = DecodedCommandApdu;

/** What a handler answers. `sw` defaults to 9000. */
export interface HandlerResult {
  data?: Uint8Array;
  sw?: number;
  /**
   * The data has one exact length (a record): a non-zero Le that differs gets `6Cxx` with the
   * exact length, as SSC cards answer READ RECORD. Without it Le is a maximum.
   */
  exactLe?: boolean;
  /**
   * The answer is `dataLength` bytes of `data` from `dataStart` (default: all of `data`): a
   * record as stored, copied once into the answer without a view made for it.
   */
  dataStart?: number;
  dataLength?: number;
}

/**
 * The one handler shape of the card OS. Handlers read and change the card through `ctx` and
 * signal failures by throwing StatusWordError; the OS turns that into SW1 SW2 in one place.
 */
export type CommandHandler = (ctx: CardContext, cmd: CardCommand) => HandlerResult;

/**
 * What the OS knows between commands: the tree, the current DF / EF / record, and the security
 * state (verified PINs live in their Pin objects; authenticated keys and the challenge here).
 */
export class CardContext {
  readonly tree: MasterFile;
  currentDf: DedicatedFile;
  currentEf: ElementaryFile | undefined;
  /** Number of the current record of the current EF (set by record commands). */
  currentRecord: number | undefined;
  /** The last GET CHALLENGE value, until a command uses it (single use). */
  challenge: Uint8Array | undefined;
  readonly authenticatedKeys = new Set<CardKey>();
  /** Transmission protocol the card runs (decides 61xx answers and GET RESPONSE rules). */
  readonly protocol: 'T=0' | 'T=1';
  /** Response data kept back for GET RESPONSE, with the status word of the command that made it. */
  pendingResponse: { data: Uint8Array; sw: number } | undefined;
  /** Source of card randomness (GET CHALLENGE). */
  readonly random: (n: number) => Uint8Array;

  constructor(tree: MasterFile, random: (n: number) => Uint8Array, protocol: 'T=0' | 'T=1') {
    this.tree = tree;
    this.random = random;
    this.protocol = protocol;
    this.pendingResponse = undefined;
    this.currentDf = tree;
    this.currentEf = undefined;
    this.currentRecord = undefined;
    this.challenge = undefined;
  }

  /** The application (nearest DF with a DF name, itself included) a DF belongs to. */
  static applicationOf(df: DedicatedFile): DedicatedFile | undefined {
    // A plain loop: the OS asks this on every command (lifecycleRefusal).
    for (let d: DedicatedFile | undefined = df; d !== undefined; d = d.parent) if (d.isApplication) return d;
    return undefined;
  }

  /** The current application, or undefined outside any application. */
  get currentApplication(): DedicatedFile | undefined {
    return CardContext.applicationOf(this.currentDf);
  }

  /**
   * Ends the security state: PINs no longer verified, no key authenticated, no challenge.
   * Happens on reset, power-off and selection of another application.
   */
  clearSecurityState(): void {
    clearPinsFrom(this.tree);
    this.authenticatedKeys.clear();
    this.challenge = undefined;
  }

  /** Back to the state after an ATR: MF selected, security state cleared. */
  restartFromAtr(): void {
    this.clearSecurityState();
    this.currentDf = this.tree;
    this.currentEf = undefined;
    this.currentRecord = undefined;
    this.pendingResponse = undefined;
  }

  /** Makes `df` current (and `ef`, when given); leaving the application ends the security state. */
  select(df: DedicatedFile, ef?: ElementaryFile): void {
    if (CardContext.applicationOf(df) !== this.currentApplication) this.clearSecurityState();
    this.currentDf = df;
    this.currentEf = ef;
    this.currentRecord = undefined;
  }

  /** Makes an EF of the current DF current without leaving the DF (SFI addressing). */
  useEf(ef: ElementaryFile): void {
    if (this.currentEf !== ef) this.currentRecord = undefined;
    this.currentEf = ef;
  }

  /** Takes the pending challenge (single use): it is gone afterwards. */
  takeChallenge(): Uint8Array | undefined {
    const c = this.challenge;
    this.challenge = undefined;
    return c;
  }

  /** The PIN with this id owned by `from` or its nearest ancestor that has one. */
  resolvePin(from: DedicatedFile, id: string): CardPin | undefined {
    return nearest(from, (d) => d.pin(id))?.found;
  }

  /** The PIN whose reference (P2 of VERIFY) is `ref`, looking from `from` upwards; with its owner. */
  resolvePinByReference(from: DedicatedFile, ref: number): { pin: CardPin; owner: DedicatedFile } | undefined {
    // Plain loops: VERIFY looks its PIN up on every command.
    for (let owner: DedicatedFile | undefined = from; owner !== undefined; owner = owner.parent) {
      for (const pin of owner.pins) if (pin.reference === ref) return { pin, owner };
    }
    return undefined;
  }

  /** The key with this number owned by `from` or its nearest ancestor that has one. */
  resolveKey(from: DedicatedFile, id: number): CardKey | undefined {
    return nearest(from, (d) => d.key(id))?.found;
  }

  /**
   * Whether an access condition of `ef` holds in the current security state. `macKey` is the key
   * whose MAC the current command carried and the card verified (secure messaging), if any: only
   * 'key-and-mac' needs it, and only when it is the key the condition names.
   */
  isSatisfied(ef: ElementaryFile, cond: AccessCondition, macKey?: CardKey): boolean {
    if (cond.kind === 'always') return true;
    const owner = ef.parent ?? this.tree;
    switch (cond.kind) {
      case 'never':
        return false;
      case 'pin':
        return this.#pinVerified(owner, cond.pin);
      case 'key':
        return this.#keyAuthenticated(owner, cond.keyId);
      case 'pin-and-key':
        return this.#pinVerified(owner, cond.pin) && this.#keyAuthenticated(owner, cond.keyId);
      case 'pin-or-key':
        return this.#pinVerified(owner, cond.pin) || this.#keyAuthenticated(owner, cond.keyId);
      case 'key-and-mac':
        return (
          this.#keyAuthenticated(owner, cond.keyId) &&
          macKey !== undefined &&
          macKey === this.resolveKey(owner, cond.keyId)
        );
    }
  }

  #pinVerified(owner: DedicatedFile, id: string): boolean {
    return this.resolvePin(owner, id)?.pin.status().verified === true;
  }

  #keyAuthenticated(owner: DedicatedFile, id: number): boolean {
    const k = this.resolveKey(owner, id);
    return k !== undefined && this.authenticatedKeys.has(k);
  }
}

/**
 * What `pick` finds first on `from` or, walking up, the nearest ancestor where it finds something;
 * with the DF it was found on. PINs, keys and applications are all looked up this way.
 */
function nearest<T>(
  from: DedicatedFile,
  pick: (df: DedicatedFile) => T | undefined,
): { found: T; owner: DedicatedFile } | undefined {
  for (let d: DedicatedFile | undefined = from; d !== undefined; d = d.parent) {
    const found = pick(d);
    if (found !== undefined) return { found, owner: d };
  }
  return undefined;
}

/**
 * Every PIN of `df` and of the DFs under it no longer verified. A plain recursion over the DFs, not
 * `walk()`: this runs on every SELECT that changes application (a terminal going MF -> SSSE), and
 * the generator, visiting every EF through nested `yield*`, cost some 20 µs of the 25 µs such a
 * SELECT took.
 */
function clearPinsFrom(df: DedicatedFile): void {
  for (const p of df.pins) p.pin.clearVerified();
  for (const child of df.children) if (child.kind === 'df') clearPinsFrom(child);
}
