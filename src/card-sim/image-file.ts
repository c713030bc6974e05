import { readFileSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createFileOnceSync, processAlive, syncDirectory, writeNewFileSync } from '../files/index.js';

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
  try {
    writeNewFileSync(temp, text, mode);
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

/**
 * Removes temporary files of `path` left by writers that died mid-save (their pid no longer runs).
 * Temporaries of live writers, including this process's, are left alone. Run after every save and
 * by every opener, so what a killed writer leaves is gone by the next use of the file.
 */
export function removeStaleTemps(path: string): void {
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

/*
 * Exclusive lock files. One process at a time may hold a card image open for writing: whoever
 * holds `<image>.lock` loads the image, works on it and saves it; everyone else waits. Without it,
 * two processes that loaded the same image would each save their own copy and one process's PIN
 * tries would be lost (three wrong PINs in parallel would each leave "2 tries left").
 *
 * The lock file is JSON: { pid, host, processStarted, acquired, token } (token: random, unique to
 * one acquisition). It is created atomically with its contents: written to a private temporary
 * file, then hard-linked to the lock name (link fails with EEXIST when the lock exists), so no
 * process ever sees a half-written lock. Where hard links are not supported the lock is created
 * with O_EXCL ('wx') and written afterwards; a reader that finds it empty treats it as held.
 *
 * Stale locks: a lock whose holder runs on this host and no longer exists (process.kill(pid, 0)
 * fails with ESRCH), or whose pid is this process's own but with another start time (the pid of a
 * dead process reused, e.g. pid 1 in containers), is taken over. Locks of other hosts (a shared
 * network directory) are never judged stale: their holder cannot be checked from here.
 *
 * Race handling of the takeover: only the process that created the guard file `<lock>.break`
 * (O_EXCL) may remove a stale lock, and only after re-reading it under the guard and finding the
 * very contents (same token) it judged stale. Since a lock is otherwise removed only by its own
 * (live) holder and created only where none exists, two processes can never both remove a lock
 * and both create a new one. The guard is held for a few system calls; a guard left by a process
 * that died holding it (its pid no longer runs) is removed too. The remaining window needs two
 * faults at once (a process dying inside those few system calls while two others race for the same
 * guard), and a dead holder's pid reused by an unrelated live process makes the lock look held:
 * the waiter then times out with an error naming the pid, and the lock file can be deleted by hand.
 *
 * Files whose writer cannot be named: a lock or guard file that is empty, not a lock, or
 * unreadable was left by a writer killed between creating and filling it (where hard links are not
 * available) or by hand; a writer fills its file within microseconds, so once such a file is
 * UNKNOWN_HOLDER_STALE_MS old it is treated as a dead holder's and taken over, never waited on.
 * The private temporaries `<lock>.<pid>.<rand>.new` (and `<lock>.break.<pid>.<rand>.new`) of
 * writers killed between creating and linking them are removed by the next process that takes the
 * lock: at once when their writer no longer runs on this host (the holder the file names, or, for
 * a file killed before it was filled, the pid in its name), else once they are old. Removing the
 * temporary of a writer that does run (another host's, whose pid means nothing here) costs it one
 * more try: its link fails with ENOENT (createLockFile).
 */

/**
 * Who holds a lock, as written in the lock file.
 * @inline
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the holding process started (ISO time). */
  processStarted: string;
  /** When the lock was taken (ISO time). */
  acquired: string;
  /** Random, one per acquisition: tells two locks of the same pid apart. */
  token: string;
}

/** A lock this process holds; release() removes the lock file (only if it is still this lock). */
export interface FileLock {
  readonly lockPath: string;
  readonly holder: LockHolder;
  release(): void;
}

/** Why a lock could not be taken in time: its holder, or undefined when the lock file is unreadable. */
export interface LockBusy {
  holder: LockHolder | undefined;
  /** The holder is this very process (the image is already open here). */
  thisProcess: boolean;
}

const PROCESS_STARTED_MS = Date.now() - process.uptime() * 1000;
/**
 * Two start times of the same pid closer than this are the same process. Different threads of a
 * process compute the start time from the wall clock at slightly different moments.
 */
const SAME_PROCESS_START_TOLERANCE_MS = 2000;
const POLL_MIN_MS = 15;
/** Age after which a lock, guard or temporary file nobody can be named for is a dead writer's. */
export const UNKNOWN_HOLDER_STALE_MS = 2000;
const POLL_JITTER_MS = 25;

/** Locks this module instance holds, by token: released at the latest when the process exits. */
const heldLocks = new Map<string, FileLock>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Safety net for a process that ends without releasing (an exception, process.exit()); a
  // process killed by a signal leaves its lock behind, and the next opener finds it stale.
  process.on('exit', () => {
    for (const lock of [...heldLocks.values()]) lock.release();
  });
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` (opening an image is synchronous, like the card's saves). */
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function readLockText(lockPath: string): string | undefined {
  try {
    return readFileSync(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Like readLockText, with null for a file that exists but cannot be read (permissions, ...). */
function readLockTextOrNull(path: string): string | null | undefined {
  try {
    return readLockText(path);
  } catch {
    return null;
  }
}

/** True when `path` exists and was last changed more than `ms` ago. */
function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes the private temporaries of lock and guard files (`<lock>.<pid>.<rand>.new`,
 * `<lock>.break.<pid>.<rand>.new`, as createFileOnceSync names them) that writers killed between
 * creating and linking them left: those whose holder (their content) is a dead process of this
 * host; those that say nothing yet, when the pid in their name no longer runs here or once they
 * are UNKNOWN_HOLDER_STALE_MS old.
 */
function removeDeadLockTemps(lockPath: string): void {
  const dir = dirname(lockPath);
  const pattern = new RegExp(`^${escapeRegExp(basename(lockPath))}(?:\\.break)?\\.(\\d+)\\.[0-9a-f]+\\.new$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = pattern.exec(name);
    if (match === null) continue;
    const path = join(dir, name);
    const text = readLockTextOrNull(path);
    if (text === undefined) continue;
    const holder = text === null ? undefined : parseHolder(text);
    // Nothing in it yet (killed between creating and filling it): its name still says whose it is.
    const namedPid = Number(match[1]);
    const writerGone = namedPid !== process.pid && !processAlive(namedPid);
    const dead = holder === undefined ? writerGone || olderThan(path, UNKNOWN_HOLDER_STALE_MS) : isStale(holder);
    if (!dead) continue;
    try {
      unlinkSync(path);
    } catch {
      // Removed by its writer or another opener meanwhile.
    }
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder> | null;
    if (
      v !== null &&
      typeof v === 'object' &&
      Number.isInteger(v.pid) &&
      typeof v.host === 'string' &&
      typeof v.processStarted === 'string' &&
      typeof v.acquired === 'string' &&
      typeof v.token === 'string'
    ) {
      return v as LockHolder;
    }
  } catch {
    // Not JSON (or half written where links are not available): unknown holder.
  }
  return undefined;
}

