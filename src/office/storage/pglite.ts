import { closeSync, existsSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryStorageError } from '../errors.js';
import type { Database, IsolationLevel, Queryable, QueryResult } from './database.js';
import { loadPglite } from './drivers.js';
import type { PgliteInstance } from './drivers.js';
import { lockDirectory } from './lock.js';
import type { DirectoryLock } from './lock.js';

/*
 * The embedded store: PostgreSQL compiled to WebAssembly (PGlite), its data directory on disk.
 *
 * Durability. PGlite starts PostgreSQL with `-F` (fsync off), and its Node file system (Emscripten's
 * NODEFS) has no fsync at all: writes reach the kernel through fs.writeSync, so a committed
 * transaction survives the death of the process (kill -9), but not a power cut. The registry makes
 * commits durable: it starts PostgreSQL without -F and with wal_sync_method=fsync, and gives
 * NODEFS a real fsync (fs.fsyncSync on the file's descriptor). A commit then returns only after its
 * WAL record is on disk, one fsync per transaction. (`fdatasync`, the default WAL method, is a no-op
 * in Emscripten's syscall layer; `fsync` goes through the file system's stream operations.)
 *
 * A new store is marked complete (the file `pgdata.created`) only once PostgreSQL has initialized
 * it and a checkpoint has flushed it; a pgdata without the mark is what a process killed while
 * creating the store left behind, and it is made again (PGlite would otherwise take the non-empty
 * directory for a finished cluster).
 *
 * PGlite runs one session: the adapter queues queries and transactions so one transaction runs at
 * a time and no statement from outside lands inside it.
 */

/** Where PostgreSQL's own files go, inside the registry directory (beside the lock file). */
export const PGDATA_DIR = 'pgdata';

const DURABILITY_PARAMS = [
  '-c',
  'fsync=on',
  '-c',
  'wal_sync_method=fsync',
  '-c',
  'synchronous_commit=on',
  '-c',
  'full_page_writes=on',
];

export async function openPglite(directory: string): Promise<Database> {
  const lock = lockDirectory(directory);
  try {
    const { PGlite } = await loadPglite();
    const startParams = [...PGlite.defaultStartParams.filter((p) => p !== '-F'), ...DURABILITY_PARAMS];
    let pg: PgliteInstance;
    let fresh: boolean;
    try {
      const pgdata = join(directory, PGDATA_DIR);
      fresh = !existsSync(join(directory, CREATED_MARK));
      if (fresh) rmSync(pgdata, { recursive: true, force: true });
      pg = await PGlite.create(pgdata, { startParams });
    } catch (err) {
      throw new RegistryStorageError(
        `cannot open the embedded registry in ${directory} (${err instanceof Error ? err.message : String(err)})`,
        { cause: err },
      );
    }
    try {
      installFsync(pg);
      const check = await pg.query<{ fsync: string }>("SELECT current_setting('fsync') AS fsync");
      if (check.rows[0]?.fsync !== 'on') throw new RegistryStorageError('the embedded store started without fsync');
      if (fresh) {
        // The cluster's files were written before our fsync was installed: flush them, then mark.
        await pg.exec('CHECKPOINT');
        markCreated(directory);
      }
    } catch (err) {
      await pg.close().catch(() => undefined);
      throw err;
    }
    return new PgliteDatabase(pg, lock, directory);
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** Written once the cluster in pgdata is complete (see the comment at the top). */
export const CREATED_MARK = `${PGDATA_DIR}.created`;

function markCreated(directory: string): void {
  const fd = openSync(join(directory, CREATED_MARK), 'w', 0o600);
  try {
    writeSync(fd, `${new Date().toISOString()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDirectory(directory);
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function installFsync(pg: PgliteInstance): void {
  const ops = pg.Module.NODEFS?.stream_ops;
  if (ops === undefined)
    throw new RegistryStorageError('this PGlite build has no NODEFS: the embedded store cannot be made durable');
  // Every NODEFS node shares this one stream_ops object, so files opened from now on fsync too.
  ops['fsync'] = (stream: { nfd?: number }): number => {
    if (typeof stream.nfd === 'number') fsyncSync(stream.nfd);
    return 0;
  };
}

class PgliteDatabase implements Database {
  readonly backend = 'pglite' as const;
  readonly location: string;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly pg: PgliteInstance,
    private readonly lock: DirectoryLock,
    directory: string,
  ) {
    this.location = `file:${directory}`;
  }

  /** Runs `fn` when everything queued before it has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async raw<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const r = await this.pg.query<R>(sql, params === undefined ? undefined : [...params]);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  }

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.exclusive(() => this.raw<R>(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.exclusive(async () => {
      await this.pg.exec(sql);
    });
  }

  transaction<T>(isolation: IsolationLevel, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      let open = true;
      const guard = (): void => {
        if (!open) throw new RegistryStorageError('a transaction was used after it ended');
      };
      const tx: Queryable = {
        query: <R>(sql: string, params?: readonly unknown[]) => {
          guard();
          return this.raw<R>(sql, params);
        },
        exec: async (sql: string) => {
          guard();
          await this.pg.exec(sql);
        },
      };
      await this.pg.exec(`BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`);
      try {
        const result = await fn(tx);
        open = false;
        await this.pg.exec('COMMIT');
        return result;
      } catch (err) {
        open = false;
        await this.pg.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.exclusive(() => this.pg.close());
    } finally {
      this.lock.release();
    }
  }
}
