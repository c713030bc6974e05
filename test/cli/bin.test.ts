import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { tempDirPerTest } from '../support/temp-dir.js';

const BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'bin.ts');

/** Runs the real executable entry point in a child process (stdout is a pipe, not a TTY). */
function sscard(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the executable with its stdout closed from the start, as after `| head -0`; resolves its exit status and stderr. */
function sscardIntoClosedPipe(
  ...args: string[]
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

const tmp = tempDirPerTest('sscard-bin-');

group('sscard executable', () => {
  it('creates, drives and shows a card, without colour codes on a pipe', () => {
    const image = join(tmp.path, 'card.json');
    const created = sscard('card', 'new', image, '--spec', '3.00');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const sent = sscard('apdu', '--card', image, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '0020000003111111');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('< 63C2 2 tries left (wrong PIN or key, or a try counter query)');
    const shown = sscard('card', 'show', image);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/application PIN\s+2 of 3 tries left/);
    expect(shown.stdout + sent.stdout + created.stdout).not.toContain('\u001b[');
  });

  it('prints its version from package.json', () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(sscard('--version')).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(sscard('-V')).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(sscard('--help').stdout).toMatch(/-V, --version\s+print the sscard version/);
  });

  it('ends quietly with status 141 (as for SIGPIPE) when its stdout is closed, for every kind of command', async () => {
    const image = join(tmp.path, 'card.json');
    expect(sscard('card', 'new', image).code).toBe(0);
    const runs = await Promise.all([
      sscardIntoClosedPipe('card', 'show', image),
      sscardIntoClosedPipe('card', 'show', image, '--json'),
      sscardIntoClosedPipe('read', '--card', image, '--json'),
      sscardIntoClosedPipe('apdu', '--card', image, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '00B2072C00'),
      sscardIntoClosedPipe('demo'),
      sscardIntoClosedPipe('--help'),
      sscardIntoClosedPipe('--version'),
    ]);
    for (const r of runs) expect(r).toEqual({ code: 141, signal: null, stderr: '' });
    // The image's lock was let go on the way out.
    expect(existsSync(`${image}.lock`)).toBe(false);
  });

  it('exits non-zero with one line on bad input', () => {
    const missing = sscard('card', 'show', join(tmp.path, 'none.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `sscard: card image ${join(tmp.path, 'none.json')}: file not found [CARD_IMAGE_NOT_FOUND]\n`,
    );
    const unknown = sscard('frobnicate');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });
});
