import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
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
 * A new store is created in a staging directory and renamed into place once PostgreSQL has
 * initialized it, so a process killed while creating a store leaves no half-made cluster behind
 * (PGlite would take a non-empty directory for an existing cluster).
 *
 * PGlite runs one session: the adapter queues queries and transactions so one transaction runs at
 * a time and no statement from outside lands inside it.
 */

/** Where PostgreSQL's own files go, inside the registry directory (beside the lock file). */
export const PGDATA_DIR = 'pgdata';

const DURABILITY_PARAMS = ['-c', 'fsync=on', '-c', 'wal_sync_method=fsync', '-c', 'synchronous_commit=on', '-c', 'full_page_writes=on'];

export async function openPglite(directory: string): Promise<Database> {
  const lock = lockDirectory(directory);
  try {
    const { PGlite } = await loadPglite();
    const startParams = [...PGlite.defaultStartParams.filter((p) => p !== '-F'), ...DURABILITY_PARAMS];
    let pg: PgliteInstance;
    try {
      const pgdata = join(directory, PGDATA_DIR);
      if (!existsSync(join(pgdata, 'PG_VERSION'))) await createCluster(PGlite, directory, startParams);
      pg = await PGlite.create(pgdata, { startParams });
    } catch (err) {
      throw new RegistryStorageError(`cannot open the embedded registry in ${directory} (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    try {
      installFsync(pg);
      const check = await pg.query<{ fsync: string }>("SELECT current_setting('fsync') AS fsync");
      if (check.rows[0]?.fsync !== 'on') throw new RegistryStorageError('the embedded store started without fsync');
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

const STAGING_PREFIX = `${PGDATA_DIR}.new`;

/** Initializes a cluster in a staging directory, then renames it to pgdata (we hold the lock). */
async function createCluster(
  PGlite: { create(dataDir: string, options?: { startParams?: string[] }): Promise<PgliteInstance> },
  directory: string,
  startParams: string[],
): Promise<void> {
  for (const name of readdirSync(directory)) {
    // Left by a process that died while creating the store, or an empty pgdata of such a one.
    if (name.startsWith(STAGING_PREFIX) || name === PGDATA_DIR) rmSync(join(directory, name), { recursive: true, force: true });
  }
  const staging = join(directory, `${STAGING_PREFIX}-${process.pid}`);
  const pg = await PGlite.create(staging, { startParams });
  await pg.close();
  renameSync(staging, join(directory, PGDATA_DIR));
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
  if (ops === undefined) throw new RegistryStorageError('this PGlite build has no NODEFS: the embedded store cannot be made durable');
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
