import { SW, bytesEqual, concatBytes, encodeBerTlv } from '../../../apdu/index.js';
import type { ElementaryFile } from '../../fs/elementary-files.js';
import type { DedicatedFile, FileNode } from '../../fs/nodes.js';
import { MF_FID } from '../../fs/nodes.js';
import { CardContext } from '../context.js';
import type { CardCommand, HandlerResult } from '../context.js';

/** Value of `86` inside `9F0C 03 86 01 xx`: the SSSE's crypto algorithm (01 3DES, 03 SM4). */
const ALGORITHM_CODE = { '3des': 0x01, sm4: 0x03 } as const;

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

/** File descriptor `82`: DF 38; EF 01 transparent, 02 linear fixed, 04 linear variable, 06 cyclic. */
function descriptor(node: FileNode): Uint8Array {
  if (node.kind === 'df') return Uint8Array.of(0x38);
  switch (node.structure) {
    case 'transparent':
      return Uint8Array.of(0x01);
    case 'linear-fixed':
    case 'linear-variable':
    case 'cyclic': {
      const code = node.structure === 'linear-fixed' ? 0x02 : node.structure === 'linear-variable' ? 0x04 : 0x06;
      // descriptor, data coding byte 21, maximum record size (2 bytes), number of records (1 byte)
      return Uint8Array.of(code, 0x21, 0x00, node.recordLength ?? 0, node.maxRecords ?? 0);
    }
  }
}

/** Contents of a control-parameter template (used by FCP `62` and, for EFs, FCI `6F`). */
function controlParameters(node: FileNode): Uint8Array[] {
  const parts = [encodeBerTlv(0x82, descriptor(node)), encodeBerTlv(0x83, u16(node.fid))];
  if (node.kind === 'df') {
    if (node.dfName !== undefined) parts.push(encodeBerTlv(0x84, node.dfName));
  } else {
    const size =
      node.structure === 'transparent' ? (node.size ?? 0) : (node.recordLength ?? 0) * (node.maxRecords ?? 0);
    parts.push(encodeBerTlv(0x80, u16(size)));
    if (node.sfi !== undefined) parts.push(encodeBerTlv(0x88, Uint8Array.of(node.sfi << 3)));
  }
  // Life cycle status: operational, activated.
  parts.push(encodeBerTlv(0x8a, Uint8Array.of(0x05)));
  return parts;
}

/** FCP template `62 { 82, 83, [84], [80, 88], 8A }`. */
export function buildFcp(node: FileNode): Uint8Array {
  return encodeBerTlv(0x62, concatBytes(...controlParameters(node)));
}

/**
 * FCI template. A DF: `6F { 84 name | 83 fid, [A5 { [9F0C 03 86 01 xx] fciProprietary }] }`, the
 * SSSE answering e.g. `6F 1A 84 0F <name> A5 07 9F0C 03 86 01 01`. An EF: its control parameters.
 */
export function buildFci(node: FileNode): Uint8Array {
  if (node.kind === 'ef') return encodeBerTlv(0x6f, concatBytes(...controlParameters(node)));
  const parts: Uint8Array[] = [
    node.dfName !== undefined ? encodeBerTlv(0x84, node.dfName) : encodeBerTlv(0x83, u16(node.fid)),
  ];
  const proprietary: Uint8Array[] = [];
  if (node.cryptoAlgorithm !== undefined) {
    proprietary.push(encodeBerTlv(0x9f0c, encodeBerTlv(0x86, Uint8Array.of(ALGORITHM_CODE[node.cryptoAlgorithm]))));
  }
  if (node.fciProprietary !== undefined) proprietary.push(node.fciProprietary);
  if (proprietary.length > 0) parts.push(encodeBerTlv(0xa5, concatBytes(...proprietary)));
  return encodeBerTlv(0x6f, concatBytes(...parts));
}

function fidOf(data: Uint8Array, offset = 0): number {
  return ((data[offset] as number) << 8) | (data[offset + 1] as number);
}

/*
 * The lookups answer undefined for "not found" (6A82), and the handler answers its refusals as
 * values: SELECT of an absent file is a common probe, and a thrown status word costs more than the
 * whole command (see processApdu).
 */

/** Select by FID (P1=00): MF, a child of the current DF, the current DF, its parent, or a sibling. */
function byFid(ctx: CardContext, fid: number): FileNode | undefined {
  if (fid === MF_FID) return ctx.tree;
  const df = ctx.currentDf;
  const parent = df.parent;
  return (
    df.child(fid) ??
    (df.fid === fid ? df : undefined) ??
    (parent !== undefined && parent.fid === fid ? parent : undefined) ??
    parent?.child(fid)
  );
}

/** The node at a path (the data has been checked to be whole FIDs). */
function byPath(start: DedicatedFile, data: Uint8Array): FileNode | undefined {
  let node: FileNode = start;
  for (let off = 0; off < data.length; off += 2) {
    const fid = fidOf(data, off);
    // A path from the MF may repeat the MF's own identifier first.
    if (off === 0 && node === start && start.parent === undefined && fid === MF_FID) continue;
    if (node.kind !== 'df') return undefined;
    const next: FileNode | undefined = node.child(fid);
    if (next === undefined) return undefined;
    node = next;
  }
  return node;
}

