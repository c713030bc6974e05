import { AtrParseError } from './errors.js';

/**
 * Which protocols the ATR offers:
 * - 'T=1': T=1 only (the default SSC-like ATR);
 * - 'T=0': T=0 only (no TCK, as ISO 7816-3 wants when only T=0 is offered);
 * - 'T=0+T=1': T=0 first (the default protocol) and T=1 too, so a TCK is present.
 */
export type AtrVariant = 'T=1' | 'T=0' | 'T=0+T=1';

export const ATR_VARIANTS: readonly AtrVariant[] = ['T=1', 'T=0', 'T=0+T=1'];

/**
 * Historical bytes before the card issuer's data (project choice, no public SSC ATR exists):
 * `80` compact-TLV category; `31 C0` card service data (application selection by full and
 * partial DF name); `62 53 43` pre-issuing data "SC"; `58` card issuer's data, 8 bytes (the
 * card-specific part, which terminals use as a key diversification input; see buildAtr).
 */
const HISTORICAL_PREFIX = [0x80, 0x31, 0xc0, 0x62, 0x53, 0x43, 0x58];

/**
 * Interface bytes per variant. TA1 = 13 (Fi 372, Di 4). For T=1: TA3 = FE (IFSC 254),
 * TB3 = 45 (BWI 4, CWI 5).
 */
const INTERFACE: Readonly<Record<AtrVariant, { y1: number; bytes: number[] }>> = {
  // TA1, TD1 = 81 (T=1, TD2 follows), TD2 = 31 (TA3, TB3 follow, T=1), TA3, TB3
  'T=1': { y1: 0x9, bytes: [0x13, 0x81, 0x31, 0xfe, 0x45] },
  // TA1 only: no TD1 means T=0.
  'T=0': { y1: 0x1, bytes: [0x13] },
  // TA1, TD1 = 80 (T=0, TD2 follows), TD2 = 31 (T=1, TA3, TB3), TA3, TB3
  'T=0+T=1': { y1: 0x9, bytes: [0x13, 0x80, 0x31, 0xfe, 0x45] },
};

/**
 * The card's ATR: `3B`, T0, interface bytes, 15 historical bytes, TCK when T=1 is offered; its
 * last 8 bytes, as a reader returns them, are `cardBytes`, on every variant.
 *
 * Project choice (card profile §6, §7: terminals feed the ATR's last 8 bytes, TCK included, into
 * key diversification): with T=0 only there is no TCK and the historical bytes end with the 8
 * card bytes. When T=1 is offered the TCK is the last byte, so the historical bytes end with the
 * first 7 card bytes and the TCK is the 8th: one balancing byte before them, at the start of the
 * card issuer's data object `58`, is chosen so that the XOR of T0 .. TCK is 0 with TCK = the 8th
 * card byte. The ATR stays valid (parseAtr checks the TCK) and `atr.slice(-8)` is the card bytes.
 */
export function buildAtr(variant: AtrVariant, cardBytes: Uint8Array): Uint8Array {
  const layout = INTERFACE[variant];
  if (layout === undefined) throw new AtrParseError(`unknown ATR variant ${String(variant)}`);
  if (!(cardBytes instanceof Uint8Array) || cardBytes.length !== 8) {
    throw new AtrParseError('the card-specific part of the ATR must be exactly 8 bytes');
  }
  const withTck = variant !== 'T=0';
  const card = Array.from(cardBytes);
  const historical = withTck ? [...HISTORICAL_PREFIX, 0x00, ...card.slice(0, 7)] : [...HISTORICAL_PREFIX, ...card];
  const t0 = (layout.y1 << 4) | historical.length;
  const body = [t0, ...layout.bytes, ...historical];
  if (!withTck) return Uint8Array.from([0x3b, ...body]);
  const tck = card[7] as number;
  // The balancing byte: the XOR of the body (with it still 00) and the wanted TCK.
  body[body.length - 8] = body.reduce((x, b) => x ^ b, 0) ^ tck;
  return Uint8Array.from([0x3b, ...body, tck]);
}

/** One group of interface bytes (TAi, TBi, TCi, TDi) as present in the ATR. */
export interface AtrInterfaceGroup {
  ta?: number;
  tb?: number;
  tc?: number;
  td?: number;
}

