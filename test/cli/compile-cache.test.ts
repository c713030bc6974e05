import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileCacheFolder, compileCacheName } from '../../src/cli/compile-cache.js';
import { tempDirPerTest } from '../support/temp-dir.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const LOADER = pathToFileURL(join(ROOT, 'src/cli/compile-cache.ts')).href;

describe('compileCacheName', () => {
  it.each([
    [['read', '--card', 'c.json'], 'read'],
    [['card', 'show', 'c.json'], 'card-show'],
    [['card', 'new', 'x.json', '--force'], 'card-new'],
    [['office', 'loss', 'report'], 'office-loss'],
    [['--help'], 'help-sscard'],
    [['read', '--help'], 'help-read'],
    [['card', 'show', '-h'], 'help-card-show'],
    [['help', 'card'], 'help-help-card'],
    [[], 'sscard'],
    [['../etc/passwd'], 'sscard'],
    [['Read'], 'sscard'],
  ])('%j -> %s', (args, name) => {
    expect(compileCacheName(args)).toBe(name);
  });
});

describe('compileCacheFolder', () => {
  const dir = tempDirPerTest('sscard-cache-folder-');

  it('is off when SSCARD_COMPILE_CACHE or NODE_DISABLE_COMPILE_CACHE says so', () => {
    expect(compileCacheFolder({ SSCARD_COMPILE_CACHE: 'off' })).toBeUndefined();
    expect(compileCacheFolder({ SSCARD_COMPILE_CACHE: '0' })).toBeUndefined();
    expect(compileCacheFolder({ NODE_DISABLE_COMPILE_CACHE: '1', SSCARD_COMPILE_CACHE: dir.path })).toBeUndefined();
  });

  it('creates the folder it is given, private to the user', () => {
    const folder = join(dir.path, 'a', 'b');
    expect(compileCacheFolder({ SSCARD_COMPILE_CACHE: folder })).toBe(folder);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
  });

  it('refuses a folder others may write to, a link, or a file', () => {
    const open = join(dir.path, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(compileCacheFolder({ SSCARD_COMPILE_CACHE: open })).toBeUndefined();
    const mine = join(dir.path, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    const link = join(dir.path, 'link');
    symlinkSync(mine, link);
    expect(compileCacheFolder({ SSCARD_COMPILE_CACHE: link })).toBeUndefined();
    const file = join(dir.path, 'file');
    writeFileSync(file, '');
    expect(compileCacheFolder({ SSCARD_COMPILE_CACHE: file })).toBeUndefined();
    expect(compileCacheFolder({ SSCARD_COMPILE_CACHE: mine })).toBe(mine);
  });

  it("refuses someone else's folder", () => {
    const theirs = join(dir.path, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    // As root the folder is given away; otherwise the root-owned / stands in for someone else's.
    const target = process.getuid?.() === 0 ? theirs : '/';
    if (target === theirs) chownSync(theirs, 4321, 4321);
    expect(compileCacheFolder({ SSCARD_COMPILE_CACHE: target })).toBeUndefined();
  });
});

describe('loadChunksWithCache', () => {
  const dir = tempDirPerTest('sscard-chunks-');

  /** Three CommonJS chunks: an entry, one it requires at once (which requires the entry back), one later. */
  function writeChunks(folder = 'lib'): { entry: string; cache: string } {
    const lib = join(dir.path, folder);
    mkdirSync(lib);
    writeFileSync(
      join(lib, 'entry.cjs'),
      '#!/usr/bin/env node\n' +
        'const b = require("./b.cjs");\n' +
        'exports.sum = (x) => b.twice(x) + 1;\n' +
        'exports.later = () => Promise.resolve().then(() => require("./c.cjs"));\n' +
        'exports.where = [__filename, __dirname, require("node:path").basename(__filename)];\n' +
        'exports.cycle = b.seesEntry;\n',
    );
    writeFileSync(
      join(lib, 'b.cjs'),
      'const entry = require("./entry.cjs");\n' +
        'exports.twice = (x) => x * 2;\n' +
        'exports.seesEntry = typeof entry === "object";\n',
    );
    writeFileSync(join(lib, 'c.cjs'), 'exports.name = "c \\u5f20";\n');
    return { entry: join(lib, 'entry.cjs'), cache: join(dir.path, 'cache') };
  }

  /** Runs the chunks in a child (the cache is written at its exit); `fail` makes it exit 1. */
  function run(entry: string, cache: string, fail = false): { out: unknown; log: string[] } {
    const script =
      `const { loadChunksWithCache } = await import(${JSON.stringify(LOADER)});\n` +
      `const m = loadChunksWithCache(${JSON.stringify(entry)}, 'test-run');\n` +
      `const c = await m.later();\n` +
      `console.log(JSON.stringify({ sum: m.sum(20), where: m.where, cycle: m.cycle, c: c.name }));\n` +
      (fail ? 'process.exitCode = 1;\n' : '');
    const child = spawnSync(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, SSCARD_COMPILE_CACHE: cache, NODE_DEBUG: 'sscard' },
    });
    expect(child.stderr).not.toMatch(/Error/);
    const log = [...child.stderr.matchAll(/^SSCARD \d+: load \S+\/(\S+) \(code cache: ([^)]+)\)/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    return { out: JSON.parse(child.stdout) as unknown, log };
  }

  it('runs chunks as CommonJS, makes their caches after a run that succeeded, and uses them next time', () => {
    const { entry, cache } = writeChunks();
    const expected = {
      sum: 41,
      where: [entry, join(dir.path, 'lib'), 'entry.cjs'],
      cycle: true,
      c: 'c 张',
    };
    const first = run(entry, cache);
    expect(first.out).toEqual(expected);
    expect(first.log).toEqual(['entry.cjs made at exit', 'b.cjs made at exit', 'c.cjs made at exit']);
    const made = readdirSync(cache).sort();
    expect(made.map((f) => f.split('.').slice(0, 2).join('.'))).toEqual(['test-run.b', 'test-run.c', 'test-run.entry']);
    const second = run(entry, cache);
    expect(second.out).toEqual(expected);
    expect(second.log).toEqual(['entry.cjs used', 'b.cjs used', 'c.cjs used']);
    expect(readdirSync(cache).sort()).toEqual(made);
  });

  it('writes no cache after a failed run', () => {
    const { entry, cache } = writeChunks();
    expect(run(entry, cache, true).log).toEqual(['entry.cjs made at exit', 'b.cjs made at exit', 'c.cjs made at exit']);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('replaces a cache V8 refuses, and one of a chunk rebuilt since', () => {
    const { entry, cache } = writeChunks();
    run(entry, cache);
    const [bCache] = readdirSync(cache).filter((f) => f.startsWith('test-run.b.'));
    // Whole (its checksum matches), but not a code cache V8 can use.
    const junk = Buffer.from('not a code cache');
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32LE(crc32(junk));
    writeFileSync(join(cache, bCache!), Buffer.concat([checksum, junk]));
    writeFileSync(join(dir.path, 'lib', 'c.cjs'), 'exports.name = "c \\u5f20";\n// rebuilt\n');
    const again = run(entry, cache);
    expect(again.log).toEqual(['entry.cjs used', 'b.cjs made at exit', 'c.cjs made at exit']);
    expect(statSync(join(cache, bCache!)).size).toBeGreaterThan(4 + junk.length);
    // The rebuilt chunk's old cache is gone: one file a chunk.
    expect(readdirSync(cache).filter((f) => f.startsWith('test-run.c.'))).toHaveLength(1);
    expect(run(entry, cache).log).toEqual(['entry.cjs used', 'b.cjs used', 'c.cjs used']);
  });

  it('refuses a cache damaged in place, at the same length, instead of crashing on it', () => {
    const { entry, cache } = writeChunks();
    run(entry, cache);
    const [bCache] = readdirSync(cache).filter((f) => f.startsWith('test-run.b.'));
    const path = join(cache, bCache!);
    const damaged = readFileSync(path);
    // Past the file's checksum and V8's header (magic, version, source, flags, length, checksum):
    // bytes V8 itself would read without a check, and crash on.
    for (let i = 32; i < damaged.length; i += 5) damaged[i]! ^= 0x5a;
    writeFileSync(path, damaged);
    const again = run(entry, cache);
    expect(again.out).toMatchObject({ sum: 41, c: 'c 张' });
    expect(again.log).toEqual(['entry.cjs used', 'b.cjs made at exit', 'c.cjs used']);
    expect(readFileSync(path).equals(damaged)).toBe(false);
    expect(run(entry, cache).log).toEqual(['entry.cjs used', 'b.cjs used', 'c.cjs used']);
  });

  it('keeps the caches of two installs apart, though their chunks have the same names', () => {
    const a = writeChunks('lib');
    const b = writeChunks('other-install');
    run(a.entry, a.cache);
    expect(run(b.entry, b.cache).log).toEqual(['entry.cjs made at exit', 'b.cjs made at exit', 'c.cjs made at exit']);
    expect(run(a.entry, a.cache).log).toEqual(['entry.cjs used', 'b.cjs used', 'c.cjs used']);
    expect(readdirSync(a.cache)).toHaveLength(6);
  });

  it('runs without a cache when it is off', () => {
    const { entry } = writeChunks();
    const off = spawnSync(
      process.execPath,
      [
        '--import',
        TSX,
        '--input-type=module',
        '-e',
        `const { loadChunksWithCache } = await import(${JSON.stringify(LOADER)});\n` +
          `console.log(loadChunksWithCache(${JSON.stringify(entry)}, 'x').sum(1));`,
      ],
      { encoding: 'utf8', env: { ...process.env, SSCARD_COMPILE_CACHE: 'off', NODE_DEBUG: 'sscard' } },
    );
    expect(off.stdout.trim()).toBe('3');
    expect(off.stderr).toMatch(/entry\.cjs \(code cache: off\)/);
  });
});
