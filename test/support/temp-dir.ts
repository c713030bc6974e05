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
  return tempDirBetween(prefix, beforeEach, afterEach, 'a test');
}

/**
 * One temporary directory for the whole file (or describe block) that calls this, created before
 * its first test and removed after its last: for suites whose tests build on one another.
 */
export function tempDirPerSuite(prefix: string): TempDir {
  return tempDirBetween(prefix, beforeAll, afterAll, 'the suite');
}

function tempDirBetween(
  prefix: string,
  before: (fn: () => void) => void,
  after: (fn: () => void) => void,
  lifetime: string,
): TempDir {
  let path: string | undefined;
  before(() => {
    path = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => {
    if (path !== undefined) rmSync(path, { recursive: true, force: true });
    path = undefined;
  });
  return {
    get path(): string {
      if (path === undefined) throw new Error(`the temporary directory exists only while ${lifetime} runs`);
      return path;
    },
  };
}
