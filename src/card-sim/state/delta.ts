import { ImageFormatError } from '../errors.js';
import { fidHex } from './export.js';
import type { CardState, DfState } from './schema.js';

/**
 * A durable change written as itself instead of a whole card state: the try counter of one PIN,
 * the PIN named by its DF (FIDs below the MF, 4 hex digits each; [] for the MF) and its id. A
 * counter is all a VERIFY changes, so a card backed by a file can make each try a small append
 * (see image-log) rather than a rewrite of the card. JSON-safe, and no secret in it.
 */
export interface CardStateDelta {
  kind: 'pin-tries';
  df: string[];
  pin: string;
  triesLeft: number;
}

/** The delta of a counter change on the PIN `pin` of the DF at `path` (DedicatedFile.path()). */
export function pinTriesDelta(path: readonly number[], pin: string, triesLeft: number): CardStateDelta {
  return { kind: 'pin-tries', df: path.map(fidHex), pin, triesLeft };
}

/**
 * Applies `delta` to `state` in place. A delta that does not fit the state (no such DF or PIN, a
 * counter outside 0..tryLimit) is an ImageFormatError: a log that does not belong to its image.
 */
export function applyStateDelta(state: CardState, delta: CardStateDelta): void {
  let df: DfState = state.mf;
  for (const fid of delta.df) {
    const next = df.children.find((c): c is DfState => c.type === 'df' && c.fid === fid);
    if (next === undefined)
      throw new ImageFormatError(
        'log',
        `a counter change names DF ${delta.df.join('/')}, which the card does not have`,
      );
    df = next;
  }
  const pin = df.pins.find((p) => p.id === delta.pin);
  if (pin === undefined)
    throw new ImageFormatError('log', `a counter change names PIN ${delta.pin}, which the card does not have`);
  const { triesLeft } = delta;
  if (!Number.isInteger(triesLeft) || triesLeft < 0 || triesLeft > pin.record.tryLimit) {
    throw new ImageFormatError('log', 'a counter change is outside 0..tryLimit');
  }
  pin.record.triesLeft = triesLeft;
}
