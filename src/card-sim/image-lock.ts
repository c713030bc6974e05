import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UNKNOWN_HOLDER_STALE_MS, acquireFileLock, isFileLock, removeStaleTemps } from './image-file.js';
import type { FileLock, LockBusy } from './image-file.js';
import { CardImageError } from './image-errors.js';

/** How long openCardImage waits for another process to release the image by default. */
export const CARD_IMAGE_LOCK_TIMEOUT_MS = 5000;

export interface CardImageLockOptions {
  /** How long to wait for another process to release the image (default CARD_IMAGE_LOCK_TIMEOUT_MS; 0: no wait). */
  lockTimeoutMs?: number;
}

/** An image's exclusive lock, held by this process until release(). */
export interface CardImageLock {
  /** The image file, as the caller named it. */
  readonly path: string;
  /** The file it names (realImagePath): a writer replacing the image renames onto this, keeping a link a link. */
  readonly realPath: string;
  /** The lock file, `<real image file>.lock`. */
  readonly lockPath: string;
  release(): void;
}

/** Symbolic links followed before giving up (the kernel's own limit is 40 too). */
const MAX_LINK_HOPS = 40;

/**
 * The file an image path really names: symbolic links of the last component followed (also to a
 * target that does not exist yet) and the directory's real path. Two aliases of one image (a
 * symlink and its target, or one file reached through two directory links) give the same real
 * file, so they share one lock and saves replace the target, never the link. A path that does
 * not resolve (no such directory) comes back as it is, for the caller's own error.
 */
export function realImagePath(path: string): string {
  let current = resolve(path);
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      break;
    }
    if (!isLink) break;
    current = resolve(dirname(current), readlinkSync(current));
  }
  try {
    return join(realpathSync(dirname(current)), basename(current));
  } catch {
    return path;
  }
}

/** The lock file of an image: next to the real file, so every alias of the image meets it. */
export function cardImageLockPath(path: string): string {
  return `${realImagePath(path)}.lock`;
}

function lockedError(path: string, lockPath: string, busy: LockBusy, timeoutMs: number): CardImageError {
  const { holder } = busy;
  let problem: string;
  if (holder === undefined) {
    problem = `locked: the lock file ${lockPath} cannot be understood (a writer's that died is taken over once it is ${UNKNOWN_HOLDER_STALE_MS} ms old)`;
  } else if (busy.thisProcess) {
    problem = `is already open in this process (pid ${holder.pid}); close it first (closeCardImage)`;
  } else {
    problem =
      `in use by process ${holder.pid} on ${holder.host} since ${holder.acquired} (lock file ${lockPath}); ` +
      `gave up after ${timeoutMs} ms`;
  }
  return new CardImageError('CARD_IMAGE_LOCKED', path, problem, holder === undefined ? {} : { holder });
}

/**
 * Takes the exclusive lock of the image `path` (the file need not exist yet), waiting up to
 * `lockTimeoutMs` for another process to release it; a lock left by a process that no longer
 * runs is taken over. CARD_IMAGE_LOCKED (naming the file and the holder's pid) when the time is
 * up or this process holds it already. For writers that do not go through openCardImage, e.g.
 * replacing an image with a new card.
 */
export function lockCardImage(path: string, options: CardImageLockOptions = {}): CardImageLock {
  return takeImageLock(path, options, 'CARD_IMAGE_WRITE_FAILED');
}

/** `missingDirectory`: the error code when the image's directory does not exist. */
export function takeImageLock(
  path: string,
  options: CardImageLockOptions,
  missingDirectory: 'CARD_IMAGE_NOT_FOUND' | 'CARD_IMAGE_WRITE_FAILED',
): CardImageLock {
  const realPath = realImagePath(path);
  const lockPath = `${realPath}.lock`;
  const timeoutMs = options.lockTimeoutMs ?? CARD_IMAGE_LOCK_TIMEOUT_MS;
  let result: FileLock | LockBusy;
  try {
    result = acquireFileLock(lockPath, timeoutMs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // No directory: no image either (for a reader of the image, "file not found").
    if (code === 'ENOENT' && missingDirectory === 'CARD_IMAGE_NOT_FOUND') {
      throw new CardImageError('CARD_IMAGE_NOT_FOUND', path, 'file not found', { cause: err });
    }
    throw new CardImageError(
      'CARD_IMAGE_WRITE_FAILED',
      path,
      `cannot create the lock file ${lockPath} (${code ?? (err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  if (!isFileLock(result)) throw lockedError(path, lockPath, result, timeoutMs);
  const lock = result;
  // What a writer killed mid-save left is cleaned up by the next one in, before it writes.
  removeStaleTemps(realPath);
  return { path, realPath, lockPath, release: () => lock.release() };
}
