import { afterEach, describe, expect, it, vi } from 'vitest';
import { RegistryDriverMissingError } from '../../src/office/index.js';

/*
 * The database drivers are optional: when one cannot be loaded, opening a registry that needs it
 * is a typed error with the install line, and installing it later works without a restart.
 */

afterEach(() => {
  vi.doUnmock('pg');
  vi.doUnmock('@electric-sql/pglite');
  vi.resetModules();
});

describe('optional database drivers', () => {
  it('a missing pg is REGISTRY_DRIVER_MISSING with the install line, and is not remembered', async () => {
    vi.doMock('pg', () => {
      throw new Error("Cannot find package 'pg'");
    });
    const { Registry } = await import('../../src/office/index.js');
    const failing = Registry.open('postgres://u:p@127.0.0.1:1/db');
    await expect(failing).rejects.toBeInstanceOf(RegistryDriverMissingError);
    await expect(failing).rejects.toMatchObject({ code: 'REGISTRY_DRIVER_MISSING', packageName: 'pg' });
    await expect(failing).rejects.toThrow('npm install pg@8.23.1');
    vi.doUnmock('pg');
    const { loadPg } = await import('../../src/office/storage/drivers.js');
    await expect(loadPg()).resolves.toHaveProperty('Pool');
  });

  it('a missing PGlite names its package and what it is for, and leaves no lock behind', async () => {
    vi.doMock('@electric-sql/pglite', () => {
      throw new Error("Cannot find package '@electric-sql/pglite'");
    });
    const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'sscard-office-driver-'));
    try {
      const { Registry } = await import('../../src/office/index.js');
      const failing = Registry.open(`file:${dir}`);
      await expect(failing).rejects.toMatchObject({
        code: 'REGISTRY_DRIVER_MISSING',
        packageName: '@electric-sql/pglite',
      });
      await expect(failing).rejects.toThrow(/embedded store.*npm install @electric-sql\/pglite@0\.5\.17/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
