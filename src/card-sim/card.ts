import { randomBytes } from 'node:crypto';
import { SW, encodeResponse, type CardEndpoint } from '../apdu/index.js';
import { buildAtr, type AtrVariant, ATR_VARIANTS } from './atr.js';
import { CardConfigError } from './errors.js';
import type { DurableChange, MasterFile } from './fs/nodes.js';
import { ObserverSet, observeCommand, observeResponse, type CardObserver, type PowerChange } from './observer.js';
import { CardContext } from './os/context.js';
import { processApdu, type CardLogger, type ProcessorHooks } from './os/processor.js';
import {
  applyStateDelta,
  exportState,
  importState,
  pinTriesDelta,
  restoreContents,
  type CardState,
  type CardStateDelta,
} from './state/index.js';

/** Transmission protocol the simulated card runs. */
export type TransmissionProtocol = 'T=0' | 'T=1';

export interface SimulatedCardOptions {
  /** The card's file tree (one card per tree: the card installs its persistence listener on it). */
  tree: MasterFile;
  /** Default 'T=1'. With 'T=0', case-3/4 answers come as 61xx and GET RESPONSE fetches them. */
  transmission?: TransmissionProtocol;
  /** Accept extended-length APDUs (default false: they get 6700). */
  extendedLength?: boolean;
  /** Protocols the ATR offers; default 'T=1' for T=1 and 'T=0' for T=0. Must include `transmission`. */
  atrVariant?: AtrVariant;
  /**
   * Called synchronously with the full card state whenever persistent state changed (a PIN or key
   * try spent or restored, a record or binary written), before the APDU is answered; a PIN try is
   * persisted before the comparison. If it throws, the card answers 6581, rolls its memory back to
   * the last state this hook accepted, and ends the security state (as after a power loss).
   */
  onDurableChange?: (state: CardState) => void;
  /**
   * With onDurableChange: called instead of it when the change is a PIN's try counter alone (a
   * VERIFY's spent or restored try), with that change as a delta, under the same rules (before
   * the answer and, for a spent try, before the comparison; a throw answers 6581 and rolls back).
   * A store that can write a delta (an append to a log) makes a try cost one small write instead
   * of a serialised card.
   */
  onDurableDelta?: (delta: CardStateDelta) => void;
  /** Receives handler bugs (answered 6F00). Never given APDU data. */
  logger?: CardLogger;
  /** Randomness for GET CHALLENGE (default node:crypto randomBytes). */
  random?: (n: number) => Uint8Array;
  /** Start powered (default false: call powerOn()). */
  powered?: boolean;
}

