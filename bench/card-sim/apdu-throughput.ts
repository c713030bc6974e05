/*
 * What a simulated APDU costs, layer by layer, measured in one run:
 *   raw      SimulatedCard.transmit, no persistence (the baseline)
 *   channel  the same card through MemoryTransport + CardChannel (T=0 handling, queue, timeout,
 *            response parsing): the SDK's own overhead
 *   image    the card opened from an image file: every durable change (a PIN try, a record
 *            write) is written to a temp file, fsync'd and renamed before the card answers
 *
 *   npx tsx bench/card-sim/apdu-throughput.ts [--runs 5] [--n 2000]
 *
 * Prints the median per-APDU time of each run set, APDU/s and the ratio to the baseline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fromHex } from '../../src/apdu/index.js';
import { buildSscCard, closeCardImage, openCardImage, samplePerson, saveCardImage } from '../../src/card-sim/index.js';
import type { SimulatedCard } from '../../src/card-sim/index.js';
import { CardChannel, MemoryTransport } from '../../src/terminal/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const runs = arg('runs', 5);
const n = arg('n', 2000);

const SELECT_SSSE = fromHex('00A404000F7378312E73682EC9E7BBE1B1A3D5CF');
const READ_CARD_NUMBER = fromHex('00B2072C00');
const VERIFY_WRONG = fromHex('0020000003111111');
const VERIFY_RIGHT = fromHex('0020000003123456');

interface Workload {
  name: string;
  /** APDUs sent per iteration, after SELECT SSSE. */
  apdus: Uint8Array[];
}

const workloads: Workload[] = [
  { name: 'READ RECORD (no durable change)', apdus: [READ_CARD_NUMBER] },
  // A wrong try then the right one: two durable changes per pair (spend, restore), never blocks.
  { name: 'VERIFY wrong + right (durable)', apdus: [VERIFY_WRONG, VERIFY_RIGHT] },
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function freshCard(): SimulatedCard {
  return buildSscCard(samplePerson('zhang-wei'), { powered: true });
}

/** Median microseconds per APDU over one run of n iterations. */
async function runOnce(layer: string, w: Workload, dir: string): Promise<number> {
  let send: (apdu: Uint8Array) => Promise<unknown> | unknown;
  let done: () => Promise<void> | void = () => {};
  if (layer === 'raw') {
    const card = freshCard();
    send = (a) => card.transmit(a);
  } else if (layer === 'channel') {
    const card = freshCard();
    const channel = new CardChannel(new MemoryTransport(card));
    send = (a) => channel.transmit(a);
    done = () => channel.close();
  } else {
    const path = join(dir, `card-${Math.random().toString(16).slice(2)}.json`);
    saveCardImage(path, freshCard());
    const card = openCardImage(path, { powered: true });
    send = (a) => card.transmit(a);
    done = () => closeCardImage(card);
  }
  await send(SELECT_SSSE);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    for (const apdu of w.apdus) await send(apdu);
    times.push(((performance.now() - t0) * 1000) / w.apdus.length);
  }
  await done();
  return median(times);
}

const dir = mkdtempSync(join(tmpdir(), 'sscard-bench-'));
try {
  console.log(`sscard APDU cost by layer: ${runs} runs x ${n} iterations, median us per APDU\n`);
  for (const w of workloads) {
    console.log(w.name);
    let baseline = NaN;
    for (const layer of ['raw', 'channel', 'image']) {
      // The image layer does real fsyncs: fewer iterations keep the run short.
      const medians: number[] = [];
      for (let r = 0; r < runs; r++) medians.push(await runOnce(layer, w, dir));
      const m = median(medians);
      if (layer === 'raw') baseline = m;
      const perSecond = Math.round(1e6 / m);
      console.log(
        `  ${layer.padEnd(8)} median ${m.toFixed(1).padStart(8)} us  (runs ${medians.map((x) => x.toFixed(1)).join(' / ')})  ` +
          `${String(perSecond).padStart(7)} APDU/s  x${(m / baseline).toFixed(2)} vs raw`,
      );
    }
    console.log('');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
