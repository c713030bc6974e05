import { RegistryDriverMissingError } from '../errors.js';

/*
 * Both database packages are optional dependencies, loaded on first open like the PC/SC bindings:
 * a program that never opens a registry (or uses only one backend) does not need the other. The
 * shapes below are the parts of their APIs the registry uses, declared here so sscard typechecks
 * and builds without them.
 */

/** Versions the registry was written and tested against (package.json optionalDependencies). */
export const DATABASE_DRIVER_VERSIONS = { '@electric-sql/pglite': '0.5.17', pg: '8.23.1' } as const;

export interface PgliteResults<R> {
  rows: R[];
  affectedRows?: number;
}

export interface PgliteInstance {
  query<R>(sql: string, params?: unknown[]): Promise<PgliteResults<R>>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
  /** The Emscripten module: its NODEFS gets a real fsync (see pglite.ts). */
  readonly Module: { NODEFS?: { stream_ops: Record<string, unknown> } };
}

export interface PgliteModule {
  PGlite: {
    create(dataDir: string, options?: { startParams?: string[] }): Promise<PgliteInstance>;
    readonly defaultStartParams: readonly string[];
  };
}

export interface PgQueryResult<R> {
  rows: R[];
  rowCount: number | null;
}

export interface PgPoolClient {
  query<R>(sql: string, params?: unknown[]): Promise<PgQueryResult<R>>;
  release(err?: Error | boolean): void;
}

export interface PgPool {
  query<R>(sql: string, params?: unknown[]): Promise<PgQueryResult<R>>;
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): this;
}

export interface PgModule {
  Pool: new (config: {
    connectionString: string;
    max?: number;
    options?: string;
    connectionTimeoutMillis?: number;
    idleTimeoutMillis?: number;
  }) => PgPool;
}

function missing(name: keyof typeof DATABASE_DRIVER_VERSIONS, why: string, cause: unknown): RegistryDriverMissingError {
  const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new RegistryDriverMissingError(
    name,
    `the registry needs the package '${name}' for ${why}, and it cannot be loaded (${detail}). ` +
      `Install it with \`npm install ${name}@${DATABASE_DRIVER_VERSIONS[name]}\``,
    { cause },
  );
}

/** Imports an optional package by a name TypeScript and the bundler leave alone. */
async function importOptional(name: string): Promise<Record<string, unknown>> {
  return (await import(name)) as Record<string, unknown>;
}

let pglite: Promise<PgliteModule> | undefined;
let pg: Promise<PgModule> | undefined;

/** `@electric-sql/pglite`, loaded once on first use. */
export function loadPglite(): Promise<PgliteModule> {
  pglite ??= importOptional('@electric-sql/pglite').then(
    (ns) => {
      const PGlite = ns['PGlite'] as PgliteModule['PGlite'] | undefined;
      if (typeof PGlite?.create !== 'function')
        throw missing(
          '@electric-sql/pglite',
          'the embedded store',
          new Error('no PGlite.create (unexpected version?)'),
        );
      return { PGlite };
    },
    (err: unknown) => {
      throw missing('@electric-sql/pglite', 'the embedded store (file:DIR)', err);
    },
  );
  // A failed load is not kept: installing the package and trying again must work.
  pglite.catch(() => (pglite = undefined));
  return pglite;
}

/** `pg` (node-postgres), loaded once on first use. */
export function loadPg(): Promise<PgModule> {
  pg ??= importOptional('pg').then(
    (ns) => {
      // CommonJS: the exports object is `default` under Node's ESM loader.
      const exports = (ns['default'] ?? ns) as Record<string, unknown>;
      if (typeof exports['Pool'] !== 'function')
        throw missing('pg', 'PostgreSQL servers', new Error('no Pool export (unexpected version?)'));
      return exports as unknown as PgModule;
    },
    (err: unknown) => {
      throw missing('pg', 'PostgreSQL servers (postgres://)', err);
    },
  );
  pg.catch(() => (pg = undefined));
  return pg;
}
