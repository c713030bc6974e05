import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_REGISTRY_LOCATION,
  Registry,
  RegistryLockedError,
  RegistryUrlError,
  SchemaTooNewError,
  defaultRegistryLocation,
  parseRegistryLocation,
} from '../../src/office/index.js';
import { databaseOf } from '../../src/office/registry.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from '../../src/office/storage/migrations.js';
import { freshDatabase, pgLab } from './pg-lab.js';

const CHILD = fileURLToPath(new URL('./child/registry-worker.ts', import.meta.url));

describe('registry locations', () => {
  it('reads file: and postgres:// locations, relative directories against the working directory', () => {
    expect(parseRegistryLocation('file:./sscard-office')).toEqual({
      kind: 'file',
      directory: resolve('sscard-office'),
    });
    expect(parseRegistryLocation('file:/var/lib/office')).toEqual({ kind: 'file', directory: '/var/lib/office' });
    expect(parseRegistryLocation('file:///var/lib/office')).toEqual({ kind: 'file', directory: '/var/lib/office' });
    expect(parseRegistryLocation('postgres://u:p@h:5432/db')).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@h:5432/db',
    });
    expect(parseRegistryLocation('postgresql://h/db').kind).toBe('postgres');
  });

  it('refuses other locations, without showing a password', () => {
    expect(() => parseRegistryLocation('mysql://root:hunter2@h/db')).toThrow(RegistryUrlError);
    expect(() => parseRegistryLocation('')).toThrow(/empty/);
    expect(() => parseRegistryLocation('file://otherhost/x')).toThrow(RegistryUrlError);
    try {
      parseRegistryLocation('postgres://u:hunter2@[bad/db');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
      expect((err as RegistryUrlError).code).toBe('REGISTRY_URL');
    }
  });

  it('defaults to SSCARD_DB, then ./sscard-office', () => {
    expect(defaultRegistryLocation({})).toBe(DEFAULT_REGISTRY_LOCATION);
    expect(DEFAULT_REGISTRY_LOCATION).toBe('file:./sscard-office');
    expect(defaultRegistryLocation({ SSCARD_DB: 'postgres://h/db' })).toBe('postgres://h/db');
  });
});

describe('embedded store', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'sscard-office-store-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('is created with a lock file naming its holder, runs with fsync on, and is migrated once', async () => {
    const dir = tempDir();
    const registry = await Registry.open(`file:${dir}`);
    try {
      expect(registry.backend).toBe('pglite');
      expect(registry.migration).toEqual({ from: 0, to: SCHEMA_VERSION, applied: MIGRATIONS.map((m) => m.version) });
      const lock = JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'));
      expect(lock).toMatchObject({ pid: process.pid, host: hostname() });
      const settings = await databaseOf(registry).query<{ fsync: string; method: string; commit: string }>(
        "SELECT current_setting('fsync') AS fsync, current_setting('wal_sync_method') AS method, current_setting('synchronous_commit') AS commit",
      );
      expect(settings.rows[0]).toEqual({ fsync: 'on', method: 'fsync', commit: 'on' });
      expect(readdirSync(dir).sort()).toEqual(['lock', 'pgdata', 'pgdata.created']);
      // A second open in this process is refused at once, naming the directory.
      const second = Registry.open(`file:${dir}`);
      await expect(second).rejects.toBeInstanceOf(RegistryLockedError);
      await expect(second).rejects.toThrow(dir);
    } finally {
      await registry.close();
    }
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    const again = await Registry.open(`file:${dir}`);
    expect(again.migration).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    // A newer schema than the code is refused on open.
    await databaseOf(again).query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')");
    await again.close();
    const newer = Registry.open(`file:${dir}`);
    await expect(newer).rejects.toBeInstanceOf(SchemaTooNewError);
    await expect(newer).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', databaseVersion: 999 });
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('refuses a directory another live process holds, and takes over the lock of a dead one', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'hold', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((ready, fail) => {
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('READY')) ready();
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.on('exit', (code) => fail(new Error(`holder exited (${code}): ${err}`)));
      });
      const refused = Registry.open(`file:${dir}`);
      await expect(refused).rejects.toMatchObject({ code: 'REGISTRY_LOCKED', directory: dir, holderPid: child.pid });
      await expect(refused).rejects.toThrow(`process ${child.pid}`);
    } finally {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    // The holder died without closing: its lock is stale and the next open takes it over.
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid).toBe(child.pid);
    const registry = await Registry.open(`file:${dir}`);
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
    await registry.close();
  });

  it('an unreadable lock file counts as held (never taken over blindly)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'lock'), 'garbage');
    await expect(Registry.open(`file:${dir}`)).rejects.toThrow(/unknown holder/);
  });

  it('a store whose creation was interrupted is created again, not opened half-made', async () => {
    const dir = tempDir();
    // What a process killed during creation leaves: part of a cluster, and no mark.
    mkdirSync(join(dir, 'pgdata', 'base'), { recursive: true });
    writeFileSync(join(dir, 'pgdata', 'PG_VERSION'), '18\n');
    const registry = await Registry.open(`file:${dir}`);
    try {
      expect(await schemaVersion(databaseOf(registry))).toBe(SCHEMA_VERSION);
      expect(readdirSync(dir).sort()).toEqual(['lock', 'pgdata', 'pgdata.created']);
    } finally {
      await registry.close();
    }
  });
});

const lab = pgLab('registry server storage suite');

describe.runIf(lab.run)('server store', { timeout: 60_000 }, () => {
  it('applies a migration once when processes open a fresh database at the same moment', async () => {
    lab.assertReady();
    const db = await freshDatabase(lab.url, 'migrate');
    try {
      const opened = await Promise.all(Array.from({ length: 6 }, () => Registry.open(db.url, { poolSize: 1 })));
      try {
        // Each migration applied once, by whichever process got there first.
        const applied = opened.flatMap((r) => r.migration.applied).sort((a, b) => a - b);
        expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
        const rows = await databaseOf(opened[0]!).query<{ version: number }>(
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        expect(rows.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
        // A later migration is applied on the next open, once.
        const probe = SCHEMA_VERSION + 1;
        const next = [...MIGRATIONS, { version: probe, name: 'probe', sql: 'CREATE TABLE probe (x int)' }];
        expect(await migrate(databaseOf(opened[0]!), next)).toEqual({
          from: SCHEMA_VERSION,
          to: probe,
          applied: [probe],
        });
        expect(await migrate(databaseOf(opened[1]!), next)).toEqual({ from: probe, to: probe, applied: [] });
        await expect(Registry.open(db.url)).rejects.toBeInstanceOf(SchemaTooNewError);
      } finally {
        await Promise.all(opened.map((r) => r.close()));
      }
    } finally {
      await db.drop();
    }
  });

  it('names the server without its password when it cannot connect', async () => {
    const u = new URL(lab.url);
    u.password = 'wrong-secret';
    const failing = Registry.open(u.toString());
    await expect(failing).rejects.toMatchObject({ code: 'REGISTRY_STORAGE' });
    await expect(failing).rejects.not.toThrow(/wrong-secret/);
  });
});
