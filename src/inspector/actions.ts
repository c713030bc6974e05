import { fromHex } from '../apdu/index.js';
import type { CardState, ElementaryFile, SimulatedCard } from '../card-sim/index.js';
import { InspectorError } from './errors.js';
import { pathOf } from './snapshot.js';

/*
 * The developer actions of the inspector page (only with the switch on): take the card out of its
 * reader and put it back, warm and cold reset, tear the next durable write, edit a record, save a
 * snapshot of the card and restore it. Each returns the line the trace shows for it.
 */

/** The reader that holds the inspected card, for remove / insert (a MemoryTransport fits). */
export interface InspectedReader {
  /** Whether a card is in the reader. */
  readonly present: boolean;
  /** Takes the card out: exchanges in flight and later ones fail with CardRemovedError. */
  remove(): unknown;
  /** Puts the card back (powered, with a fresh ATR). */
  insert(): unknown;
}

export interface Snapshot {
  id: number;
  name: string;
  time: string;
  state: CardState;
}

export const ACTION_NAMES = [
  'remove',
  'insert',
  'reset-warm',
  'reset-cold',
  'tear',
  'edit-record',
  'snapshot',
  'restore',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

function invalid(message: string): InspectorError {
  return new InspectorError('INSPECTOR_ACTION_INVALID', message);
}

/** The EF at `path` (as the page names it, e.g. MF/SSSE/EF06). */
export function efAt(card: SimulatedCard, path: string): ElementaryFile {
  for (const node of card.tree.walk()) if (node.kind === 'ef' && pathOf(node) === path) return node;
  throw invalid(`no EF at ${path}`);
}

/**
 * The one way a developer's record edit reaches the card: through SimulatedCard.changeContents,
 * so an image-bound card saves it like any change it makes itself (and rolls back when saving
 * fails). Record files only; the record must exist and keep the file's record rules.
 */
export function applyRecordEdit(card: SimulatedCard, ef: ElementaryFile, record: number, bytes: Uint8Array): void {
  if (!ef.isRecordFile) throw invalid(`${pathOf(ef)} is not a record file`);
  if (!Number.isInteger(record) || record < 1 || ef.record(record) === undefined) {
    throw invalid(`${pathOf(ef)} has no record ${String(record)}`);
  }
  const problem = ef.recordProblem(bytes, record);
  if (problem !== undefined) throw invalid(`${pathOf(ef)} record ${record}: ${problem}`);
  card.changeContents(`${pathOf(ef)} record ${record}`, () => ef.updateRecord(record, bytes));
}

function field(body: Record<string, unknown>, name: string, type: 'string' | 'number'): unknown {
  const value = body[name];
  if (typeof value !== type) throw invalid(`${name} must be a ${type}`);
  return value;
}

export interface ActionContext {
  card: SimulatedCard;
  reader: InspectedReader | undefined;
  snapshots: Snapshot[];
  nextSnapshotId: () => number;
}

/** Runs one action; returns the trace line that tells what was done. */
export async function runAction(ctx: ActionContext, name: string, body: Record<string, unknown>): Promise<string> {
  const { card, reader } = ctx;
  const needReader = (): InspectedReader => {
    if (reader === undefined)
      throw new InspectorError('INSPECTOR_ACTION_REFUSED', 'this card has no reader the inspector can take it out of');
    return reader;
  };
  switch (name as ActionName) {
    case 'remove': {
      const r = needReader();
      if (!r.present) throw new InspectorError('INSPECTOR_ACTION_REFUSED', 'the card is not in the reader');
      await r.remove();
      return 'card removed from the reader';
    }
    case 'insert': {
      const r = needReader();
      if (r.present) throw new InspectorError('INSPECTOR_ACTION_REFUSED', 'the card is already in the reader');
      await r.insert();
      return 'card inserted into the reader';
    }
    case 'reset-warm':
      card.reset('warm');
      return 'warm reset';
    case 'reset-cold':
      card.reset('cold');
      return 'cold reset';
    case 'tear':
      card.tearAtNextDurableWrite();
      return 'tear at the next durable write';
    case 'edit-record': {
      const path = field(body, 'path', 'string') as string;
      const record = field(body, 'record', 'number') as number;
      let bytes: Uint8Array;
      try {
        bytes = fromHex(field(body, 'hex', 'string') as string);
      } catch (err) {
        throw invalid(`hex: ${err instanceof Error ? err.message : String(err)}`);
      }
      applyRecordEdit(card, efAt(card, path), record, bytes);
      return `record edited: ${path} record ${record} (${bytes.length} bytes)`;
    }
    case 'snapshot': {
      const given = body.name;
      const id = ctx.nextSnapshotId();
      const label = typeof given === 'string' && given.trim() !== '' ? given.trim().slice(0, 60) : `snapshot ${id}`;
      ctx.snapshots.push({ id, name: label, time: new Date().toISOString(), state: card.exportState() });
      return `snapshot saved: ${label}`;
    }
    case 'restore': {
      const id = field(body, 'id', 'number') as number;
      const snap = ctx.snapshots.find((s) => s.id === id);
      if (snap === undefined) throw invalid(`no snapshot ${id}`);
      card.restoreState(snap.state);
      return `snapshot restored: ${snap.name}`;
    }
    default:
      throw new InspectorError('INSPECTOR_ACTION_UNKNOWN', `no action ${name.slice(0, 40)}`);
  }
}
