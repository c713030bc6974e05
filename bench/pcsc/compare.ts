/*
 * The PC/SC rows of `npm run bench`: one vpcd reader of the lab (pcscd + vpcd, quickack route),
 * three cards in it one after the other, two clients, interleaved rounds so load drifts hit all:
 *   cards   echo     a minimal card speaking the vpcd protocol in its own process (echo-card.ts),
 *                    answering 9000 at once (the floor: the reader stack with no card work at all)
 *           sscard   `sscard sim serve` serving a personalised card (a separate process, the build)
 *           vicc     Debian's vsmartcard-vpicc `vicc -t iso7816` (with the packaging fix of the lab
 *                    notes), the stock Python card
 *   clients pyscard  (SCardTransmit from Python, the reference client)
 *           SDK      SmartcardTransport.transmit
 * Every client sends SELECT MF `00 A4 00 0C 02 3F 00` (9000 on all three cards, no FCI: vicc
 * cannot build one). Rates are 1 / median round trip. Every card runs in a process of its own, and
 * the order of the cards turns from round to round, so none is always measured first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fromHex } from '../../src/apdu/index.js';
import { buildSscCard, samplePerson, saveCardImage } from '../../src/card-sim/index.js';
import { SmartcardTransport } from '../../src/terminal/index.js';
import { CARD_HOST, REPO_ROOT, SYSTEM_PYTHON, acquireReaderSlot, pcscLab, runPyscard } from '../../test/pcsc/lab.js';
import { removeTempDirs, tempDir, waitReader } from '../../test/terminal/pcsc/rig.js';
import { bundleForBench } from '../bundle.js';
import { type Row, median } from '../table.js';

const SELECT_MF = '00A4000C023F00';

interface Inserted {
  remove(): Promise<void>;
}

function waitExit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Starts a card process and waits for its "card inserted" line. */
async function insertProcess(what: string, args: string[]): Promise<Inserted> {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not insert its card:\n${out}`)), 20_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/card inserted/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`${what} exited:\n${out}`)));
  });
  return { remove: () => waitExit(child, 'SIGTERM') };
}

function insertSscard(port: number, image: string): Promise<Inserted> {
  // The build when there is one (what users run), else the sources through tsx.
  const bin = join(REPO_ROOT, 'dist', 'cli', 'bin.js');
  const args = existsSync(bin) ? [bin] : ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'bin.ts')];
  return insertProcess('sim serve', [...args, 'sim', 'serve', '--card', image, '--vpcd', `${CARD_HOST}:${port}`]);
}

async function insertVicc(port: number): Promise<Inserted | undefined> {
  if (!existsSync('/usr/bin/vicc')) return undefined;
  const shim = tempDir('pyshim');
  symlinkSync('/usr/lib/python3/dist-packages/Cryptodome', join(shim, 'Crypto'));
  const child = spawn(SYSTEM_PYTHON, ['/usr/bin/vicc', '-t', 'iso7816', '-H', CARD_HOST, '-P', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, PYTHONPATH: `/usr/lib/python3/site-packages/virtualsmartcard:${shim}` },
  });
  return { remove: () => waitExit(child, 'SIGTERM') };
}

async function pyscardRate(reader: string, n: number): Promise<{ perSecond: number; p50Us: number; p99Us: number }> {
  const r = await runPyscard({ reader, apdus: [SELECT_MF], repeat: n, timeoutS: 10 }, 300_000);
  if (r.error !== undefined || r.timing === undefined) throw new Error(`pyscard: ${r.error ?? 'no timing'}`);
  return { perSecond: 1000 / r.timing.medianMs, p50Us: r.timing.medianMs * 1000, p99Us: r.timing.p99Ms * 1000 };
}

async function sdkRate(reader: string, n: number): Promise<{ perSecond: number; p50Us: number; p99Us: number }> {
  const transport = await SmartcardTransport.connect({ reader, closeDisposition: 'leave' });
  try {
    const apdu = fromHex(SELECT_MF);
    for (let i = 0; i < 50; i++) await transport.transmit(apdu);
    const times = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const r = await transport.transmit(apdu);
      times[i] = performance.now() - t;
      if (r[r.length - 2] !== 0x90) throw new Error('SELECT MF failed');
    }
    times.sort();
    const p50 = times[n >> 1] ?? Number.NaN;
    return { perSecond: 1000 / p50, p50Us: p50 * 1000, p99Us: (times[Math.floor(n * 0.99)] ?? Number.NaN) * 1000 };
  } finally {
    await transport.close();
  }
}

export async function measurePcsc(opts: { quick: boolean }): Promise<Row[]> {
  const layer = 'PC/SC (pcscd + vpcd)';
  const lab = pcscLab('PC/SC bench');
  if (!lab.ready)
    return [
      {
        layer,
        workload: 'skipped',
        perSecond: Number.NaN,
        p50Us: Number.NaN,
        p99Us: Number.NaN,
        note: 'lab not up: bash scripts/pcsc-lab up',
      },
    ];
  const rounds = opts.quick ? 1 : 5;
  const n = opts.quick ? 200 : 2000;
  const echo = await bundleForBench('bench/pcsc/echo-card.ts', 'echo-card');
  const slot = await acquireReaderSlot({ timeoutMs: 120_000 });
  const image = join(tempDir('bench-pcsc'), 'card.json');
  saveCardImage(image, buildSscCard(samplePerson('zhang-wei'), { transmission: 'T=1' }));
  const samples = new Map<string, Array<{ perSecond: number; p50Us: number; p99Us: number }>>();
  const add = (key: string, s: { perSecond: number; p50Us: number; p99Us: number }): void => {
    samples.set(key, [...(samples.get(key) ?? []), s]);
  };
  try {
    for (let round = 0; round < rounds; round++) {
      const cards: Array<{ name: string; insert: () => Promise<Inserted | undefined> }> = [
        { name: 'echo', insert: () => insertProcess('echo card', [echo, CARD_HOST, String(slot.port)]) },
        { name: 'sscard', insert: () => insertSscard(slot.port, image) },
        { name: 'vicc', insert: () => insertVicc(slot.port) },
      ];
      const turned = [...cards.slice(round % cards.length), ...cards.slice(0, round % cards.length)];
      for (const card of turned) {
        const inserted = await card.insert();
        if (inserted === undefined) continue;
        try {
          await waitReader(slot.reader, true, 10_000);
          add(`${card.name}|pyscard`, await pyscardRate(slot.reader, n));
          if (card.name !== 'vicc') add(`${card.name}|SDK`, await sdkRate(slot.reader, n));
        } finally {
          await inserted.remove();
          await waitReader(slot.reader, false, 10_000).catch(() => undefined);
        }
      }
    }
  } finally {
    slot.release();
    removeTempDirs();
  }
  const row = (
    card: string,
    client: string,
    label: string,
    base?: { key: string; name: string },
    extra: Partial<Row> = {},
  ): Row => {
    const s = samples.get(`${card}|${client}`) ?? [];
    const perSecond = median(s.map((x) => x.perSecond));
    const b = base === undefined ? undefined : median((samples.get(base.key) ?? []).map((x) => x.perSecond));
    return {
      layer,
      workload: label,
      perSecond,
      runs: s.map((x) => Math.round(x.perSecond)),
      p50Us: median(s.map((x) => x.p50Us)),
      p99Us: median(s.map((x) => x.p99Us)),
      ...(b === undefined ? {} : { baseline: base?.name, ratio: perSecond / b }),
      ...extra,
    };
  };
  // Per-round ratios too: the absolute rates swing with machine load, the ratio within a round less.
  const perRound = (a: string, b: string): number[] => {
    const x = samples.get(a) ?? [];
    const y = samples.get(b) ?? [];
    return x.map((s, i) => s.perSecond / (y[i]?.perSecond ?? Number.NaN)).filter((r) => !Number.isNaN(r));
  };
  const ratios = (a: string, b: string): string =>
    `per round ${perRound(a, b)
      .map((r) => r.toFixed(2))
      .join(' / ')}`;
  return [
    row('echo', 'pyscard', 'pyscard -> echo card (floor)'),
    row(
      'echo',
      'SDK',
      'SDK SmartcardTransport -> echo card',
      { key: 'echo|pyscard', name: 'pyscard' },
      { note: `target >= 0.9x pyscard; ${ratios('echo|SDK', 'echo|pyscard')}` },
    ),
    row(
      'sscard',
      'pyscard',
      'pyscard -> sscard sim serve',
      { key: 'echo|pyscard', name: 'echo card' },
      { note: `target >= 0.95x echo; ${ratios('sscard|pyscard', 'echo|pyscard')}` },
    ),
    row(
      'vicc',
      'pyscard',
      'pyscard -> vicc -t iso7816',
      { key: 'echo|pyscard', name: 'echo card' },
      { note: `sscard/vicc ${ratios('sscard|pyscard', 'vicc|pyscard')}` },
    ),
    row('sscard', 'SDK', 'SDK SmartcardTransport -> sscard sim serve', { key: 'sscard|pyscard', name: 'pyscard' }),
  ];
}
