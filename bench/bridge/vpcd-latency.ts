/*
 * APDU round-trip through the real pcscd + vpcd reader to a card behind the bridge, with and
 * without the quickack route: the card connects to 127.0.0.2 (the lab's quickack /32) or to
 * 127.0.0.1 (no quickack). pyscard drives the reader and times each SCardTransmit.
 *
 *   scripts/pcsc-lab up && npx tsx bench/bridge/vpcd-latency.ts [--runs 3] [--n 500] [--n-slow 40]
 */
import { performance } from 'node:perf_hooks';
import { connectToVpcd } from '../../src/bridge/index.js';
import type { CardEndpoint } from '../../src/apdu/index.js';
import { acquireReaderSlot, pcscLab, runPyscard } from '../../test/pcsc/lab.js';
import { arg } from '../args.js';

const runs = arg('runs', 3);
const nFast = arg('n', 500);
const nSlow = arg('n-slow', 40);

/** The cheapest possible card: SELECT MF answers 9000, so the figure is transport only. */
function echoCard(): CardEndpoint {
  let powered = false;
  const atr = Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01);
  return {
    atr,
    get powered() {
      return powered;
    },
    powerOn: () => ((powered = true), atr),
    powerOff: () => {
      powered = false;
    },
    reset: () => atr,
    transmit: () => Uint8Array.of(0x90, 0x00),
  };
}

interface Run {
  medianMs: number;
  p99Ms: number;
  connectMs: number;
  attachMs: number;
}

async function measure(host: string, port: number, reader: string, n: number): Promise<Run> {
  const t0 = performance.now();
  const bridge = await connectToVpcd({ card: echoCard(), host, port });
  try {
    await bridge.waitAttached(5_000);
    const attachMs = performance.now() - t0;
    const r = await runPyscard({ reader, apdus: ['00A4000C023F00'], repeat: n }, 120_000);
    if (r.error !== undefined || r.timing === undefined) throw new Error(`pyscard: ${r.error ?? 'no timing'}`);
    return { medianMs: r.timing.medianMs, p99Ms: r.timing.p99Ms, connectMs: r.connectMs ?? NaN, attachMs };
  } finally {
    await bridge.close();
    await runPyscard({ reader, wait: 'empty', timeoutS: 3 });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const lab = pcscLab('vpcd latency bench');
  if (!lab.ready) process.exit(2);
  const slot = await acquireReaderSlot({ timeoutMs: 60_000 });
  try {
    const configs = [
      { label: `127.0.0.2 ${lab.quickack ? 'quickack route' : '(route MISSING)'}`, host: '127.0.0.2', n: nFast },
      { label: '127.0.0.1 no quickack', host: '127.0.0.1', n: nSlow },
    ];
    const results = new Map<string, Run[]>();
    for (let run = 0; run < runs; run += 1) {
      // Interleaved, so machine load drifts affect both alike.
      for (const c of configs) {
        const r = await measure(c.host, slot.port, slot.reader, c.n);
        results.set(c.label, [...(results.get(c.label) ?? []), r]);
      }
    }
    console.log(`reader ${slot.reader}, SELECT MF (9000), pyscard SCardTransmit, ${runs} runs`);
    const row = (cols: string[]): string => cols.map((c, i) => c.padEnd([30, 6, 10, 28, 9, 17][i] ?? 0)).join('');
    console.log(row(['config', 'N', 'median ms', '(per run)', 'p99 ms', 'SCardConnect ms', 'insert->attached ms']));
    const medians: number[] = [];
    for (const c of configs) {
      const rs = results.get(c.label) ?? [];
      const m = median(rs.map((r) => r.medianMs));
      medians.push(m);
      console.log(
        row([
          c.label,
          String(c.n),
          m.toFixed(3),
          rs.map((r) => r.medianMs.toFixed(3)).join(' / '),
          median(rs.map((r) => r.p99Ms)).toFixed(2),
          median(rs.map((r) => r.connectMs)).toFixed(2),
          median(rs.map((r) => r.attachMs)).toFixed(0),
        ]),
      );
    }
    const [fast, slow] = medians;
    if (fast !== undefined && slow !== undefined) {
      console.log(
        `ratio (no route / route): ${(slow / fast).toFixed(0)}x; APDU/s ${(1000 / fast).toFixed(0)} vs ${(1000 / slow).toFixed(0)}`,
      );
    }
  } finally {
    slot.release();
  }
}

await main();
