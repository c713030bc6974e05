/*
 * `npm run bench`: every speed figure of the project in one table, each with the baseline it is
 * measured against in the same run, written as JSON too (bench/results.json). docs/benchmarks.md
 * says what each figure means, what bounds it and how to read it.
 *
 *   npx tsx bench/index.ts [--quick] [--only card,sdk,image,scale,cli,pcsc] [--processes 2]
 *                          [--cards 1000,10000,100000] [--out bench/results.json]
 *
 * In-process figures come from bench/workers/in-process.ts, bundled with the sources by esbuild
 * (as the published build is) and run with plain node, `--processes` times per workload. The CLI
 * figures need the build (dist/, `npm run build`); the PC/SC ones the lab (scripts/pcsc-lab up).
 * A section that cannot run says why in the table and is left out of the JSON figures.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InProcessJob, InProcessResult, RunSample, ScalePoint } from './workers/in-process.js';
import { bundleForBench } from './bundle.js';
import { measurePcsc } from './pcsc/compare.js';
import { type Row, median, printTable } from './table.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const quick = process.argv.includes('--quick');
const sections = new Set((option('only') ?? 'card,sdk,image,scale,cli,pcsc').split(','));
const processes = Number(option('processes') ?? (quick ? 1 : 2));
const out = resolve(option('out') ?? join(ROOT, 'bench', 'results.json'));

/** Counts per workload kind: the statement's protocol (20k warm-up, 3 x 200k) unless --quick. */
const COUNTS = quick
  ? { warmup: 200, runs: 1, n: 2000, imageN: 20, flatN: 20_000, cards: [50, 100] }
  : { warmup: 20_000, runs: 3, n: 200_000, imageN: 300, flatN: 1_000_000, cards: [1000, 10_000, 100_000] };
// --cards 1000,10000: other card counts for the scale rows.
const cardsOption = option('cards');
if (cardsOption !== undefined) COUNTS.cards = cardsOption.split(',').map(Number);

function runWorker(worker: string, job: InProcessJob): InProcessResult {
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=12288', worker, JSON.stringify(job)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`bench worker ${job.workload} failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as InProcessResult;
}

/** The workload in `processes` separate processes, interleaved with the others of its group. */
function runGroup(worker: string, jobs: InProcessJob[]): Map<string, { runs: RunSample[]; extra: unknown[] }> {
  const results = new Map<string, { runs: RunSample[]; extra: unknown[] }>();
  for (let p = 0; p < processes; p++) {
    for (const job of jobs) {
      const r = runWorker(worker, job);
      const acc = results.get(job.workload) ?? { runs: [], extra: [] };
      acc.runs.push(...r.runs);
      if (r.extra !== undefined) acc.extra.push(r.extra);
      results.set(job.workload, acc);
    }
  }
  return results;
}

function rowOf(
  layer: string,
  workload: string,
  runs: RunSample[],
  baseline?: { name: string; perSecond: number },
  extra: Partial<Row> = {},
): Row {
  const perSecond = median(runs.map((r) => r.perSecond));
  return {
    layer,
    workload,
    perSecond,
    runs: runs.map((r) => Math.round(r.perSecond)),
    p50Us: median(runs.map((r) => r.p50Us)),
    p99Us: median(runs.map((r) => r.p99Us)),
    ...(baseline === undefined ? {} : { baseline: baseline.name, ratio: perSecond / baseline.perSecond }),
    ...extra,
  };
}

function cardSection(worker: string): Row[] {
  const names = ['read', 'verify-right', 'verify-wrong-right', 'error-6a88', 'error-6a82', 'select'];
  const targets: Record<string, number> = {
    read: 2e6,
    'verify-right': 1.5e6,
    'verify-wrong-right': 1.5e6,
    'error-6a88': 2.5e6,
    'error-6a82': 2.5e6,
    select: 1.5e6,
  };
  const labels: Record<string, string> = {
    read: 'READ RECORD 00B2072C00',
    'verify-right': 'VERIFY right PIN',
    'verify-wrong-right': 'VERIFY wrong + right',
    'error-6a88': 'GET DATA -> 6A88',
    'error-6a82': 'SELECT absent file -> 6A82',
    select: 'SELECT SSSE by name (FCI)',
  };
  const res = runGroup(
    worker,
    names.map((name) => ({ workload: `card:${name}`, warmup: COUNTS.warmup, runs: COUNTS.runs, n: COUNTS.n })),
  );
  return names.map((name) =>
    rowOf('card (raw)', labels[name] ?? name, res.get(`card:${name}`)?.runs ?? [], undefined, {
      target: targets[name],
    }),
  );
}

