/*
 * APDU throughput and latency of the terminal SDK's transports: SELECT (SSSE by name, FCI back) and
 * READ RECORD (EF05 card number) sent with `transport.transmit` one after the other, through
 *   - SmartcardTransport -> pcscd -> vpcd -> `sscard sim serve` (a separate process),
 *   - PcscliteTransport  -> the same,
 *   - MemoryTransport    -> the simulated card in this process (the baseline).
 * A SmartcardTransport with the binding's default 258-byte receive buffer shows what the
 * 65538-byte extended-length buffer costs. Runs are interleaved so load drifts hit all alike.
 *
 *   scripts/pcsc-lab up && npx tsx bench/pcsc/throughput.ts [--runs 3] [--n 2000]
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fromHex } from '../../src/apdu/index.js';
import { buildSscCard, samplePerson, saveCardImage } from '../../src/card-sim/index.js';
import { MemoryTransport, type Transport, PcscliteTransport, SmartcardTransport } from '../../src/terminal/index.js';
import { CARD_HOST, acquireReaderSlot, pcscLab } from '../../test/pcsc/lab.js';
import { removeTempDirs, spawnCli, stopChild, tempDir, waitReader } from '../../test/terminal/pcsc/rig.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const runs = arg('runs', 3);
const n = arg('n', 2000);
const WARMUP = 100;

const APDUS = {
  SELECT: fromHex('00A404000F7378312E73682EC9E7BBE1B1A3D5CF00'),
  'READ RECORD': fromHex('00B2072C00'),
} as const;
type ApduName = keyof typeof APDUS;

interface Sample {
  perSecond: number;
  medianMs: number;
  p99Ms: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function measure(transport: Transport, apdu: Uint8Array): Promise<Sample> {
  for (let i = 0; i < WARMUP; i++) await transport.transmit(apdu);
  const times = new Float64Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await transport.transmit(apdu);
    times[i] = performance.now() - t;
    if (r[r.length - 2] !== 0x90) throw new Error(`unexpected answer ${Buffer.from(r).toString('hex')}`);
  }
  const total = performance.now() - start;
  times.sort();
  return { perSecond: (n * 1000) / total, medianMs: times[Math.floor(n / 2)] ?? Number.NaN, p99Ms: times[Math.floor(n * 0.99)] ?? Number.NaN };
}

async function main(): Promise<void> {
  const lab = pcscLab('PC/SC throughput bench');
  if (!lab.ready) process.exit(2);
  if (!lab.quickack) console.log('warning: no quickack route for 127.0.0.2: every PC/SC APDU pays ~44 ms (scripts/pcsc-lab up adds it)');
  const slot = await acquireReaderSlot({ timeoutMs: 120_000 });
  const image = path.join(tempDir('bench'), 'card.json');
  saveCardImage(image, buildSscCard(samplePerson('zhang-wei'), { transmission: 'T=1' }));
  const served = spawnCli(['sim', 'serve', '--card', image, '--vpcd', `${CARD_HOST}:${slot.port}`]);
  try {
    await served.waitFor(/card inserted/);
    await waitReader(slot.reader, true);
    const transports: Array<{ label: string; open: () => Promise<Transport> }> = [
      { label: 'memory (baseline)', open: async () => new MemoryTransport(buildSscCard(samplePerson('zhang-wei'), { transmission: 'T=1' })) },
      { label: 'SmartcardTransport', open: () => SmartcardTransport.connect({ reader: slot.reader, closeDisposition: 'leave' }) },
      { label: 'SmartcardTransport, 258-byte buffer', open: () => SmartcardTransport.connect({ reader: slot.reader, closeDisposition: 'leave', maxRecvLength: 258 }) },
      { label: 'PcscliteTransport', open: () => PcscliteTransport.connect({ reader: slot.reader, closeDisposition: 'leave' }) },
    ];
    const results = new Map<string, Sample[]>();
    for (let run = 0; run < runs; run++) {
      for (const t of transports) {
        const transport = await t.open();
        try {
          for (const name of Object.keys(APDUS) as ApduName[]) {
            const key = `${t.label}|${name}`;
            results.set(key, [...(results.get(key) ?? []), await measure(transport, APDUS[name])]);
          }
        } finally {
          await transport.close();
        }
      }
    }
    console.log(`${runs} runs x ${n} APDUs each (after ${WARMUP} warm-up), reader '${slot.reader}', card served by \`sscard sim serve\` (T=1)`);
    const widths = [38, 13, 25, 10, 11, 9, 10];
    const row = (cols: string[]): string => cols.map((c, i) => c.padEnd(widths[i] ?? 0)).join('');
    console.log(row(['transport', 'APDU', 'APDU/s per run', 'APDU/s', 'median ms', 'p99 ms', 'x memory']));
    for (const name of Object.keys(APDUS) as ApduName[]) {
      const base = median((results.get(`${transports[0]?.label}|${name}`) ?? []).map((s) => s.medianMs));
      for (const t of transports) {
        const samples = results.get(`${t.label}|${name}`) ?? [];
        const latency = median(samples.map((s) => s.medianMs));
        console.log(
          row([
            t.label,
            name,
            samples.map((s) => s.perSecond.toFixed(0)).join(' / '),
            median(samples.map((s) => s.perSecond)).toFixed(0),
            latency.toFixed(4),
            median(samples.map((s) => s.p99Ms)).toFixed(3),
            `${(latency / base).toFixed(1)}x`,
          ]),
        );
      }
    }
    console.log('x memory: median latency / median latency of the in-memory transport for the same APDU');
  } finally {
    await stopChild(served, 'SIGTERM');
    slot.release();
    removeTempDirs();
  }
}

await main();