function byDfName(ctx: CardContext, name: Uint8Array): DedicatedFile | undefined {
  const exact = ctx.tree.findByDfName(name);
  if (exact !== undefined) return exact;
  // Partial DF name: the first application whose name starts with the given bytes.
  for (const n of ctx.tree.walk()) {
    if (
      n.kind === 'df' &&
      n.dfName !== undefined &&
      n.dfName.length > name.length &&
      bytesEqual(n.dfName.subarray(0, name.length), name)
    ) {
      return n;
    }
  }
  return undefined;
}

/** A path is a non-empty sequence of 2-byte FIDs. */
function isPath(data: Uint8Array): boolean {
  return data.length >= 2 && data.length % 2 === 0;
}

/** Refusals SELECT answers from several places. */
const WRONG_LENGTH: HandlerResult = Object.freeze({ sw: SW.WRONG_LENGTH });
const NOT_FOUND: HandlerResult = Object.freeze({ sw: SW.FILE_NOT_FOUND });

/**
 * SELECT `00 A4 P1 P2`: P1 00 by FID (3F00 = MF; no data = MF), 01 child DF, 02 EF of the current
 * DF, 03 parent DF, 04 by DF name (full, or first partial match), 08 path from the MF, 09 path from
 * the current DF. P2 (ISO 7816-4 b4-b3) 00 returns the FCI, 04 the FCP, 0C nothing. A failed
 * selection changes nothing.
 *
 * An EF answers a bare 9000 unless the command asks for its FCI / FCP explicitly with an Le
 * field (case 4, P2 00 or 04): `00 A4 00 00 02 EF05` and `00 A4 02 00 02 EF06` (case 3) get 9000
 * with no data on T=1 and on T=0 alike (no 61xx), as real SSC cards answer; reader programs check
 * SW1 = 90 there, and some take whatever data comes back as the next field (card profile §7). A
 * DF or an application keeps its FCI: with Le on both protocols, and without Le as 61xx on T=0
 * (for GET RESPONSE) or nothing on T=1 (case 3, see processor format).
 *
 * Project choice (blocked applications, see handlers/lifecycle): selecting a temporarily blocked
 * application, or any file in it, answers 6A81 without FCI but does make it current (so that GET
 * CHALLENGE + APPLICATION UNBLOCK can follow); a permanently blocked one answers 9303 the same way.
 */
export function selectFile(ctx: CardContext, cmd: CardCommand): HandlerResult {
  const { p1, p2, data } = cmd;
  if (p2 !== 0x00 && p2 !== 0x04 && p2 !== 0x0c) return { sw: SW.INCORRECT_P1P2 }; // unsupported P2
  let target: FileNode | undefined;
  switch (p1) {
    case 0x00:
      if (data.length === 0) target = ctx.tree;
      else if (data.length !== 2) return WRONG_LENGTH;
      else target = byFid(ctx, fidOf(data));
      break;
    case 0x01: {
      if (data.length !== 2) return WRONG_LENGTH;
      const c = ctx.currentDf.child(fidOf(data));
      target = c !== undefined && c.kind === 'df' ? c : undefined;
      break;
    }
    case 0x02: {
      if (data.length !== 2) return WRONG_LENGTH;
      const c = ctx.currentDf.child(fidOf(data));
      target = c !== undefined && c.kind === 'ef' ? c : undefined;
      break;
    }
    case 0x03:
      if (data.length !== 0) return WRONG_LENGTH; // select parent takes no data
      target = ctx.currentDf.parent;
      break;
    case 0x04:
      if (data.length < 1 || data.length > 16) return WRONG_LENGTH; // a DF name is 1..16 bytes
      target = byDfName(ctx, data);
      break;
    case 0x08:
    case 0x09:
      if (!isPath(data)) return WRONG_LENGTH;
      target = byPath(p1 === 0x08 ? ctx.tree : ctx.currentDf, data);
      break;
    default:
      return { sw: SW.INCORRECT_P1P2 }; // unsupported selection method
  }
  if (target === undefined) return NOT_FOUND;
  const df = target.kind === 'df' ? target : (target.parent ?? ctx.tree);
  if (target.kind === 'df') ctx.select(target);
  else ctx.select(df, target as ElementaryFile);
  const blocked = CardContext.applicationOf(df)?.blocked;
  if (blocked === 'temporary') return { sw: SW.FUNCTION_NOT_SUPPORTED }; // application blocked
  if (blocked === 'permanent') return { sw: SW.APP_PERMANENTLY_BLOCKED };
  if (p2 === 0x0c) return {};
  if (target.kind === 'ef' && cmd.ne === undefined) return {};
  return { data: p2 === 0x04 ? cached(fcpOf, target, buildFcp) : cached(fciOf, target, buildFci) };
}

/*
 * A node's FCI and FCP are built from what is fixed when the tree is made (FID, DF name, structure,
 * sizes, SFI), so each is built once per node. The processor copies response data into the answer,
 * so the cached bytes never leave the card.
 */
const fciOf = new WeakMap<FileNode, Uint8Array>();
const fcpOf = new WeakMap<FileNode, Uint8Array>();

function cached(
  cache: WeakMap<FileNode, Uint8Array>,
  node: FileNode,
  build: (node: FileNode) => Uint8Array,
): Uint8Array {
  let bytes = cache.get(node);
  if (bytes === undefined) {
    bytes = build(node);
    cache.set(node, bytes);
  }
  return bytes;
}
