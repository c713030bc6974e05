/* The bench's one table: rows of every section, printed and written as JSON (bench/index.ts). */

export interface Row {
  /** What is measured: the raw card, the SDK over a transport, a card from an image, ... */
  layer: string;
  workload: string;
  /** Median APDU/s (or cards/s for the scale rows); NaN where a rate means nothing. */
  perSecond: number;
  /** Per-run rates the median is taken over. */
  runs?: number[];
  p50Us: number;
  p99Us: number;
  /** The figure of the same run this row is compared with, and this row's rate / that rate. */
  baseline?: string;
  ratio?: number;
  /** The statement's target for this row, in APDU/s. */
  target?: number;
  note?: string;
  detail?: unknown;
}

export function median(values: number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function rate(n: number): string {
  if (Number.isNaN(n)) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

function us(n: number): string {
  if (Number.isNaN(n)) return '-';
  if (n >= 1000) return `${(n / 1000).toFixed(2)} ms`;
  return `${n.toFixed(2)} us`;
}

export function printTable(
  rows: Row[],
  meta: { loadavgBefore: number[]; loadavgAfter: number[]; node: string; cpus: number },
): void {
  console.log(
    `sscard bench: node ${meta.node}, ${meta.cpus} CPUs, load average ${meta.loadavgBefore.join(' / ')} before, ` +
      `${meta.loadavgAfter.join(' / ')} after (1 / 5 / 15 min)\n`,
  );
  const header = ['layer', 'workload', 'APDU/s', 'p50', 'p99', 'vs baseline', 'target', 'note'];
  const cells = rows.map((r) => [
    r.layer,
    r.workload,
    rate(r.perSecond),
    us(r.p50Us),
    us(r.p99Us),
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x ${r.baseline ?? ''}`,
    r.target === undefined
      ? ''
      : `${rate(r.target)}${Number.isNaN(r.perSecond) ? '' : r.perSecond >= r.target ? ' met' : ' NOT met'}`,
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string =>
    c
      .map((x, i) => x.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const c of cells) console.log(line(c));
}