function isThisProcess(holder: LockHolder): boolean {
  return (
    holder.host === hostname() &&
    holder.pid === process.pid &&
    Math.abs(Date.parse(holder.processStarted) - PROCESS_STARTED_MS) < SAME_PROCESS_START_TOLERANCE_MS
  );
}

/** True when the holder certainly no longer runs (see the comment at the top of this section). */
function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return !isThisProcess(holder);
  return !processAlive(holder.pid);
}

/** Creates `lockPath` holding `text`, atomically; false when a lock already exists. */
function createLockFile(lockPath: string, text: string): boolean {
  try {
    return createFileOnceSync(lockPath, text);
  } catch (err) {
    // ENOENT from the link: our temporary was removed as a dead writer's while this process stood
    // still for seconds between writing and linking it; the caller simply tries again.
    const { code, syscall } = err as NodeJS.ErrnoException;
    if (code === 'ENOENT' && syscall === 'link') return false;
    throw err;
  }
}

function unlinkIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Removes the lock `staleText` names, under the guard file. Does nothing when a live process holds
 * the guard (false: the caller waits and tries again) or the lock changed meanwhile; true when it
 * removed the lock or a dead process's guard (the caller tries again at once).
 */
function breakStaleLock(lockPath: string, staleText: string): boolean {
  const guardPath = `${lockPath}.break`;
  const me: LockHolder = newHolder();
  if (!createLockFile(guardPath, JSON.stringify(me))) {
    // A guard whose holder died inside its few system calls would block every takeover.
    const text = readLockTextOrNull(guardPath);
    if (text === undefined) return true;
    const guardHolder = text === null ? undefined : parseHolder(text);
    const dead = guardHolder === undefined ? olderThan(guardPath, UNKNOWN_HOLDER_STALE_MS) : isStale(guardHolder);
    if (!dead || readLockTextOrNull(guardPath) !== text) return false;
    unlinkIfExists(guardPath);
    return true;
  }
  try {
    if (readLockText(lockPath) === staleText) unlinkIfExists(lockPath);
  } finally {
    if (readLockText(guardPath) === JSON.stringify(me)) unlinkIfExists(guardPath);
  }
  return true;
}

