/**
 * Imports the *built* package the way a user's project does: by its name, through the
 * package.json "exports" map, once as ESM and once as CommonJS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT as root, ensureBuilt } from './ensure-built.js';

const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
  exports: Record<string, unknown>;
};
const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json' && !k.endsWith('.json'));

beforeAll(ensureBuilt, 300_000);

function specifier(subpath: string): string {
  return subpath === '.' ? 'sscard' : `sscard/${subpath.slice(2)}`;
}

/** Runs a snippet in a fresh Node process inside the package, so self-reference by name works. */
function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

/** Runs node with `args` and a module hook that writes down every file it loads: its output and those files' URLs. */
const bin = join(root, 'dist', 'cli', 'bin.js');

/** Runs `body` with a card image made by the built `sscard card new` in a temporary folder. */
function withNewImage(body: (image: string, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sscard-image-'));
  try {
    const image = join(dir, 'card.json');
    runNode([bin, 'card', 'new', image]);
    body(image, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runLogged(args: string[]): { out: string; loaded: string[]; required: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sscard-loads-'));
  try {
    const log = join(dir, 'loaded.txt');
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
       export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});`,
    );
    // NODE_DEBUG: the CLI's chunks (compiled by its own loader, which the hook does not see) and
    // every file Node's require loads.
    const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_DEBUG: 'sscard,module' },
    });
    expect(run.status).toBe(0);
    const chunks = [...run.stderr.matchAll(/^SSCARD \d+: load (\S+) /gm)].map((m) => pathToFileURL(m[1]!).href);
    const loaded = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .filter((url) => url.startsWith('file:'));
    const required = [...run.stderr.matchAll(/^MODULE \d+: load "([^"]+)"/gm)].map((m) => m[1]!);
    return { out: run.stdout, loaded: [...loaded, ...chunks], required };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('built package', () => {
  it('exposes an export for every area', () => {
    expect(subpaths).toEqual(expect.arrayContaining(['.', './apdu', './pin']));
  });

  it.each(subpaths)('imports %s as ESM', (subpath) => {
    const out = runNode([
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(specifier(subpath))}); console.log(JSON.stringify(Object.keys(m).sort()));`,
    ]);
    const names = JSON.parse(out) as string[];
    expect(names.length).toBeGreaterThan(0);
  });

  it.each(subpaths)('requires %s as CommonJS', (subpath) => {
    const out = runNode([
      '-e',
      `const m = require(${JSON.stringify(specifier(subpath))}); console.log(JSON.stringify(Object.keys(m).sort()));`,
    ]);
    const names = JSON.parse(out) as string[];
    expect(names.length).toBeGreaterThan(0);
  });

  it('ESM and CJS builds behave the same on real input', () => {
    const snippet = (load: string) =>
      `${load}; const c = m.decodeCommand(m.fromHex('00A404000F7378312E73682EC9E7BBE1B1A3D5CF')); console.log(c.ins, c.p1, m.toHex(c.data), m.describe(0x63c2));`;
    const esm = runNode(['--input-type=module', '-e', snippet(`const m = await import('sscard/apdu')`)]);
    const cjs = runNode(['-e', snippet(`const m = require('sscard/apdu')`)]);
    expect(esm).toBe(cjs);
    expect(esm).toContain('164 4 7378312E73682EC9E7BBE1B1A3D5CF');
  });

  it('require and import give the same module: one implementation, no second copy of a class', () => {
    const out = runNode([
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const specs = ${JSON.stringify(subpaths.map(specifier))};
       const same = [];
       for (const s of specs) {
         const esm = await import(s);
         const cjs = require(s);
         same.push(Object.keys(esm).length > 0 && Object.keys(esm).every((k) => esm[k] === cjs[k]));
       }
       console.log(JSON.stringify(same));`,
    ]);
    expect(JSON.parse(out)).toEqual(subpaths.map(() => true));
  });

  it('sscard --version loads only the executable and the version module', () => {
    const { out, loaded } = runLogged([bin, '--version']);
    expect(out).toBe(`${(pkg as unknown as { version: string }).version}\n`);
    expect(loaded.some((url) => url.endsWith('/dist/cli/bin.js'))).toBe(true);
    // bin.js, the version reader's chunk and the bundler's helpers: no CLI, SDK, card OS or commander.
    expect(loaded.filter((url) => url.includes('node_modules') || url.includes('/dist/cli/lib/'))).toEqual([]);
    const bytes = loaded.reduce((sum, url) => sum + statSync(fileURLToPath(url)).size, 0);
    expect(bytes).toBeLessThan(8 * 1024);
  });

  it('sscard --help and card show load no package from node_modules (commander and picocolors are bundled)', () => {
    withNewImage((image) => {
      for (const args of [['--help'], ['card', 'show', image]]) {
        const { out, loaded, required } = runLogged([bin, ...args]);
        expect(out).not.toBe('');
        expect(loaded.some((url) => url.endsWith('/dist/cli/lib/sscard.cjs'))).toBe(true);
        expect(loaded.filter((url) => url.includes('/node_modules/'))).toEqual([]);
        // Through require (unseen by the hook): the record layouts' buffer-layout, never the CLI's own packages.
        expect(required.filter((path) => /\/node_modules\/(commander|picocolors)\//.test(path))).toEqual([]);
      }
    });
  });

  it('every chunk of the CLI loads, and each of its exports has a value (as an importer reads it)', () => {
    const lib = join(root, 'dist', 'cli', 'lib');
    const loader = readdirSync(join(root, 'dist')).find((f) => /^compile-cache-.*\.js$/.test(f));
    expect(loader).toBeDefined();
    const out = runNode([
      '--input-type=module',
      '-e',
      `const { loadChunksWithCache } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', loader!)).href)});
       const { readdirSync } = await import('node:fs');
       const report = {};
       for (const f of readdirSync(${JSON.stringify(lib)}).filter((f) => f.endsWith('.cjs'))) {
         const exports = loadChunksWithCache(${JSON.stringify(lib)} + '/' + f, 'check', undefined);
         report[f] = Object.entries(exports).filter(([, v]) => v === undefined).map(([k]) => k);
       }
       console.log(JSON.stringify(report));`,
    ]);
    const report = JSON.parse(out) as Record<string, string[]>;
    expect(Object.keys(report).length).toBeGreaterThan(20);
    expect(Object.entries(report).filter(([, missing]) => missing.length > 0)).toEqual([]);
  });

  it('a command run again takes every chunk it loads from the code cache, and prints the same', () => {
    withNewImage((image, dir) => {
      const env = { ...process.env, SSCARD_COMPILE_CACHE: join(dir, 'cache'), NODE_DEBUG: 'sscard' };
      // The command's help first: it runs none of `read`, and its cache is its own.
      expect(spawnSync(process.execPath, [bin, 'read', '--help'], { encoding: 'utf8', env }).status).toBe(0);
      const runs = [1, 2].map(() =>
        spawnSync(process.execPath, [bin, 'read', '--card', image], { encoding: 'utf8', env }),
      );
      const verdicts = runs.map((r) => [...r.stderr.matchAll(/\(code cache: ([^)]+)\)/g)].map((m) => m[1]));
      expect(runs.map((r) => r.status)).toEqual([0, 0]);
      expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
      expect(runs[0]!.stdout).toContain('cardholder (SSSE/EF06)');
      expect(verdicts[0]!.length).toBeGreaterThan(5);
      expect(new Set(verdicts[0])).toEqual(new Set(['made at exit']));
      expect(verdicts[1]).toEqual(verdicts[0]!.map(() => 'used'));
    });
  });

  it('a command that imports an optional package (the embedded registry) works from the code cache too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sscard-cached-import-'));
    try {
      const env = { ...process.env, SSCARD_COMPILE_CACHE: join(dir, 'cache'), NODE_DEBUG: 'sscard' };
      const args = [bin, 'office', 'history', 'A10500031', '--db', `file:${join(dir, 'registry')}`];
      const runs = [1, 2].map(() => spawnSync(process.execPath, args, { encoding: 'utf8', env }));
      expect(runs.map((r) => r.status)).toEqual([0, 0]);
      expect(runs.map((r) => r.stdout.trim())).toEqual([
        'no history for card A10500031',
        'no history for card A10500031',
      ]);
      expect(runs[1]!.stderr).toContain('(code cache: used)');
      expect(runs.map((r) => r.stderr.replace(/^SSCARD .*\n/gm, ''))).toEqual(['', '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('card show --json, read and card new load neither an area barrel, the PC/SC code nor the registry', () => {
    withNewImage((image, dir) => {
      // The modules a chunk holds, by the source comments esbuild leaves in unminified output.
      const sources = (args: string[]): string[] =>
        runLogged([bin, ...args])
          .loaded.filter((url) => url.includes('/dist/'))
          .flatMap((url) => readFileSync(fileURLToPath(url), 'utf8').match(/^\/\/!? src\/\S+/gm) ?? [])
          // The CLI's CommonJS chunks keep them as legal comments (`//! src/…`).
          .map((line) => line.replace(/^\/\/! /, '// '));
      const show = sources(['card', 'show', '--json', image]);
      expect(show).toContain('// src/cli/card-report.ts');
      expect(show.filter((m) => m.startsWith('// src/terminal/'))).toEqual([]);
      // Nor the card and its command handlers: it sends no command.
      expect(show.filter((m) => m === '// src/card-sim/card.ts' || m.startsWith('// src/card-sim/os/'))).toEqual([]);
      const read = sources(['read', '--card', image]);
      expect(read).toContain('// src/terminal/ssc-card.ts');
      const heavy = /^\/\/ src\/(terminal\/index\.ts|terminal\/pcsc\/|office\/index\.ts|card-sim\/index\.ts)/;
      const made = sources(['card', 'new', join(dir, 'other.json')]);
      expect(made).toContain('// src/card-sim/profiles/personalization.ts');
      expect([...show, ...read, ...made].filter((m) => heavy.test(m))).toEqual([]);
    });
  });

  it('ships type declarations for both module systems', () => {
    const req = createRequire(import.meta.url);
    for (const subpath of subpaths) {
      const entry = pkg.exports[subpath] as { import: { types: string }; require: { types: string } };
      expect(() => req.resolve(`${root}/${entry.import.types}`)).not.toThrow();
      expect(() => req.resolve(`${root}/${entry.require.types}`)).not.toThrow();
    }
  });
});
