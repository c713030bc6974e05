import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe as group, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'bin.ts');

/** Runs the real executable entry point in a child process (stdout is a pipe, not a TTY). */
function sscard(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sscard-bin-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

group('sscard executable', () => {
  it('creates, drives and shows a card, without colour codes on a pipe', () => {
    const image = join(dir, 'card.json');
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

  it('exits non-zero with one line on bad input', () => {
    const missing = sscard('card', 'show', join(dir, 'none.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`sscard: card image ${join(dir, 'none.json')}: file not found [CARD_IMAGE_NOT_FOUND]\n`);
    const unknown = sscard('frobnicate');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });
});
