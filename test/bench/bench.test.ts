import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The bench itself, with a small count: it runs and writes its JSON. Nothing here judges a
// timing (CI does not gate on them; docs/benchmarks.md is where the figures are read).
const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'sscard-bench-test-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `npm run bench` quick on the sections `only`, writing to `file` in the temporary folder;
 * expects a clean exit and returns its standard output and the JSON it wrote.
 */
function runBench<T>(only: string, file: string, timeout: number): { stdout: string; written: T } {
  const out = join(dir, file);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'index.ts'), '--quick', '--only', only, '--out', out],
    { cwd: ROOT, encoding: 'utf8', timeout },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { stdout: r.stdout, written: JSON.parse(readFileSync(out, 'utf8')) as T };
}

describe('npm run bench', () => {
  it('runs the in-process sections and writes one row per workload to its JSON', () => {
    const { stdout, written } = runBench<{
      meta: { loadavgBefore: number[]; quick: boolean };
      rows: Array<{ layer: string; workload: string; perSecond: number; ratio?: number }>;
    }>('card,sdk,image,scale', 'results.json', 240_000);
    expect(written.meta.quick).toBe(true);
    expect(written.meta.loadavgBefore).toHaveLength(3);
    const layers = new Set(written.rows.map((row) => row.layer));
    expect([...layers]).toEqual(
      expect.arrayContaining([
        'card (raw)',
        'SDK, MemoryTransport',
        'SDK, echo transport',
        'card from image',
        'many cards, one process',
      ]),
    );
    for (const row of written.rows) expect(row.perSecond, `${row.layer} ${row.workload}`).toBeGreaterThan(0);
    expect(written.rows.find((row) => row.workload === 'transmit READ RECORD')?.ratio).toBeGreaterThan(0);
    // The table went to stdout too.
    expect(stdout).toContain('GET DATA -> 6A88');
  }, 300_000);

  it('times the CLI: the --help of every command, two real commands and the slowest (or says it needs the build)', () => {
    // An earlier full run in the file: --only cli replaces its CLI rows and keeps its card rows.
    const earlierMeta = { started: '2026-01-01T00:00:00.000Z', quick: false };
    const earlierRows = [
      { layer: 'card (raw)', workload: 'earlier card row', perSecond: 1, p50Us: 1, p99Us: 1 },
      { layer: 'CLI start-up', workload: 'earlier CLI row', perSecond: 1, p50Us: 1, p99Us: 1 },
    ];
    writeFileSync(join(dir, 'cli.json'), JSON.stringify({ meta: earlierMeta, rows: earlierRows }));
    const { written } = runBench<{
      meta: { quick: boolean };
      earlier?: Record<string, unknown>;
      rows: Array<{ layer: string; section?: string; workload: string; note?: string; detail?: { cpuMs?: number } }>;
    }>('cli', 'cli.json', 600_000);
    expect(written.meta.quick).toBe(true);
    expect(written.rows[0]).toMatchObject({ section: 'card', workload: 'earlier card row' });
    expect(written.earlier).toEqual({ card: earlierMeta });
    const workloads = written.rows.filter((row) => row.section === 'cli').map((row) => row.workload);
    expect(workloads).not.toContain('earlier CLI row');
    if (!existsSync(join(ROOT, 'dist', 'cli', 'bin.js'))) {
      expect(workloads).toEqual(['skipped']);
      return;
    }
    expect(workloads).toEqual(
      expect.arrayContaining([
        'node -e 0 (baseline)',
        'sscard --version',
        'sscard --help',
        'sscard card show --help',
        'sscard office blacklist export --help',
        'sscard window reset-pin --help',
        'sscard card show card.json',
      ]),
    );
    const slowest = written.rows.find((row) => row.workload.startsWith('slowest --help'));
    expect(slowest?.note).toMatch(/^sscard .* --help: \d+ ms CPU/);
    for (const row of written.rows.filter((x) => x.workload.startsWith('sscard')))
      expect(row.detail?.cpuMs, row.workload).toBeGreaterThan(0);
  }, 660_000);
});
