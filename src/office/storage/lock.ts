import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { linkNewFileSync, processAlive } from '../../files/index.js';
import { RegistryLockedError, RegistryStorageError } from '../errors.js';

/*
 * The embedded store (PGlite) is one process's: two processes on one data directory would each
 * run their own PostgreSQL over the same files and corrupt them. So the directory holds a lock
 * file `lock` naming its holder (pid, host, start time). Opening a locked directory fails at once
 * with RegistryLockedError naming the directory and the holder; a lock whose holder no longer runs
 * on this host (killed, crashed) is taken over.
 */

export const LOCK_FILE = 'lock';

interface Holder {
  pid: number;
  host: string;
  acquired: string;
  token: string;
}

export interface DirectoryLock {
  readonly path: string;
  release(): void;
}

const held = new Map<string, () => void>();
let exitHook = false;

export function lockDirectory(directory: string): DirectoryLock {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new RegistryStorageError(
      `cannot create the registry directory ${directory} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      { cause: err },
    );
  }
  const path = join(directory, LOCK_FILE);
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    acquired: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(me)}\n`;
  // A few rounds: each either takes the lock, or removes a dead holder's and tries again.
  for (let round = 0; round < 5; round++) {
    if (createExclusive(path, text)) return remember(path, text);
    const existing = readText(path);
    if (existing === undefined) continue;
    const holder = parse(existing);
    if (holder !== undefined && holder.host === hostname() && holder.pid !== process.pid && !processAlive(holder.pid)) {
      takeOver(path, existing);
      continue;
    }
    const who =
      holder === undefined
        ? `an unknown holder (unreadable ${path})`
        : holder.pid === process.pid && holder.host === hostname()
          ? `this process (pid ${holder.pid}): it is already open here`
          : `process ${holder.pid} on ${holder.host} since ${holder.acquired}`;
    throw new RegistryLockedError(directory, holder?.pid, who);
  }
  throw new RegistryLockedError(directory, undefined, 'processes racing for its lock');
}

function remember(path: string, text: string): DirectoryLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    held.delete(path);
    try {
      if (readText(path) === text) unlinkSync(path);
    } catch {
      // Gone already.
    }
  };
  held.set(path, release);
  if (!exitHook) {
    exitHook = true;
    // A process that ends without closing the registry leaves no lock behind (SIGKILL aside,
    // which the stale-holder takeover covers).
    process.on('exit', () => {
      for (const r of [...held.values()]) r();
    });
  }
  return { path, release };
}

/** Creates `path` with `text` in one step (a complete file or none); false when it exists. */
function createExclusive(path: string, text: string): boolean {
  try {
    return linkNewFileSync(path, text);
  } catch (err) {
    const { code, syscall, path: file } = err as NodeJS.ErrnoException;
    const what = code ?? String(err);
    throw new RegistryStorageError(
      syscall === 'link'
        ? `cannot create the lock file ${path} (${what})`
        : `cannot write in the registry directory (${what}: ${file ?? path})`,
      { cause: err },
    );
  }
}

/**
 * Removes a dead holder's lock. Renaming is atomic, so of several processes taking over at once
 * only one moves the file; if what it moved is not the stale text it saw (another process took
 * the lock meanwhile), it puts the file back.
 */
function takeOver(path: string, staleText: string): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  if (readText(aside) !== staleText) {
    try {
      linkSync(aside, path);
    } catch {
      // A third process has created a lock meanwhile; the one we moved belonged to a process that
      // will find its lock gone when it releases, which is harmless.
    }
  }
  unlinkSync(aside);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parse(text: string): Holder | undefined {
  try {
    const v = JSON.parse(text) as Partial<Holder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') return v as Holder;
  } catch {
    // Not ours, or damaged.
  }
  return undefined;
}
