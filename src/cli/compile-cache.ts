import { isAscii } from 'node:buffer';
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { debuglog } from 'node:util';
import { Script } from 'node:vm';

/** `NODE_DEBUG=sscard` prints each chunk loaded and what the code cache did for it. */
const debug = debuglog('sscard');

/*
 * Runs the command line's CommonJS chunks (dist/cli/lib/) with V8's code cache, the way Node 22's
 * module.enableCompileCache does for modules (Node 20 has no such thing, and no code cache for ES
 * modules at all). A command's first run compiles the functions it runs as usual and, at exit,
 * writes what V8 compiled of each chunk to a cache file; later runs of the command take the
 * compiled code from there. Each command has its own files because V8 stores only the functions
 * one run compiled, and `read` and `card new` run different ones of a shared chunk.
 *
 * A code cache is executable code, so the default folder is private: under the system's temporary
 * folder, named for the user, created 0700, and refused (no cache, nothing lost) when it is a link
 * or someone else's or writable by others. V8 itself refuses a cache made by another V8, with other
 * flags or for a source of another length, but not every cache it should (Node 20.20.2 accepts the
 * caches of earlier 20.x releases with the same V8, and crashes on them): the file name carries
 * the Node version and the chunk's size, time and inode, so neither a Node upgrade nor a rebuilt
 * chunk meets an old cache. Release builds of V8 do not check a cache's checksum, and a cache
 * damaged in place (a disk fault, another program's write) crashes V8 while it reads it: each file
 * starts with a CRC-32 of the rest, and one that does not match is not given to V8 at all. Every
 * failure means running without the cache. (The v8-compile-cache package does this for require()
 * in general, but caches only what is compiled before a module runs, and breaks import() of ES
 * modules.)
 *
 * SSCARD_COMPILE_CACHE=off (or Node's own NODE_DISABLE_COMPILE_CACHE=1) turns it off;
 * SSCARD_COMPILE_CACHE=<folder> puts it elsewhere. NODE_DEBUG=sscard shows what it does.
 */

/** The cache folder to use, or undefined when there is none (turned off, or not safe to use). */
export function compileCacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env['SSCARD_COMPILE_CACHE'];
  if (setting === 'off' || setting === '0' || env['NODE_DISABLE_COMPILE_CACHE'] === '1') return undefined;
  const uid = process.getuid?.();
  const folder =
    setting !== undefined && setting !== '' ? setting : join(tmpdir(), `sscard-compile-cache-${uid ?? 'user'}`);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stat = lstatSync(folder);
    if (!stat.isDirectory()) return undefined;
    if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o022) !== 0)) return undefined;
    return folder;
  } catch {
    return undefined;
  }
}

/**
 * The cache name of a command line: its command and subcommand words (`card-show`, `read`), or
 * `sscard` for anything else (an unknown word); with `help-` before it for a command's help, which
 * runs none of the command (a cache made by `read --help` would leave `read` compiling its own code
 * on every run, since a cache V8 accepts is never made again).
 */
export function compileCacheName(args: readonly string[]): string {
  const words: string[] = [];
  for (const arg of args.slice(0, 2)) {
    if (!/^[a-z][a-z0-9-]{0,23}$/.test(arg)) break;
    words.push(arg);
  }
  const name = words.length === 0 ? 'sscard' : words.join('-');
  return args.includes('--help') || args.includes('-h') || words[0] === 'help' ? `help-${name}` : name;
}

/** FNV-1a of `text`, in base 36: tells apart two installs of sscard in a file name. */
function placeTag(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

/**
 * Where chunk `file`'s cache for command `name` lives: `<command>.<chunk>.<install>.<build>`, the
 * install told by the chunk's folder, the build by its size, time and inode and the Node version.
 */
function cachePath(folder: string, file: string, name: string): string {
  const { size, mtimeMs, ino } = statSync(file);
  const build = `${size}-${Math.trunc(mtimeMs)}-${ino}-${process.version}-${process.arch}`;
  return join(folder, `${name}.${basename(file, '.cjs')}.${placeTag(dirname(file))}.${build}.v8cache`);
}

/**
 * CRC-32 (zlib's) of a cache, loaded on first use so that a run without caches does not load zlib.
 * V8's own check (--verify-snapshot-checksum) would do, but cost `read` about eight times as many
 * instructions (docs/benchmarks.md).
 */
let crc32: ((data: Uint8Array) => number) | undefined;
function checksum(data: Uint8Array): number {
  crc32 ??= (createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib')).crc32;
  return crc32(data);
}

/** Bytes before the code cache in a cache file: the CRC-32 of the code cache, little-endian. */
const CHECKSUM_BYTES = 4;

/** The code cache in `path`, or undefined when there is none or it is not whole. */
function readCache(path: string): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return undefined;
  }
  if (file.length <= CHECKSUM_BYTES) return undefined;
  const data = file.subarray(CHECKSUM_BYTES);
  return file.readUInt32LE(0) === checksum(data) ? data : undefined;
}

