import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSPECTOR_PORT } from '../../src/inspector/index.js';
import type { InspectorState } from '../../src/inspector/index.js';
import { cli } from './run-cli.js';
import { saveSampleImage } from '../support/card-image.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'src/cli/bin.ts');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('sscard inspect', { timeout: 120_000 }, () => {
  let dir: string;
  let image: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sscard-inspect-cli-'));
    image = join(dir, 'card.json');
    saveSampleImage(image, 'zhang-wei');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves a card image at rest, read-only, on loopback, until SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', TSX, BIN, 'inspect', image, '--listen', '0'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address in time: ${stdout}${stderr}`)), 90_000);
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString('utf8');
        const m = /: (http:\/\/127\.0\.0\.1:\d+\/) \(developer actions off\)/.exec(stdout);
        if (m !== null) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`exited (${code}): ${stdout}${stderr}`)));
    });
    expect(stdout).toContain(`inspector for ${image} at rest (read-only)`);
    const state = (await (await fetch(new URL('/api/state', url))).json()) as InspectorState;
    expect(state).toMatchObject({ readOnly: true, actions: false, card: { holder: '张伟', present: null } });
    const action = await fetch(new URL('/api/actions/reset-cold', url), {
      method: 'POST',
      headers: { Origin: url.replace(/\/$/, ''), 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(action.status).toBe(403);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('inspector stopped (SIGTERM)');
  });

  it('names a bad address, and a missing image', async () => {
    const bad = await cli('inspect', image, '--listen', 'localhost:99999');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/\[host:\]port/);
    const missing = await cli('inspect', join(dir, 'nope.json'), '--listen', '0');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.json.*\[CARD_IMAGE_NOT_FOUND\]/);
  });

  it('names the inspector default port in its help', async () => {
    const help = await cli('inspect', '--help');
    expect(help.stdout).toContain(`default 127.0.0.1:${DEFAULT_INSPECTOR_PORT}`);
  });

  it('sim serve: developer actions need the inspector', async () => {
    const r = await cli('sim', 'serve', '--card', image, '--inspect-actions');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--inspect-actions needs --inspect \[host:\]port .*\[SIM_SERVE\]/);
  });
});
