import { commandParts, isPinCommand } from '../apdu/index.js';

/*
 * Watching a card while it runs: what SimulatedCard.observe() reports. Observers see every
 * command the card answered, power and reset, and the developer-side changes (a torn write, a
 * restored snapshot, an edited record). The data of PIN-carrying commands (and of their answers)
 * never enters an observation, so no observer can show or store a PIN: only its length is kept.
 */

/** A command as an observer sees it. `data` is null when the command had none or carries a PIN. */
export interface ObservedCommand {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Nc (for a PIN-carrying command still the real count, as on the wire). */
  lc: number;
  /** Ne, when the command had an Le field. */
  le?: number;
  data: Uint8Array | null;
  /** The command carries a PIN: its data (and its answer's data) are withheld. */
  masked: boolean;
  /** The bytes do not form a valid APDU (the card answered them all the same). */
  malformed: boolean;
}

/** The card's answer. `data` is null when there was none or the command carried a PIN. */
export interface ObservedResponse {
  data: Uint8Array | null;
  length: number;
  sw: number;
}

/** Why the card lost power or restarted. */
export type PowerChange = 'power-on' | 'power-off' | 'warm-reset' | 'cold-reset';

/** One thing the card did; `time` is milliseconds since the epoch. */
export type CardObservation =
  | { type: 'apdu'; time: number; elapsedMs: number; command: ObservedCommand; response: ObservedResponse }
  | { type: 'power'; time: number; change: PowerChange }
  /** tearAtNextDurableWrite() was called: the next durable write will fail as under a power loss. */
  | { type: 'tear-armed'; time: number }
  /** A durable write failed (an armed tear, or the persistence hook threw): the card rolled back. */
  | { type: 'write-failed'; time: number; torn: boolean }
  /** restoreState(): the card's contents were replaced by a saved state. */
  | { type: 'restored'; time: number }
  /** changeContents(): the card's contents were changed from outside the card OS. */
  | { type: 'changed'; time: number; what: string };

export type CardObserver = (observation: CardObservation) => void;

/** The command bytes as an observer may see them: PIN data withheld. */
export function observeCommand(bytes: Uint8Array): ObservedCommand {
  const { cla, ins, p1, p2, data, ne, malformed } = commandParts(bytes);
  const masked = isPinCommand(malformed ? bytes : ins);
  const out: ObservedCommand = {
    cla,
    ins,
    p1,
    p2,
    lc: data.length,
    data: data.length === 0 || masked ? null : new Uint8Array(data),
    masked,
    malformed,
  };
  if (ne !== undefined) out.le = ne;
  return out;
}

/** The answer bytes (data ‖ SW1 SW2) as an observer may see them. */
export function observeResponse(bytes: Uint8Array, masked: boolean): ObservedResponse {
  const length = Math.max(0, bytes.length - 2);
  const sw = bytes.length >= 2 ? ((bytes[length] as number) << 8) | (bytes[length + 1] as number) : 0;
  return { data: length === 0 || masked ? null : bytes.slice(0, length), length, sw };
}

/**
 * The observers of one card. An observer that throws breaks nothing: the card's answer must not
 * depend on who watches it.
 */
export class ObserverSet {
  readonly #observers = new Set<CardObserver>();

  get size(): number {
    return this.#observers.size;
  }

  add(observer: CardObserver): () => void {
    this.#observers.add(observer);
    return () => {
      this.#observers.delete(observer);
    };
  }

  emit(observation: CardObservation): void {
    for (const o of [...this.#observers]) {
      try {
        o(observation);
      } catch {
        // An observer's bug is its own; the card goes on.
      }
    }
  }
}
