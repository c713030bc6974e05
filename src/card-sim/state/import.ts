import { fromHex } from '../../apdu/index.js';
import { CardTreeError, ImageFormatError } from '../errors.js';
import { createElementaryFile, type ElementaryFile } from '../fs/elementary-files.js';
import { DedicatedFile, MasterFile } from '../fs/nodes.js';
import { fieldPath, validate } from '../validation.js';
import { stateSizeProblem } from './limits.js';
import { cardStateSchema } from './schema.js';
import type { CardState, DfState, EfState } from './schema.js';

/**
 * Validates a card state (typically parsed JSON) and builds the card tree it describes.
 * Anything wrong is an ImageFormatError (code 'CARD_IMAGE_INVALID') whose `field` names the bad
 * field, e.g. `mf.children[1].keys[0].key`, and `kind` says what is wrong with it. Nothing is
 * repaired, defaulted or dropped silently: a field the state's version does not have is refused.
 *
 * Version 1 states are migrated (project choice, rather than refusing them): their PIN policies
 * hold the initial PIN in clear, which is sealed here into a salted verifier; the card is not
 * blocked, no application is blocked, and linear-variable EFs keep their variable record lengths.
 * exportState of the result is a version 2 state without the clear initial PIN.
 */
export function importState(input: unknown): MasterFile {
  return treeOf(checkState(input));
}

/**
 * The state as a version 2 state (version 1 migrated), or the ImageFormatError of its first
 * problem. A state deeper or larger than a card's file system (MAX_DF_DEPTH, MAX_FILES) is refused
 * before anything else is looked at.
 */
export function checkState(input: unknown): CardState {
  const tooBig = stateSizeProblem(input);
  if (tooBig !== undefined) throw new ImageFormatError(fieldPath(tooBig.keys), tooBig.message, { kind: 'tree' });
  const result = validate(cardStateSchema, input);
  if (result.ok) return result.value;
  const { keys, kind, message } = result.problem;
  throw new ImageFormatError(keys.length === 0 ? 'state' : fieldPath(keys), message, { kind });
}

/**
 * The tree of a state that checkState returned; what only the tree can refuse is an
 * ImageFormatError of kind 'tree'.
 */
export function treeOf(state: CardState): MasterFile {
  const { mf: mfState } = state;
  const mf = new MasterFile({
    atrCardBytes: fromHex(state.atrCardBytes),
    cardBlocked: state.cardBlocked,
    ...(mfState.label === undefined ? {} : { label: mfState.label }),
  });
  fillDf(mf, mfState, 'mf');
  return mf;
}

function fillDf(df: DedicatedFile, s: DfState, field: string): void {
  s.pins.forEach((pin, i) => {
    inTree(`${field}.pins[${i}]`, () =>
      df.addPin({ id: pin.id, reference: pin.reference, format: pin.format, policy: pin.policy, record: pin.record }),
    );
  });
  s.keys.forEach((key, i) => {
    inTree(`${field}.keys[${i}]`, () => df.addKey({ ...key, key: fromHex(key.key) }));
  });
  s.children.forEach((child, i) => {
    const f = `${field}.children[${i}]`;
    if (child.type === 'df') {
      const sub = inTree(f, () => df.add(newDf(child as DfState)));
      fillDf(sub, child as DfState, f);
    } else {
      inTree(f, () => df.add(newEf(child, f)));
    }
  });
}

function newDf(s: DfState): DedicatedFile {
  return new DedicatedFile({
    fid: parseInt(s.fid, 16),
    ...(s.label === undefined ? {} : { label: s.label }),
    ...(s.dfName === undefined ? {} : { dfName: fromHex(s.dfName) }),
    ...(s.cryptoAlgorithm === undefined ? {} : { cryptoAlgorithm: s.cryptoAlgorithm }),
    ...(s.fciProprietary === undefined ? {} : { fciProprietary: fromHex(s.fciProprietary) }),
    ...(s.applicationBlocked === undefined ? {} : { blocked: s.applicationBlocked }),
    ...(s.dataObjects === undefined ? {} : { dataObjects: fromHex(s.dataObjects) }),
    ...(s.processingOptions === undefined ? {} : { processingOptions: fromHex(s.processingOptions) }),
    ...(s.zeroIvReload === undefined ? {} : { zeroIvReload: s.zeroIvReload }),
  });
}

function newEf(s: EfState, field: string): ElementaryFile {
  const common = {
    fid: parseInt(s.fid, 16),
    read: s.read,
    write: s.write,
    ...(s.sfi === undefined ? {} : { sfi: s.sfi }),
    ...(s.label === undefined ? {} : { label: s.label }),
  };
  if (s.structure === 'transparent') {
    return createElementaryFile({ ...common, structure: s.structure, size: s.size, data: fromHex(s.data) });
  }
  const options = {
    ...common,
    structure: s.structure,
    recordLength: s.recordLength,
    maxRecords: s.maxRecords,
    ...(s.recordLengths === undefined ? {} : { recordLengths: s.recordLengths }),
  };
  // An empty file of this shape says which record does not fit, by its index in the state.
  const probe = createElementaryFile({ ...options, records: [] });
  const records = s.records.map((r, i) => {
    const bytes = fromHex(r);
    const problem = probe.recordProblem(bytes, i + 1);
    if (problem !== undefined) throw new ImageFormatError(`${field}.records[${i}]`, problem, { kind: 'tree' });
    return bytes;
  });
  return createElementaryFile({ ...options, records });
}

/** Runs a tree-building step, turning a CardTreeError into an ImageFormatError of kind 'tree' for `field`. */
function inTree<T>(field: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof CardTreeError) throw new ImageFormatError(field, err.message, { kind: 'tree', cause: err });
    throw err;
  }
}
