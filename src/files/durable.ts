import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';

/*
 * Host file primitives the card images, the image key and the registry's lock share: a new file
 * written and flushed in one call, a file (a lock, the key) created complete in one step unless it
 * exists, a directory flushed after a rename or a create, and whether the process a lock or a
 * temporary names still runs here.
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

/**
 * Runs `create`, a create that fails with EEXIST where its target exists (an O_EXCL open, a hard
 * link): true when it created the target, false when the target exists; other failures are thrown.
 */
export function exclusiveCreate(create: () => void): boolean {
  try {
    create();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** What a hard link fails with on a file system that has none (FAT, some network and FUSE ones). */
const NO_HARD_LINKS: ReadonlySet<string | undefined> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

function createOnce(path: string, text: string, withoutLinks: boolean): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  writeNewFileSync(temp, text);
  try {
    return exclusiveCreate(() => linkSync(temp, path));
  } catch (err) {
    if (!withoutLinks || !NO_HARD_LINKS.has((err as NodeJS.ErrnoException).code)) throw err;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Gone already.
    }
  }
  return exclusiveCreate(() => writeNewFileSync(path, text));
}

/**
 * Creates `path` holding `text` in one step, so that no reader ever sees it half-written: the text
 * goes to a private temporary beside it (`<path>.<pid>.<random>.new`), which is then hard-linked
 * to `path` (the link fails when `path` exists) and removed. False when `path` exists; any other
 * failure is thrown as Node reports it (`syscall` 'link' when the link failed, e.g. ENOENT when the
 * temporary was removed meanwhile or EPERM where the file system has no hard links).
 */
export function linkNewFileSync(path: string, text: string): boolean {
  return createOnce(path, text, false);
}

/**
 * linkNewFileSync, and where the file system has no hard links an O_EXCL create and write instead
 * (a reader may then see the file empty for a moment). False when `path` exists.
 */
export function createFileOnceSync(path: string, text: string): boolean {
  return createOnce(path, text, true);
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