/** Writes a cache whole or not at all (a reader never meets half a file). */
function writeCache(path: string, data: Buffer): void {
  try {
    const file = Buffer.allocUnsafe(CHECKSUM_BYTES + data.length);
    file.writeUInt32LE(checksum(data), 0);
    data.copy(file, CHECKSUM_BYTES);
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, file, { mode: 0o600 });
    renameSync(temporary, path);
  } catch {
    // A cache that cannot be written only means the next run compiles again.
  }
}

/**
 * Drops the caches of older builds of the chunks just cached, from the same install (an upgrade or
 * a rebuild leaves them behind); another install's, which may have chunks of the same names, stay.
 */
function dropStaleCaches(folder: string, written: ReadonlySet<string>): void {
  const place = (file: string): string => file.split('.').slice(0, 3).join('.');
  try {
    const places = new Set([...written].map((path) => place(basename(path))));
    for (const file of readdirSync(folder)) {
      if (places.has(place(file)) && !written.has(join(folder, file))) rmSync(join(folder, file), { force: true });
    }
  } catch {
    // Left for the next run.
  }
}

type CommonJsWrapper = (
  exports: unknown,
  require: (specifier: string) => unknown,
  module: { exports: unknown },
  filename: string,
  dirname: string,
) => void;

/**
 * import() for the chunks: the build turns a chunk's import() of an optional package (PGlite, the
 * PC/SC bindings) into a call of this, since import() in code compiled by the vm module needs a
 * callback Node 20 calls experimental, which V8 also drops from code taken from a cache.
 */
function importPackage(specifier: string): Promise<unknown> {
  return import(specifier);
}

/**
 * Loads the CommonJS chunk `entry` and the chunks it requires (`./x.cjs`, now or later) as Node's
 * require would, each compiled with its code cache for the command `name` when there is a usable
 * folder, and returns the entry's exports. Other specifiers (node: modules, packages) go to
 * Node's require. At exit, after a run that succeeded, a chunk that had no cache (or one V8
 * refused) gets one; a failed run (a typo, a missing file) ran too little of the command to make
 * a cache worth keeping.
 */
export function loadChunksWithCache(
  entry: string,
  name: string,
  folder = compileCacheFolder(),
): Record<string, unknown> {
  (globalThis as Record<symbol, unknown>)[Symbol.for('sscard.import')] = importPackage;
  const loaded = new Map<string, { exports: unknown }>();
  const toCache: { path: string; script: Script }[] = [];
  const load = (file: string): unknown => {
    const known = loaded.get(file);
    if (known !== undefined) return known.exports;
    const bytes = readFileSync(file);
    // The build writes ASCII only: latin1 reads it exactly, without UTF-8 decoding.
    const source = (isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8')).replace(/^#!/, '//');
    const cache = folder === undefined ? undefined : cachePath(folder, file, name);
    const cachedData = cache === undefined ? undefined : readCache(cache);
    // Node's own CommonJS wrapper, on the source's first line so that stack traces keep its lines.
    const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
      filename: file,
      ...(cachedData === undefined ? {} : { cachedData }),
    });
    const made = cache !== undefined && (cachedData === undefined || script.cachedDataRejected === true);
    if (made) toCache.push({ path: cache, script });
    debug('load %s (code cache: %s)', file, cache === undefined ? 'off' : made ? 'made at exit' : 'used');
    const module = { exports: {} as unknown };
    loaded.set(file, module); // before it runs: chunks may require each other
    const nodeRequire = createRequire(file);
    const dir = dirname(file);
    const requireHere = (specifier: string): unknown =>
      specifier.startsWith('./') && specifier.endsWith('.cjs') ? load(join(dir, specifier)) : nodeRequire(specifier);
    (script.runInThisContext() as CommonJsWrapper).call(module.exports, module.exports, requireHere, module, file, dir);
    return module.exports;
  };
  if (folder !== undefined) {
    process.once('exit', (code) => {
      if (code !== 0 || toCache.length === 0) return;
      // At exit V8 has compiled everything this command ran, so each cache holds all of it.
      for (const { path, script } of toCache) writeCache(path, script.createCachedData());
      dropStaleCaches(folder, new Set(toCache.map(({ path }) => path)));
    });
  }
  return load(entry) as Record<string, unknown>;
}
