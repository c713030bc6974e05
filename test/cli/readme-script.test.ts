import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { tempDirPerTest } from '../support/temp-dir.js';
import { cli } from './run-cli.js';

/* The README's example APDU script, as a reader copies it: it runs on a new card, and again. */

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The ```text block that follows the README's description of APDU scripts. */
function readmeScript(): string {
  const from = README.indexOf('An APDU script is one APDU');
  const block = /```text\n([\s\S]*?)```/.exec(README.slice(from));
  if (from < 0 || block === null) throw new Error('README: no example APDU script');
  return block[1] as string;
}

const tmp = tempDirPerTest('sscard-readme-');

group('the README example script', () => {
  it('runs on a new card and then again, with the same answers', async () => {
    const script = readmeScript();
    expect(script).toContain('00 20 00 00 03 11 11 11');
    const file = join(tmp.path, 'session.apdu');
    writeFileSync(file, script);
    const image = join(tmp.path, 'card.json');
    expect((await cli('card', 'new', image)).code).toBe(0);
    const first = await cli('script', file, '--card', image);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const second = await cli('script', file, '--card', image);
    expect(second).toEqual(first);
    expect((await cli('pin', 'status', '--card', image)).stdout).toBe('application PIN: 3 tries left\n');
  });
});
