import { fromHex } from '../../apdu/index.js';
import type { DedicatedFile, MasterFile } from '../fs/nodes.js';
import { fidHex } from './export.js';
import type { CardState, DfState } from './schema.js';

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

/** Walks `df` and `s` together; with `dryRun` it only compares their shapes. */
function restoreDf(df: DedicatedFile, s: DfState, dryRun: boolean): boolean {
  if (
    s.pins.length !== df.pins.length ||
    s.keys.length !== df.keys.length ||
    s.children.length !== df.children.length
  ) {
    return false;
  }
  if (!dryRun && df.isApplication) df.setBlockedSilently(s.applicationBlocked);
  for (const [i, ps] of s.pins.entries()) {
    const p = df.pins[i];
    if (p === undefined || p.id !== ps.id) return false;
    if (!dryRun) p.restoreSilently(ps.record);
  }
  for (const [i, ks] of s.keys.entries()) {
    const k = df.keys[i];
    if (k === undefined || k.id !== ks.id) return false;
    if (!dryRun) k.setTriesLeftSilently(ks.triesLeft);
  }
  for (const [i, cs] of s.children.entries()) {
    const c = df.children[i];
    if (c === undefined || c.kind !== cs.type || fidHex(c.fid) !== cs.fid) return false;
    if (c.kind === 'df') {
      if (!restoreDf(c, cs as DfState, dryRun)) return false;
    } else if (!dryRun && cs.type === 'ef') {
      c.restoreSilently(
        cs.structure === 'transparent' ? { data: fromHex(cs.data) } : { records: cs.records.map((r) => fromHex(r)) },
      );
    }
  }
  return true;
}
