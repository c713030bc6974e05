import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

export interface TempDir {
  /** The directory of the running test. */
  readonly path: string;
}

/**
 * A fresh temporary directory for each test of the file (or describe block) that calls this,
 * removed after the test.
 */
export function tempDirPerTest(prefix: string): TempDir {
  let path: string | undefined;
  beforeEach(() => {
    path = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    if (path !== undefined) rmSync(path, { recursive: true, force: true });
    path = undefined;
  });
  return {
    get path(): string {
      if (path === undefined) throw new Error('the temporary directory exists only while a test runs');
      return path;
    },
  };
}

/**
 * One temporary directory for the whole file (or describe block) that calls this, created before
 * its first test and removed after its last: for suites whose tests build on one another.
 */
export function tempDirPerSuite(prefix: string): TempDir {
  let path: string | undefined;
  beforeAll(() => {
    path = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (path !== undefined) rmSync(path, { recursive: true, force: true });
    path = undefined;
  });
  return {
    get path(): string {
      if (path === undefined) throw new Error('the temporary directory exists only while the suite runs');
      return path;
    },
  };
}