function sdkSection(worker: string): Row[] {
  const common = { warmup: COUNTS.warmup, runs: COUNTS.runs, n: COUNTS.n };
  const res = runGroup(worker, [
    { workload: 'card:read', ...common },
    { workload: 'sdk:echo', ...common },
    { workload: 'sdk:read', ...common },
  ]);
  const raw = rowOf('card (raw)', 'READ RECORD (baseline)', res.get('card:read')?.runs ?? []);
  const echo = rowOf('SDK, echo transport', 'transmit, 9000 at once (SDK floor)', res.get('sdk:echo')?.runs ?? [], {
    name: 'raw card',
    perSecond: raw.perSecond,
  });
  const sdk = rowOf(
    'SDK, MemoryTransport',
    'transmit READ RECORD',
    res.get('sdk:read')?.runs ?? [],
    { name: 'SDK floor', perSecond: echo.perSecond },
    { target: 5e5 },
  );
  const flatRes = runWorker(worker, { workload: 'sdk:flat', warmup: COUNTS.warmup, runs: 1, n: COUNTS.flatN });
  const flat = flatRes.extra as { calls: number; sliceRates: number[]; heapGrowthMb: number[]; lastToFirst: number };
  const flatRow = rowOf('SDK, MemoryTransport', `transmit x ${flat.calls} (flat?)`, flatRes.runs, undefined, {
    note: `last/first slice ${flat.lastToFirst.toFixed(2)}, heap growth ${flat.heapGrowthMb[flat.heapGrowthMb.length - 1]} MB`,
    detail: flat,
  });
  return [raw, echo, sdk, flatRow];
}

function imageSection(worker: string): Row[] {
  const res = runGroup(worker, [
    { workload: 'card:verify-right', warmup: COUNTS.warmup, runs: COUNTS.runs, n: COUNTS.n },
    { workload: 'image:verify-right', warmup: 5, runs: COUNTS.runs, n: COUNTS.imageN },
    { workload: 'image:read', warmup: 5, runs: COUNTS.runs, n: COUNTS.imageN * 10 },
  ]);
  const memory = rowOf('card (raw)', 'VERIFY right, in memory (baseline)', res.get('card:verify-right')?.runs ?? []);
  return [
    memory,
    rowOf(
      'card from image',
      'VERIFY right (2 durable writes)',
      res.get('image:verify-right')?.runs ?? [],
      { name: 'in memory', perSecond: memory.perSecond },
      {
        note: 'bounded by the durable write of each counter change (fsync)',
      },
    ),
    rowOf('card from image', 'READ RECORD (no write)', res.get('image:read')?.runs ?? [], {
      name: 'in memory',
      perSecond: memory.perSecond,
    }),
  ];
}

function scaleSection(worker: string): Row[] {
  const r = runWorker(worker, { workload: 'scale:cards', warmup: 0, runs: 1, n: 0, cards: COUNTS.cards });
  const points = (
    r.extra as {
      points: ScalePoint[];
    }
  ).points;
  const first = points[0];
  return points.map((p) => ({
    layer: 'many cards, one process',
    workload: `${p.cards} cards, personalised + VERIFY each`,
    perSecond: 1000 / p.msPerCard,
    p50Us: p.msPerCard * 1000,
    p99Us: Number.NaN,
    ...(first === undefined ? {} : { baseline: `${first.cards} cards`, ratio: first.msPerCard / p.msPerCard }),
    note: `${p.msPerCard.toFixed(3)} ms and ${p.kbPerCard.toFixed(1)} KB per card (heap ${p.heapKbPerCard.toFixed(1)} + external ${p.externalKbPerCard.toFixed(1)}; ${p.kbPerCardEarlierFormula.toFixed(1)} as earlier runs counted, array buffers twice)`,
    detail: p,
  }));
}

/**
 * `<command> --help` for every command and subcommand the CLI defines (`card --help`,
 * `card show --help`, `office blacklist export --help`, ...), read from the full program.
 */
async function everyCommandHelp(): Promise<string[]> {
  const { buildProgram } = await import('../src/cli/main.js');
  const program = await buildProgram();
  const out: string[] = [];
  const walk = (cmd: typeof program, path: string[]): void => {
    for (const sub of cmd.commands) {
      const here = [...path, sub.name()];
      out.push(`${here.join(' ')} --help`);
      walk(sub, here);
    }
  };
  walk(program, []);
  return out;
}

/**
 * Wall and CPU time of `node dist/cli/bin.js <args>`, median of several starts, next to bare
 * node's. The CPU time (user + system, read by a one-line preload at exit) is the figure that
 * survives a loaded machine: wall time there is mostly waiting for a core.
 */
