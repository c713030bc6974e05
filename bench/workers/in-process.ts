/*
 * One process of the in-process benches: the card OS, the SDK, a card opened from an image and
 * many cards in one process. bench/index.ts bundles this file with the sources (esbuild, as the
 * published build is made, so the figures are those of the code users run) and starts it with
 * plain `node`, once per process asked for, with the job as JSON in argv[2]; it prints one JSON
 * result on stdout.
 *
 * Protocol for the APDU workloads: `warmup` calls, then `runs` runs of `n` calls each, in a tight
 * loop (synchronous for the card, one await per call for the SDK). Latency is sampled per batch of
 * calls (one clock read per batch, so the clock does not weigh on a 0.3 us command): p50 and p99
 * are those of the per-call time within each batch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fromHex } from '../../src/apdu/index.js';
import {
  buildSscCard,
  buildSscCardFrom,
  closeCardImage,
  openCardImage,
  samplePerson,
  saveCardImage,
  validatePersonalization,
  type SimulatedCard,
} from '../../src/card-sim/index.js';
import { CardChannel, MemoryTransport } from '../../src/terminal/index.js';

export interface InProcessJob {
  workload: string;
  warmup: number;
  runs: number;
  n: number;
  /** Card counts for the 'scale' workload. */
  cards?: number[];
}

export interface RunSample {
  perSecond: number;
  p50Us: number;
  p99Us: number;
}

export interface InProcessResult {
  workload: string;
  runs: RunSample[];
  /** Workload-specific figures (the SDK's flatness, the scale points). */
  extra?: Record<string, unknown>;
}

const SELECT_SSSE = fromHex('00A404000F7378312E73682EC9E7BBE1B1A3D5CF00');
const APDUS: Record<string, Uint8Array[]> = {
  read: [fromHex('00B2072C00')],
  'verify-right': [fromHex('0020000003123456')],
  // A wrong try then the right one: the counter is spent and restored, the PIN never blocks.
  'verify-wrong-right': [fromHex('0020000003111111'), fromHex('0020000003123456')],
  'error-6a88': [fromHex('00CA000000')],
  'error-6a82': [fromHex('00A40000023F0100')],
  select: [SELECT_SSSE],
};

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

function freshCard(): SimulatedCard {
  return buildSscCard(samplePerson('zhang-wei'), { powered: true });
}

function expectSw(answer: Uint8Array, what: string): void {
  const sw = ((answer[answer.length - 2] ?? 0) << 8) | (answer[answer.length - 1] ?? 0);
  const fine =
    sw === 0x9000 || (what.includes('error') && sw >> 8 === 0x6a) || (what.includes('wrong') && sw >> 8 === 0x63);
  if (!fine) throw new Error(`${what}: unexpected status word ${sw.toString(16)}`);
}

/**
 * `job.runs` runs of `job.n` calls in batches of `batch`: `timeRun` makes one run's calls, writing
 * each batch's per-call time (us) into `per`. A synchronous `timeRun` keeps its loop free of awaits.
 */
async function measure(
  job: InProcessJob,
  batch: number,
  timeRun: (per: Float64Array) => void | Promise<void>,
): Promise<RunSample[]> {
  const out: RunSample[] = [];
  for (let r = 0; r < job.runs; r++) {
    const per = new Float64Array(Math.max(1, Math.floor(job.n / batch)));
    const start = performance.now();
    await timeRun(per);
    const total = performance.now() - start;
    per.sort();
    out.push({ perSecond: (per.length * batch * 1000) / total, p50Us: quantile(per, 0.5), p99Us: quantile(per, 0.99) });
  }
  return out;
}

/** Synchronous loop over `send`; `batch` calls per clock read. */
function measureSync(
  send: (apdu: Uint8Array) => Uint8Array,
  apdus: Uint8Array[],
  job: InProcessJob,
  batch: number,
): Promise<RunSample[]> {
  for (const a of apdus) expectSw(send(a), job.workload);
  const k = apdus.length;
  for (let i = 0; i < job.warmup; i += k) for (const a of apdus) send(a);
  return measure(job, batch, (per) => {
    for (let b = 0; b < per.length; b++) {
      const t = performance.now();
      for (let i = 0; i < batch; i += k) for (const a of apdus) send(a);
      per[b] = ((performance.now() - t) * 1000) / batch;
    }
  });
}

/** The same loop with one await per call. */
async function measureAsync(
  send: (apdu: Uint8Array) => Promise<unknown>,
  apdus: Uint8Array[],
  job: InProcessJob,
  batch: number,
): Promise<RunSample[]> {
  const k = apdus.length;
  for (let i = 0; i < job.warmup; i += k) for (const a of apdus) await send(a);
  return measure(job, batch, async (per) => {
    for (let b = 0; b < per.length; b++) {
      const t = performance.now();
      for (let i = 0; i < batch; i += k) for (const a of apdus) await send(a);
      per[b] = ((performance.now() - t) * 1000) / batch;
    }
  });
}

function apdusOf(name: string): Uint8Array[] {
  const apdus = APDUS[name];
  if (apdus === undefined) throw new Error(`unknown APDU workload ${name}`);
  return apdus;
}

