import { toHex } from '../apdu/index.js';
import { describeAccess, inspectSscTree, sscSpecOf } from '../card-sim/index.js';
import type { DedicatedFile, ElementaryFile, FileNode, SimulatedCard } from '../card-sim/index.js';
import { decodeRecords, dfNameText, healthBasicsOf, recordDecoders } from './decode.js';
import type { DecodedRecord } from './decode.js';

/*
 * What the page shows of a card at one moment, as JSON: the file tree with every record (raw hex
 * and decoded), the PINs and keys with their counters, the security state, and the card's power.
 * Read straight from the tree: no APDU, no access condition, nothing the card would count. A PIN
 * shows its counters and whether it is still the initial one; its value is never in the tree.
 */

export interface PinView {
  id: string;
  reference: string;
  triesLeft: number;
  tryLimit: number;
  blocked: boolean;
  initial: boolean;
  verified: boolean;
}

export interface KeyView {
  id: string;
  usage: string;
  algorithm: string;
  triesLeft: number;
  tryLimit: number;
  blocked: boolean;
  authenticated: boolean;
}

export interface EfView {
  kind: 'ef';
  /** 'SSSE/DF02/EF07' style: labels, else FIDs. */
  path: string;
  fid: string;
  label: string;
  sfi: number | null;
  structure: string;
  read: string;
  write: string;
  /** Transparent files: their bytes (hex). */
  data?: string;
  /** Record files: each record (hex), and the capacity. */
  records?: string[];
  maxRecords?: number;
  /** Decoded records (record 0: the file decoded as a whole). */
  decoded?: DecodedRecord[];
}

export interface DfView {
  kind: 'df';
  path: string;
  fid: string;
  label: string;
  /** The DF name as text (SSSE: sx1.sh.社会保障), or hex. */
  name: string | null;
  application: 'usable' | 'temporary' | 'permanent' | null;
  current: boolean;
  pins: PinView[];
  keys: KeyView[];
  children: Array<DfView | EfView>;
}

export interface CardView {
  label: string;
  powered: boolean;
  /** Whether the card is in its reader (null when the inspector has no reader to ask). */
  present: boolean | null;
  transmission: string;
  atr: string;
  spec: string | null;
  cardBlocked: boolean;
  holder: string | null;
  cardNumber: string | null;
  security: {
    currentDf: string;
    currentEf: string | null;
    application: string | null;
    verifiedPins: string[];
    authenticatedKeys: string[];
  };
  tree: DfView;
  problems: string[];
}

function fidText(fid: number): string {
  return fid.toString(16).toUpperCase().padStart(4, '0');
}

function nodeLabel(node: FileNode): string {
  return node.label ?? (node.kind === 'df' && node.parent === undefined ? 'MF' : fidText(node.fid));
}

/** Where a node sits, as the page names it: labels from the MF down, e.g. MF/SSSE/DF02/EF07. */
export function pathOf(node: FileNode): string {
  const parts: string[] = [];
  for (let n: FileNode | undefined = node; n !== undefined; n = n.parent) parts.unshift(nodeLabel(n));
  return parts.join('/');
}

function keyHex(id: number): string {
  return toHex(Uint8Array.of(id & 0xff));
}

/** The view of `card` now; `present` says whether its reader holds it (null: no reader). */
export function cardView(card: SimulatedCard, label: string, present: boolean | null): CardView {
  const tree = card.tree;
  const security = card.securityState();
  const decoders = recordDecoders(tree);
  const basics = healthBasicsOf(tree);
  const currentPath = security.currentPath.join('/');
  const authenticated = new Set(security.authenticatedKeys);
  // A key counts as authenticated where the card would look it up: on the current DF or above it.
  const onCurrentPath = (df: DedicatedFile) => df.path().every((fid, i) => security.currentPath[i] === fid);

  const efView = (ef: ElementaryFile): EfView => {
    const view: EfView = {
      kind: 'ef',
      path: pathOf(ef),
      fid: fidText(ef.fid),
      label: nodeLabel(ef),
      sfi: ef.sfi ?? null,
      structure: ef.structure,
      read: describeAccess(ef.read),
      write: describeAccess(ef.write),
    };
    if (ef.isRecordFile) {
      view.records = ef.records().map((r) => toHex(r));
      const max = (ef as { maxRecords?: number }).maxRecords;
      if (max !== undefined) view.maxRecords = max;
      const decode = decoders.get(ef);
      if (decode !== undefined) view.decoded = decodeRecords(ef, decode);
      if (basics !== undefined && basics.file === ef) view.decoded = [basics.fields];
    } else {
      view.data = toHex(ef.asTransparentFile().data);
    }
    return view;
  };

  const dfView = (df: DedicatedFile): DfView => ({
    kind: 'df',
    path: pathOf(df),
    fid: fidText(df.fid),
    label: nodeLabel(df),
    name: df.dfName === undefined ? null : (dfNameText(df.dfName) ?? toHex(df.dfName)),
    application: df.isApplication ? (df.blocked ?? 'usable') : null,
    current: df.path().join('/') === currentPath,
    pins: df.pins.map((p) => {
      const s = p.pin.status();
      return {
        id: p.id,
        reference: keyHex(p.reference),
        triesLeft: s.triesLeft,
        tryLimit: s.tryLimit,
        blocked: s.blocked,
        initial: s.initial,
        verified: s.verified,
      };
    }),
    keys: df.keys.map((k) => ({
      id: keyHex(k.id),
      usage: k.usage,
      algorithm: k.algorithm,
      triesLeft: k.triesLeft,
      tryLimit: k.tryLimit,
      blocked: k.blocked,
      authenticated: authenticated.has(k.id) && onCurrentPath(df),
    })),
    children: df.children.map((c) => (c.kind === 'df' ? dfView(c) : efView(c))),
  });

  const report = inspectSscTree(tree);
  const currentDf = tree.nodeAt(security.currentPath);
  const currentEf =
    security.currentEf === undefined || currentDf?.kind !== 'df' ? undefined : currentDf.child(security.currentEf);
  return {
    label,
    powered: card.powered,
    present,
    transmission: card.transmission,
    atr: toHex(card.atr, { spaces: true }),
    spec: sscSpecOf(tree),
    cardBlocked: tree.cardBlocked,
    holder: report.holder.fullName ?? null,
    cardNumber: report.issuer.cardNumber ?? null,
    security: {
      currentDf: currentDf === undefined ? currentPath : pathOf(currentDf),
      currentEf: currentEf === undefined ? null : nodeLabel(currentEf),
      application: security.application ?? null,
      verifiedPins: security.verifiedPins,
      authenticatedKeys: security.authenticatedKeys.map(keyHex),
    },
    tree: dfView(tree),
    problems: report.problems,
  };
}
