import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/*
 * Atomic replacement of a file: write a temporary file in the same directory, fsync it, rename it
 * over the target, fsync the directory. A crash at any moment leaves either the old or the new
 * contents under the target name, never a mix or a truncated file.
 */

const TEMP_SUFFIX = '.tmp';

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/** Writes `text` to `path` atomically and durably (synchronously: a card answers only afterwards). */
export function writeFileAtomicSync(path: string, text: string, mode = 0o600): void {
  const dir = dirname(path);
  const temp = join(dir, `${tempPrefix(path)}${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const bytes = Buffer.from(text, 'utf8');
  const fd = openSync(temp, 'wx', mode);
  try {
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed or never created: nothing to clean up.
    }
    throw err;
  }
  syncDirectory(dir);
  removeStaleTemps(path);
}

/** fsync of a directory makes the rename itself durable (no-op where directories cannot be opened). */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    closeSync(fd);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files of `path` left by writers that died mid-save (their pid no longer runs).
 * Temporaries of live writers, including this process's, are left alone.
 */
function removeStaleTemps(path: string): void {
  const prefix = tempPrefix(path);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    try {
      unlinkSync(join(dirname(path), name));
    } catch {
      // Another process cleaned it up first.
    }
  }
}