async function cliSection(): Promise<Row[]> {
  const bin = join(ROOT, 'dist', 'cli', 'bin.js');
  if (!existsSync(bin))
    return [
      {
        layer: 'CLI start-up',
        workload: 'skipped',
        perSecond: Number.NaN,
        p50Us: Number.NaN,
        p99Us: Number.NaN,
        note: 'no dist/: run npm run build',
      },
    ];
  const dir = join(ROOT, '.tmp', 'bench');
  mkdirSync(dir, { recursive: true });
  const preload = join(dir, 'cpu-at-exit.cjs');
  writeFileSync(
    preload,
    "process.on('exit', () => { const c = process.cpuUsage(); process.stderr.write('\\nsscard-bench-cpu ' + (c.user + c.system) / 1000 + '\\n'); });\n",
  );
  // A small card image for the commands that do real work.
  const image = join(dir, 'cli-card.json');
  rmSync(image, { force: true });
  execFileSync(process.execPath, [bin, 'card', 'new', image], { stdio: 'ignore', cwd: ROOT });
  const starts = quick ? 1 : 7;
  // The CLI's code cache (src/cli/compile-cache.ts) in a folder of the bench's own, empty at the
  // start: a command's first start makes its cache, the starts after it use it. `cold` runs
  // without one, as every command's first run after an install or upgrade does.
  const cacheFolder = join(dir, 'compile-cache');
  rmSync(cacheFolder, { recursive: true, force: true });
  const warmEnv = { ...process.env, SSCARD_COMPILE_CACHE: cacheFolder };
  const coldEnv = { ...process.env, SSCARD_COMPILE_CACHE: 'off' };
  const time = (args: string[], env: NodeJS.ProcessEnv = warmEnv): { wall: number; cpu: number } => {
    const wall: number[] = [];
    const cpu: number[] = [];
    // With the cache, one start first that makes it (not counted).
    if (env === warmEnv) spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
    for (let i = 0; i < starts; i++) {
      const t = process.hrtime.bigint();
      const r = spawnSync(process.execPath, ['-r', preload, ...args], { cwd: ROOT, encoding: 'utf8', env });
      wall.push(Number(process.hrtime.bigint() - t) / 1e6);
      const m = /sscard-bench-cpu ([0-9.]+)/.exec(r.stderr);
      if (m !== null) cpu.push(Number(m[1]));
    }
    return { wall: median(wall), cpu: median(cpu) };
  };
  const bare = time(['-e', '0']);
  const helps = await everyCommandHelp();
  // A short APDU script (SELECT by name twice, no expectations) for `script`.
  const script = join(dir, 'cli-script.txt');
  writeFileSync(script, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF00\n00A4000C023F00\n');
  const newImage = join(dir, 'cli-new-card.json');
  // The real commands that are quick by nature: each reads or writes one small image, or stops at
  // an argument error before doing anything.
  const commands = [
    '--version',
    '--help',
    ...helps,
    `card show ${image}`,
    `apdu --card ${image} 00A404000F7378312E73682EC9E7BBE1B1A3D5CF00`,
    `card show --json ${image}`,
    `card set ${image} pin.app.tries-left 3`,
    `card new ${newImage} --force`,
    `script --card ${image} ${script}`,
    `read --card ${image}`,
    `apdu --card ${image} 00A4ZZ`,
    `sim serve --card ${image} --slot 7`,
  ];
  const rows: Row[] = [
    {
      layer: 'CLI start-up',
      workload: 'node -e 0 (baseline)',
      perSecond: Number.NaN,
      p50Us: bare.wall * 1000,
      p99Us: Number.NaN,
      note: `${bare.wall.toFixed(0)} ms wall, ${bare.cpu.toFixed(0)} ms CPU`,
      detail: { wallMs: bare.wall, cpuMs: bare.cpu },
    },
  ];
  const measured: Array<{ command: string; wall: number; cpu: number; cold?: { wall: number; cpu: number } }> = [];
  for (const c of commands) {
    const t = time([bin, ...c.split(' ')]);
    // Without the cache too, for the commands that do real work (the --help lines are all alike).
    const cold = c.endsWith('--help') && c !== '--help' ? undefined : time([bin, ...c.split(' ')], coldEnv);
    const command = `sscard ${c.replace(image, 'card.json').replace(newImage, 'new.json').replace(script, 'script.txt')}`;
    measured.push({ command, ...t, ...(cold === undefined ? {} : { cold }) });
    const coldNote =
      cold === undefined
        ? ''
        : `; without the code cache (a first run) ${cold.cpu.toFixed(0)} ms CPU, ${cold.wall.toFixed(0)} ms wall`;
    rows.push({
      layer: 'CLI start-up',
      workload: command,
      perSecond: Number.NaN,
      p50Us: t.wall * 1000,
      p99Us: Number.NaN,
      baseline: 'node -e 0',
      ratio: t.wall / bare.wall,
      note: `${t.wall.toFixed(0)} ms wall (+${(t.wall - bare.wall).toFixed(0)} over bare node), ${t.cpu.toFixed(0)} ms CPU (+${(t.cpu - bare.cpu).toFixed(0)})${coldNote}; target <= 200 ms`,
      detail: {
        wallMs: t.wall,
        cpuMs: t.cpu,
        overBareWallMs: t.wall - bare.wall,
        overBareCpuMs: t.cpu - bare.cpu,
        ...(cold === undefined ? {} : { withoutCodeCache: { wallMs: cold.wall, cpuMs: cold.cpu } }),
      },
    });
  }
  // The slowest by CPU time (the figure that survives a loaded machine), of the --help lines and of all.
  const slowest = (of: typeof measured) => of.reduce((a, b) => (b.cpu > a.cpu ? b : a));
  const withoutCache = measured.flatMap((m) => (m.cold === undefined ? [] : [{ command: m.command, ...m.cold }]));
  for (const [what, of] of [
    ['slowest --help', measured.filter((m) => m.command.endsWith('--help'))],
    ['slowest of all', measured],
    ['slowest without the code cache', withoutCache],
  ] as const) {
    const s = slowest(of);
    rows.push({
      layer: 'CLI start-up',
      workload: `${what} (of ${of.length})`,
      perSecond: Number.NaN,
      p50Us: s.wall * 1000,
      p99Us: Number.NaN,
      note: `${s.command}: ${s.cpu.toFixed(0)} ms CPU, ${s.wall.toFixed(0)} ms wall; target <= 200 ms CPU`,
      detail: { command: s.command, wallMs: s.wall, cpuMs: s.cpu },
    });
  }
  return rows;
}

const SECTIONS = ['card', 'sdk', 'image', 'scale', 'cli', 'pcsc'] as const;
type Section = (typeof SECTIONS)[number];
interface Results {
  meta: Record<string, unknown>;
  rows: (Row & { section?: Section })[];
  /** Sections carried over from earlier runs, each with the meta of the run that measured it. */
  earlier?: Partial<Record<Section, Record<string, unknown>>>;
}

// Files written before rows carried their section: the layer names which one measured them.
const SECTION_OF_LAYER: Record<string, Section> = {
  'card (raw)': 'card',
  'SDK, MemoryTransport': 'sdk',
  'SDK, echo transport': 'sdk',
  'card from image': 'image',
  'many cards, one process': 'scale',
  'CLI start-up': 'cli',
  'PC/SC (pcscd + vpcd)': 'pcsc',
};

/**
 * A run of some sections (--only) replaces those sections' rows in the results file and keeps the
 * others, with the meta of the run that measured them, so one section can be measured again
 * without losing the rest.
 */
function mergeWithEarlier(current: Results): Results {
  if (SECTIONS.every((s) => sections.has(s)) || !existsSync(out)) return current;
  let earlier: Results;
  try {
    earlier = JSON.parse(readFileSync(out, 'utf8')) as Results;
  } catch {
    return current; // not a results file: this run's figures alone
  }
  const kept = (earlier.rows ?? [])
    .map((row) => ({ ...row, section: row.section ?? SECTION_OF_LAYER[row.layer] }))
    .filter((row) => row.section !== undefined && !sections.has(row.section));
  const earlierMeta: Results['earlier'] = {};
  for (const row of kept) {
    const section = row.section as Section;
    earlierMeta[section] = earlier.earlier?.[section] ?? earlier.meta;
  }
  const rows = SECTIONS.flatMap((s) => [...current.rows, ...kept].filter((row) => row.section === s));
  return { meta: current.meta, rows, earlier: earlierMeta };
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const loadBefore = loadavg();
  const rows: Row[] = [];
  const needsWorker = ['card', 'sdk', 'image', 'scale'].some((s) => sections.has(s));
  const worker = needsWorker
    ? await bundleForBench('bench/workers/in-process.ts', 'in-process', { target: 'node20', packages: 'external' })
    : '';
  const add = (section: Section, of: Row[]): void => {
    rows.push(...of.map((row) => ({ ...row, section })));
  };
  if (sections.has('card')) add('card', cardSection(worker));
  if (sections.has('sdk')) add('sdk', sdkSection(worker));
  if (sections.has('image')) add('image', imageSection(worker));
  if (sections.has('scale')) add('scale', scaleSection(worker));
  if (sections.has('cli')) add('cli', await cliSection());
  if (sections.has('pcsc')) add('pcsc', await measurePcsc({ quick }));
  const loadAfter = loadavg();
  const meta = {
    started,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavgBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
    loadavgAfter: loadAfter.map((l) => Math.round(l * 100) / 100),
    quick,
    processes,
    counts: COUNTS,
  };
  printTable(rows, meta);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(mergeWithEarlier({ meta, rows }), null, 2)}\n`);
  console.log(`\nwritten: ${out}`);
}

await main();
