import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

/*
 * Host file primitives the card images, the image key and the registry's lock share: a new file
 * written and flushed in one call, a directory flushed after a rename or a create, and whether
 * the process a lock or a temporary names still runs here.
 */

/** Creates `path` (it must not exist: O_EXCL), writes all of `data` and fsyncs it. */
export function writeNewFileSync(path: string, data: string | Uint8Array, mode = 0o600): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(path, 'wx', mode);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a directory makes a rename or a new entry in it durable (no-op where directories cannot be opened). */
export function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; a rename is still atomic there.
  } finally {
    closeSync(fd);
  }
}

/** Whether process `pid` runs on this host (EPERM: it runs, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
