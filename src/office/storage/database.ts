/*
 * The one small interface both backends implement (embedded PGlite and a PostgreSQL server), so
 * the registry runs the same SQL on either. Internal: not exported from the office barrel.
 */

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface QueryResult<R> {
  rows: R[];
  /** Rows a data-changing statement touched (0 for plain SELECTs on some drivers: use rows). */
  rowCount: number;
}

export interface Queryable {
  /** One statement with $1.. parameters. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly backend: 'pglite' | 'postgres';
  /** Where the data is, for messages (no password). */
  readonly location: string;
  /**
   * Runs `fn` in one transaction at `isolation`: COMMIT when it resolves, ROLLBACK when it
   * throws. `fn` must use the Queryable it is given, never the Database (which would wait for the
   * transaction on the embedded store, and run outside it on a server).
   */
  transaction<T>(isolation: IsolationLevel, fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** SQLSTATEs after which a whole transaction may be run again: serialization failure, deadlock. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

/** The SQLSTATE of a driver error, if it has one (both drivers put it in `code`). */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