function defaultRandom(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

/**
 * A simulated social security card: the file tree plus the card OS behind an ATR, power and
 * reset. `transmit` takes raw C-APDU bytes and returns raw R-APDU bytes; it never throws (bad
 * bytes get the right status word, handler bugs 6F00). An unpowered card answers 6F00 to
 * everything (check `powered`).
 */
export class SimulatedCard implements CardEndpoint {
  readonly tree: MasterFile;
  readonly transmission: TransmissionProtocol;
  readonly extendedLength: boolean;
  readonly atrVariant: AtrVariant;
  readonly #atr: Uint8Array;
  readonly #ctx: CardContext;
  readonly #onDurableChange: ((state: CardState) => void) | undefined;
  readonly #onDurableDelta: ((delta: CardStateDelta) => void) | undefined;
  readonly #logger: CardLogger | undefined;
  #powered: boolean;
  // The state a failed write rolls back to. A card without a persistence hook keeps none: nothing
  // can fail to save on it except a write torn on purpose, which takes it first. Not keeping it
  // there is most of the memory of a card held in memory (a full exported copy of its files).
  #lastPersisted: CardState | undefined;
  #persistFailed = false;
  /** Made once: a command allocates nothing for the OS's view of the card. */
  readonly #hooks: ProcessorHooks;
  readonly #observers = new ObserverSet();
  #tearArmed = false;

  constructor(options: SimulatedCardOptions) {
    const transmission = options.transmission ?? 'T=1';
    if (transmission !== 'T=0' && transmission !== 'T=1') {
      throw new CardConfigError(`transmission must be 'T=0' or 'T=1', got ${String(transmission)}`);
    }
    const atrVariant = options.atrVariant ?? transmission;
    if (!ATR_VARIANTS.includes(atrVariant)) {
      throw new CardConfigError(`atrVariant must be one of ${ATR_VARIANTS.join(', ')}, got ${String(atrVariant)}`);
    }
    if (!atrVariant.includes(transmission)) {
      throw new CardConfigError(`ATR variant ${atrVariant} does not offer the card's protocol ${transmission}`);
    }
    this.tree = options.tree;
    this.transmission = transmission;
    this.extendedLength = options.extendedLength ?? false;
    this.atrVariant = atrVariant;
    this.#atr = buildAtr(atrVariant, this.tree.atrCardBytes);
    this.#onDurableChange = options.onDurableChange;
    if (options.onDurableDelta !== undefined && options.onDurableChange === undefined) {
      throw new CardConfigError('onDurableDelta needs onDurableChange (for every change that is not a counter)');
    }
    this.#onDurableDelta = options.onDurableDelta;
    this.#logger = options.logger;
    this.#ctx = new CardContext(this.tree, options.random ?? defaultRandom, transmission);
    this.#lastPersisted = options.onDurableChange === undefined ? undefined : exportState(this.tree);
    this.#powered = options.powered ?? false;
    this.tree.setDurableChangeListener((change) => this.#persist(change), {
      deltas: this.#onDurableDelta !== undefined,
    });
    this.#hooks = {
      extendedLength: this.extendedLength,
      logger: this.#logger,
      takePersistenceFailure: () => {
        const failed = this.#persistFailed;
        this.#persistFailed = false;
        return failed;
      },
      rollBack: () => {
        if (this.#lastPersisted !== undefined) restoreContents(this.tree, this.#lastPersisted);
      },
    };
  }

  /**
   * A card from a saved state (validated; ImageFormatError 'CARD_IMAGE_INVALID' naming the bad
   * field otherwise).
   */
  static fromState(state: unknown, options: Omit<SimulatedCardOptions, 'tree'> = {}): SimulatedCard {
    return new SimulatedCard({ ...options, tree: importState(state) });
  }

  /** The ATR (a copy). */
  get atr(): Uint8Array {
    return new Uint8Array(this.#atr);
  }

  get powered(): boolean {
    return this.#powered;
  }

  /** Powers the card (cold start: MF selected, no security state) and returns the ATR. */
  powerOn(): Uint8Array {
    this.#restart(true, 'power-on');
    return this.atr;
  }

  /** Removes power: the security state and any pending response are gone. */
  powerOff(): void {
    this.#restart(false, 'power-off');
  }

  /** Warm or cold reset (both end the security state); powers the card if needed. Returns the ATR. */
  reset(kind: 'warm' | 'cold' = 'warm'): Uint8Array {
    this.#restart(true, kind === 'cold' ? 'cold-reset' : 'warm-reset');
    return this.atr;
  }

  #restart(powered: boolean, change: PowerChange): void {
    this.#ctx.restartFromAtr();
    this.#powered = powered;
    if (this.#observers.size > 0) this.#observers.emit({ type: 'power', time: Date.now(), change });
  }

  /**
   * Watches the card: every answered command (PIN data withheld), power and reset, torn writes,
   * restored and changed contents. Returns the function that stops watching.
   */
  observe(observer: CardObserver): () => void {
    return this.#observers.add(observer);
  }

  /** Raw C-APDU in, raw R-APDU (data || SW1 SW2) out. Never throws. */
  transmit(command: Uint8Array): Uint8Array {
    if (this.#observers.size === 0) return this.#transmit(command);
    const time = Date.now();
    const started = performance.now();
    const response = this.#transmit(command);
    const elapsedMs = performance.now() - started;
    const observed = observeCommand(command);
    this.#observers.emit({
      type: 'apdu',
      time,
      elapsedMs,
      command: observed,
      response: observeResponse(response, observed.masked),
    });
    return response;
  }

  #transmit(command: Uint8Array): Uint8Array {
    if (!this.#powered) return encodeResponse(new Uint8Array(0), SW.UNKNOWN);
    this.#persistFailed = false;
    return processApdu(this.#ctx, this.#hooks, command);
  }

  /**
   * Makes the next durable write fail as if the card lost power during it (the image's own fault
   * path: the card answers 6581, rolls back to its last saved state and ends the security state).
   * One write only; later writes succeed again.
   */
  tearAtNextDurableWrite(): void {
    // Without a persistence hook the last saved state is not kept up to date: take it now, since no
    // durable write can succeed between now and the torn one.
    if (this.#onDurableChange === undefined) this.#lastPersisted = exportState(this.tree);
    this.#tearArmed = true;
    this.#emit({ type: 'tear-armed', time: Date.now() });
  }

  /**
   * Replaces the card's contents (files, PIN and key counters, blocks) with a saved state of the
   * same card, saved through the persistence hook like any other change; the security state ends
   * (as after a reset). CardConfigError when the state is of a card with another file tree.
   */
  restoreState(state: CardState): void {
    const checked = importState(state);
    const saved = exportState(checked);
    this.#change(() => {
      if (!restoreContents(this.tree, saved))
        throw new CardConfigError('the saved state is of a card with another file tree');
      this.#ctx.restartFromAtr();
      this.tree.notifyDurableChange();
    });
    this.#emit({ type: 'restored', time: Date.now() });
  }

  /**
   * Changes the card's contents from outside the card OS (a developer's edit): `change` works on the
   * tree, each durable change is saved through the persistence hook; if saving fails (or `change`
   * throws) the card rolls back to its last saved state and the error is thrown. `what` names the
   * change for observers.
   */
  changeContents(what: string, change: (tree: MasterFile) => void): void {
    this.#change(() => change(this.tree));
    this.#emit({ type: 'changed', time: Date.now(), what });
  }

  #change(step: () => void): void {
    // Without a persistence hook the last saved state is the state before this change.
    const before =
      this.#onDurableChange === undefined || this.#lastPersisted === undefined
        ? exportState(this.tree)
        : this.#lastPersisted;
    this.#persistFailed = false;
    try {
      step();
    } catch (error) {
      restoreContents(this.tree, before);
      this.#ctx.restartFromAtr();
      throw error;
    } finally {
      this.#persistFailed = false;
    }
  }

  #emit(observation: Parameters<CardObserver>[0]): void {
    if (this.#observers.size > 0) this.#observers.emit(observation);
  }

  /** The card's persistent state now (JSON-serialisable deep copy). */
  exportState(): CardState {
    return exportState(this.tree);
  }

  /** What the card has established since the last ATR: for inspection, listings and tests. */
  securityState(): {
    currentPath: number[];
    currentEf: number | undefined;
    application: string | undefined;
    verifiedPins: string[];
    authenticatedKeys: number[];
  } {
    const verifiedPins: string[] = [];
    for (const n of this.tree.walk()) {
      if (n.kind === 'df') for (const p of n.pins) if (p.pin.status().verified) verifiedPins.push(p.id);
    }
    return {
      currentPath: this.#ctx.currentDf.path(),
      currentEf: this.#ctx.currentEf?.fid,
      application: this.#ctx.currentApplication?.name,
      verifiedPins,
      authenticatedKeys: [...this.#ctx.authenticatedKeys].map((k) => k.id),
    };
  }

  #persist(change: DurableChange | undefined): void {
    const hook = this.#onDurableChange;
    if (this.#tearArmed) {
      this.#tearArmed = false;
      this.#persistFailed = true;
      this.#emit({ type: 'write-failed', time: Date.now(), torn: true });
      throw new CardConfigError('the card was torn from the reader during a durable write');
    }
    if (hook === undefined) return;
    try {
      const small = this.#onDurableDelta;
      if (change !== undefined && small !== undefined) {
        const delta = pinTriesDelta(change.owner.path(), change.pin, change.triesLeft);
        small(delta);
        if (this.#lastPersisted !== undefined) applyStateDelta(this.#lastPersisted, delta);
        return;
      }
      const state = exportState(this.tree);
      hook(state);
      this.#lastPersisted = exportState(this.tree);
    } catch (error) {
      this.#persistFailed = true;
      this.#emit({ type: 'write-failed', time: Date.now(), torn: false });
      throw error;
    }
  }
}
