/**
 * The built package (dist/), as the package tests and the examples use it: through the package's
 * own name and its "exports" map, never through src/. In CI `npm run build` has run before the
 * tests and this does nothing; a developer whose dist/ is missing or older than the sources gets
 * one build, shared by the test files that need it (a lock directory keeps them from building at
 * the same time).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
/** Written by scripts/package-dist.mjs as the build's last step. */
const STAMP = join(ROOT, 'dist', '.build-complete');
/** What the build reads; a change to any of them makes dist/ stale. */
const INPUTS = [
  'src',
  'package.json',
  'tsup.config.ts',
  'tsup.cli.config.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/package-dist.mjs',
];
const LOCK = join(ROOT, '.tmp', 'build.lock');
const BUILD_TIMEOUT_MS = 300_000;

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when the last build finished after the newest change to its inputs. */
export function distIsFresh(): boolean {
  if (!existsSync(STAMP)) return false;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.every((input) => !existsSync(join(ROOT, input)) || newestMtime(join(ROOT, input)) <= built);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lockHolderAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but not ours. No pid file yet: the holder is between mkdir and writing it,
    // unless that was long ago (it died there).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs < 10_000;
    return code === 'EPERM';
  }
}

/** Builds dist/ unless it is fresh; waits for a build another test process is running. */
export function ensureBuilt(): void {
  if (distIsFresh()) return;
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!lockHolderAlive()) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new Error(`another process has been building dist/ for ${BUILD_TIMEOUT_MS / 1000} s (${LOCK})`);
      else sleep(250);
      if (distIsFresh()) return;
    }
  }
  try {
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    if (!distIsFresh())
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe', timeout: BUILD_TIMEOUT_MS });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
