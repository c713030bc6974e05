import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeEach, expect, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/pin-input.js';
import type { CardImageDir } from '../support/card-image.js';
import { tempDirPerSuite, tempDirPerTest, type TempDir } from '../support/temp-dir.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process, capturing what it writes to stdout and stderr. */
export function cli(...args: string[]): Promise<CliRun> {
  return cliWith({}, ...args);
}

/**
 * Runs the CLI with `stdin` as its standard input (a pipe, not a terminal), e.g. PIN lines for
 * --pin-stdin.
 */
export function cliWithStdin(stdin: string, ...args: string[]): Promise<CliRun> {
  return cliWith({ stdin: Readable.from([Buffer.from(stdin, 'utf8')]) }, ...args);
}

async function cliWith(io: Partial<CliIo>, ...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    const code = await runCli(args, io);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A temporary directory for each test, holding a new card's image made by `sscard card new`. */
export function newCardImagePerTest(prefix: string): CardImageDir {
  const tmp = tempDirPerTest(prefix);
  const files = {
    get path(): string {
      return tmp.path;
    },
    get image(): string {
      return join(tmp.path, 'card.json');
    },
  };
  beforeEach(async () => {
    expect((await cli('card', 'new', files.image)).code).toBe(0);
  });
  return files;
}

export interface EmbeddedRegistryDir extends TempDir {
  /** The embedded registry in the directory, as `--db` takes it: `file:<directory>/registry`. */
  readonly db: string;
}

/**
 * One temporary directory for the describe block that calls this (see tempDirPerSuite), with an
 * embedded registry in it: opening one takes seconds, so a suite shares it across its tests.
 */
export function embeddedRegistryPerSuite(prefix: string): EmbeddedRegistryDir {
  const tmp = tempDirPerSuite(prefix);
  return {
    get path(): string {
      return tmp.path;
    },
    get db(): string {
      return `file:${join(tmp.path, 'registry')}`;
    },
  };
}