export interface ParsedAtr {
  /** 0x3B direct convention, 0x3F inverse convention. */
  ts: number;
  t0: number;
  groups: AtrInterfaceGroup[];
  /** Protocols offered (from TD1, TD2, ...; [0] when there is no TD1), in order, without duplicates. */
  protocols: number[];
  historical: Uint8Array;
  /** Present when any protocol other than T=0 is offered. */
  tck?: number;
  /**
   * The last 8 ATR bytes as a reader returns them, the TCK included when there is one: the part
   * terminals use for key diversification (on sscard's ATRs, the card bytes; see buildAtr).
   */
  cardSpecific: Uint8Array;
}

/**
 * Parses and validates an ATR per ISO 7816-3: TS, the interface-byte chain, the number of
 * historical bytes announced in T0, and the TCK (present exactly when a protocol other than T=0
 * is offered; the XOR of T0 .. TCK must be 0). Any problem is an AtrParseError saying which.
 */
export function parseAtr(atr: Uint8Array): ParsedAtr {
  if (!(atr instanceof Uint8Array)) throw new AtrParseError('ATR must be a Uint8Array');
  if (atr.length < 2) throw new AtrParseError(`ATR shorter than 2 bytes (got ${atr.length})`);
  if (atr.length > 33) throw new AtrParseError(`ATR longer than 33 bytes (got ${atr.length})`);
  const ts = atr[0] as number;
  if (ts !== 0x3b && ts !== 0x3f) throw new AtrParseError(`TS must be 3B or 3F, got ${hex2(ts)}`);
  const t0 = atr[1] as number;
  const k = t0 & 0x0f;
  const groups: AtrInterfaceGroup[] = [];
  const protocols: number[] = [];
  let y = t0 >> 4;
  let i = 2;
  const take = (what: string): number => {
    const b = atr[i];
    if (b === undefined) throw new AtrParseError(`ATR ends before ${what}`);
    i += 1;
    return b;
  };
  for (let n = 1; ; n++) {
    const g: AtrInterfaceGroup = {};
    if (y & 0x1) g.ta = take(`TA${n}`);
    if (y & 0x2) g.tb = take(`TB${n}`);
    if (y & 0x4) g.tc = take(`TC${n}`);
    if (y & 0x8) g.td = take(`TD${n}`);
    groups.push(g);
    if (g.td === undefined) break;
    const proto = g.td & 0x0f;
    if (!protocols.includes(proto)) protocols.push(proto);
    y = g.td >> 4;
  }
  if (protocols.length === 0) protocols.push(0);
  const histEnd = i + k;
  if (atr.length < histEnd) {
    throw new AtrParseError(`T0 announces ${k} historical bytes but only ${atr.length - i} bytes follow`);
  }
  const historical = atr.slice(i, histEnd);
  const needsTck = protocols.some((p) => p !== 0);
  let tck: number | undefined;
  if (needsTck) {
    if (atr.length !== histEnd + 1) {
      throw new AtrParseError(
        atr.length === histEnd
          ? 'TCK missing (required when T=1 is offered)'
          : `${atr.length - histEnd - 1} bytes after the TCK`,
      );
    }
    tck = atr[histEnd] as number;
    let x = 0;
    for (let j = 1; j < atr.length; j++) x ^= atr[j] as number;
    if (x !== 0) {
      let expected = 0;
      for (let j = 1; j < histEnd; j++) expected ^= atr[j] as number;
      throw new AtrParseError(`TCK ${hex2(tck)} is wrong, expected ${hex2(expected)}`);
    }
  } else if (atr.length !== histEnd) {
    throw new AtrParseError(`${atr.length - histEnd} unexpected bytes after the historical bytes (T=0 only: no TCK)`);
  }
  const result: ParsedAtr = {
    ts,
    t0,
    groups,
    protocols,
    historical,
    cardSpecific: atr.slice(Math.max(0, atr.length - 8)),
  };
  if (tck !== undefined) result.tck = tck;
  return result;
}

/** Problems with an ATR as a list of messages; empty when it is valid. */
export function validateAtr(atr: Uint8Array): string[] {
  try {
    parseAtr(atr);
    return [];
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
}

function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}
