import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialQueryPassword } from '../../src/office/index.js';
import { ensureBuilt } from '../package/ensure-built.js';
import { Browser } from '../office/portal/client.js';
import { cli } from './run-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'src/cli/bin.ts');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const CSS = readFileSync(join(ROOT, 'src/office/portal/assets/portal.css'), 'utf8');

interface Served {
  child: ChildProcess;
  url: string;
  output: () => { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** Starts `sscard office serve` in a child process and waits for the line with its address. */
function serve(args: string[], cwd: string): Promise<Served> {
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise<Served>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`office serve did not start in time: ${stdout}${stderr}`)),
      150_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const m = /portal listening on (http:\/\/\S+)/.exec(stdout);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => ({ stdout, stderr }), exited });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`office serve exited (${code}) before listening: ${stdout}${stderr}`));
    });
  });
}

async function stop(served: Served): Promise<number | null> {
  served.child.kill('SIGTERM');
  return served.exited;
}

// Each run opens an embedded store in a child process: tens of seconds on a busy machine.
describe('sscard office serve', { timeout: 300_000 }, () => {
  let dir: string;
  let db: string;
  let cardNumber: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sscard-office-serve-'));
    db = `file:${join(dir, 'registry')}`;
    const issued = await cli(
      'office',
      'issue',
      '--sample',
      'zhang-wei',
      '--card',
      join(dir, 'zhang.json'),
      '--db',
      db,
      '--json',
    );
    expect(issued.code).toBe(0);
    cardNumber = JSON.parse(issued.stdout).cardNumber;
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the portal on loopback from the sources: sign-in and status on the registry, then stops on SIGTERM', async () => {
    const served = await serve(
      ['--import', TSX, BIN, 'office', 'serve', '--db', db, '--port', '0', '--terminal', 'portal-cli-test'],
      dir,
    );
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+\/$/);
      expect(served.output().stdout).toContain(`(registry ${db}, pglite)`);
      const b = new Browser(served.url);
      const page = await b.get('/sign-in');
      expect(page.status).toBe(200);
      expect(page.body).toContain('信息查询密码');
      expect(
        (await b.post('/sign-in', { account: cardNumber, password: initialQueryPassword(cardNumber) })).status,
      ).toBe(303);
      const status = await b.get('/status');
      expect(status.body).toContain('张伟');
      expect(status.body).toContain(cardNumber);
    } finally {
      expect(await stop(served)).toBe(0);
    }
    expect(served.output().stdout).toContain('portal stopped');
    const history = JSON.parse((await cli('office', 'history', cardNumber, '--db', db, '--json')).stdout) as Array<{
      operation: string;
      terminalId: string;
      role: string;
      channel: string;
    }>;
    expect(history.at(-1)).toMatchObject({
      operation: 'query_password_sign_in',
      terminalId: 'portal-cli-test',
      role: 'portal',
      channel: 'online',
    });
  });

  it('the built CLI carries the stylesheet inside the bundle and serves it', async () => {
    // The package's own build (dist/cli/lib, compiled through the code cache), as a user runs it.
    ensureBuilt();
    const served = await serve(
      [join(ROOT, 'dist', 'cli', 'bin.js'), 'office', 'serve', '--db', db, '--port', '0'],
      dir,
    );
    try {
      const page = await new Browser(served.url).get('/sign-in');
      const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.body)![1]!;
      const css = await new Browser(served.url).get(href);
      expect(css.status).toBe(200);
      expect(css.body).toBe(CSS);
    } finally {
      expect(await stop(served)).toBe(0);
    }
  }, 300_000);

  it('refuses a port that is not a number', async () => {
    const r = await cli('office', 'serve', '--port', 'http', '--db', db);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('must be a port number');
  });
});
