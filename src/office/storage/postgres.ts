import { RegistryStorageError, redactUrl } from '../errors.js';
import type { Database, IsolationLevel, Queryable, QueryResult } from './database.js';
import { loadPg } from './drivers.js';
import type { PgPool, PgPoolClient } from './drivers.js';

/*
 * A PostgreSQL server shared by many window, hotline and POS processes, through node-postgres'
 * connection pool. Each transaction holds one pooled connection from BEGIN to COMMIT.
 */

export interface PostgresOptions {
  /** Connections this process may hold at once (default 10). */
  poolSize?: number;
  /** How long to wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  const { Pool } = await loadPg();
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that the server drops (restart, idle timeout) emits 'error' on the pool;
  // the pool replaces it on the next query, so it must not crash the process.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new RegistryStorageError(
      `cannot connect to the registry server ${redactUrl(url)} (${err instanceof Error ? err.message : String(err)})`,
      {
        cause: err,
      },
    );
  }
  return new PostgresDatabase(pool, redactUrl(url));
}

function result<R>(r: { rows: R[]; rowCount: number | null }): QueryResult<R> {
  return { rows: r.rows, rowCount: r.rowCount ?? r.rows.length };
}

class PostgresDatabase implements Database {
  readonly backend = 'postgres' as const;
  private closed = false;

  constructor(
    private readonly pool: PgPool,
    readonly location: string,
  ) {}

  async query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return result(await this.pool.query<R>(sql, params === undefined ? undefined : [...params]));
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(isolation: IsolationLevel, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PgPoolClient = await this.pool.connect();
    let open = true;
    const guard = (): void => {
      if (!open) throw new RegistryStorageError('a transaction was used after it ended');
    };
    const tx: Queryable = {
      query: async <R>(sql: string, params?: readonly unknown[]) => {
        guard();
        return result(await client.query<R>(sql, params === undefined ? undefined : [...params]));
      },
      exec: async (sql: string) => {
        guard();
        await client.query(sql);
      },
    };
    let broken: Error | undefined;
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`);
      const value = await fn(tx);
      open = false;
      await client.query('COMMIT');
      return value;
    } catch (err) {
      open = false;
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is unusable (server gone): the pool must not hand it out again.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