async function sdk(job: InProcessJob, kind: 'read' | 'echo'): Promise<InProcessResult> {
  const transport =
    kind === 'read'
      ? new MemoryTransport(freshCard())
      : new MemoryTransport(() => Uint8Array.of(0x90, 0x00), { atr: Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01) });
  const channel = new CardChannel(transport);
  await channel.transmit(SELECT_SSSE);
  const runs = await measureAsync((a) => channel.transmit(a), apdusOf('read'), job, 1000);
  await channel.close();
  return { workload: job.workload, runs };
}

/** The SDK over `n` calls in ten slices: the rate of each slice and the heap after each. */
async function sdkFlat(job: InProcessJob): Promise<InProcessResult> {
  const channel = new CardChannel(new MemoryTransport(freshCard()));
  await channel.transmit(SELECT_SSSE);
  const read = apdusOf('read')[0] as Uint8Array;
  for (let i = 0; i < job.warmup; i++) await channel.transmit(read);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapStart = process.memoryUsage().heapUsed;
  const slice = Math.max(1, Math.floor(job.n / 10));
  const rates: number[] = [];
  const heapMb: number[] = [];
  for (let s = 0; s < 10; s++) {
    const t = performance.now();
    for (let i = 0; i < slice; i++) await channel.transmit(read);
    rates.push((slice * 1000) / (performance.now() - t));
    gc?.();
    heapMb.push(Math.round(((process.memoryUsage().heapUsed - heapStart) / 1048576) * 100) / 100);
  }
  await channel.close();
  const sorted = Float64Array.from(rates).sort();
  return {
    workload: job.workload,
    runs: [
      { perSecond: quantile(sorted, 0.5), p50Us: 1e6 / quantile(sorted, 0.5), p99Us: 1e6 / (sorted[0] ?? Number.NaN) },
    ],
    extra: {
      calls: slice * 10,
      sliceRates: rates.map(Math.round),
      heapGrowthMb: heapMb,
      lastToFirst: (rates[9] ?? 0) / (rates[0] ?? 1),
    },
  };
}

/** VERIFY on a card opened from an image: every try written (and fsync'd) before the answer. */
async function image(job: InProcessJob, workload: string): Promise<InProcessResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sscard-bench-'));
  try {
    const path = join(dir, 'card.json');
    saveCardImage(path, freshCard());
    const card = openCardImage(path, { powered: true });
    try {
      card.transmit(SELECT_SSSE);
      return { workload: job.workload, runs: await measureSync((a) => card.transmit(a), apdusOf(workload), job, 1) };
    } finally {
      closeCardImage(card);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One card count of the scale workload: time and memory per card. */
export interface ScalePoint {
  cards: number;
  msPerCard: number;
  kbPerCard: number;
  heapKbPerCard: number;
  externalKbPerCard: number;
  /** Heap + external + array buffers, as runs before the fourth counted (the buffers twice). */
  kbPerCardEarlierFormula: number;
}

/**
 * Personalised cards held in one process, a PIN verified on each: time and memory per card. The
 * cards are made from one document, checked once (as a caller making many cards from one document
 * does with buildSscCardFrom); each card is still personalised in full (its tree, records, keys
 * and PINs of its own).
 */
function scale(job: InProcessJob): InProcessResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  const verify = apdusOf('verify-right')[0] as Uint8Array;
  const document = validatePersonalization(samplePerson('zhang-wei'));
  const points: ScalePoint[] = [];
  for (const count of job.cards ?? [1000]) {
    gc?.();
    const before = process.memoryUsage();
    const held: SimulatedCard[] = [];
    const t = performance.now();
    for (let i = 0; i < count; i++) {
      const card = buildSscCardFrom(document, { powered: true });
      card.transmit(SELECT_SSSE);
      expectSw(card.transmit(verify), 'verify');
      held.push(card);
    }
    const ms = performance.now() - t;
    gc?.();
    const after = process.memoryUsage();
    // `external` already includes `arrayBuffers` (Node's docs): counted once. Runs before this
    // change added arrayBuffers again, counting the cards' buffers twice (kbPerCardEarlierFormula).
    const heap = after.heapUsed - before.heapUsed;
    const external = after.external - before.external;
    const kb = (bytes: number): number => bytes / 1024 / count;
    points.push({
      cards: count,
      msPerCard: ms / count,
      kbPerCard: kb(heap + external),
      heapKbPerCard: kb(heap),
      externalKbPerCard: kb(external),
      kbPerCardEarlierFormula: kb(heap + external + after.arrayBuffers - before.arrayBuffers),
    });
    held.length = 0;
  }
  const last = points[points.length - 1];
  return {
    workload: job.workload,
    runs: [
      {
        perSecond: last === undefined ? Number.NaN : 1000 / last.msPerCard,
        p50Us: (last?.msPerCard ?? Number.NaN) * 1000,
        p99Us: Number.NaN,
      },
    ],
    extra: { points },
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as InProcessJob;
  const [layer, name] = job.workload.split(':') as [string, string];
  let result: InProcessResult;
  if (layer === 'card') {
    const card = freshCard();
    card.transmit(SELECT_SSSE);
    result = { workload: job.workload, runs: await measureSync((a) => card.transmit(a), apdusOf(name), job, 1000) };
  } else if (layer === 'sdk') {
    result = name === 'flat' ? await sdkFlat(job) : await sdk(job, name === 'echo' ? 'echo' : 'read');
  } else if (layer === 'image') {
    result = await image(job, name);
  } else if (layer === 'scale') {
    result = scale(job);
  } else {
    throw new Error(`unknown workload ${job.workload}`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