function newHolder(): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    processStarted: new Date(PROCESS_STARTED_MS).toISOString(),
    acquired: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
  };
}

/**
 * Takes the exclusive lock `lockPath`, waiting (polling) up to `timeoutMs`; stale locks are taken
 * over. Returns the lock, or who holds it when the time is up. A lock held by this very process
 * is reported at once (waiting for ourselves would never end). File system errors other than
 * "exists" are thrown as they are (errno codes).
 */
export function acquireFileLock(lockPath: string, timeoutMs: number): FileLock | LockBusy {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  for (;;) {
    const holder = newHolder();
    const text = `${JSON.stringify(holder)}\n`;
    if (createLockFile(lockPath, text)) {
      removeDeadLockTemps(lockPath);
      return remember(lockPath, holder, text);
    }
    const existing = readLockText(lockPath);
    if (existing === undefined) continue; // Released between our attempt and the read: try again.
    const current = parseHolder(existing);
    if (current !== undefined && heldLocks.has(current.token)) return { holder: current, thisProcess: true };
    const dead = current === undefined ? olderThan(lockPath, UNKNOWN_HOLDER_STALE_MS) : isStale(current);
    // Gone (by us or another), or a dead guard cleared out of the way: try again now.
    if (dead && (breakStaleLock(lockPath, existing) || readLockText(lockPath) !== existing)) continue;
    const left = deadline - Date.now();
    if (left <= 0) return { holder: current, thisProcess: current !== undefined && isThisProcess(current) };
    sleepSync(Math.min(left, POLL_MIN_MS + Math.floor(Math.random() * POLL_JITTER_MS)));
  }
}

function remember(lockPath: string, holder: LockHolder, text: string): FileLock {
  let released = false;
  const lock: FileLock = {
    lockPath,
    holder,
    release(): void {
      if (released) return;
      released = true;
      heldLocks.delete(holder.token);
      try {
        // Only our own lock: if it was removed by hand and someone else took it, it is theirs.
        if (readLockText(lockPath) === text) unlinkSync(lockPath);
      } catch {
        // Already gone (the directory removed, ...): nothing is held any more.
      }
    },
  };
  heldLocks.set(holder.token, lock);
  installExitHook();
  return lock;
}

/** True for what acquireFileLock returns when it got the lock. */
export function isFileLock(result: FileLock | LockBusy): result is FileLock {
  return 'release' in result;
}
