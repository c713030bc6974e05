import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The README's SDK snippet ("## Using the SDK"), run as written against the built package (its
 * `sscard/...` imports resolve to dist/ through the package's exports), on the 3.00 card it names
 * and on a 2.00 card. Runs after the suite that rebuilds dist/ (vitest.config.ts: project 'dist').
 */

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function snippet(): string {
  const section = README.slice(README.indexOf('## Using the SDK'));
  const match = /```ts\n([\s\S]*?)```/u.exec(section);
  if (match?.[1] === undefined) throw new Error('README has no ts block under "## Using the SDK"');
  return match[1];
}

function run(code: string, name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Inside the package directory, so Node resolves `sscard/...` by self-reference.
  const dir = join(ROOT, '.tmp', 'readme-snippet');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, code);
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('README SDK snippet', () => {
  it('names the 3.00 sample card and opens it with a secure module', () => {
    expect(snippet()).toContain("samplePerson('li-xiuying')");
    expect(snippet()).toContain('{ psam }');
  });

  it.each([
    ['li-xiuying', '3.00', '李秀英', 5],
    ['zhang-wei', '2.00', '张伟', 2],
  ])('runs on %s (spec %s)', async (person, _spec, name, triesLeft) => {
    const code = snippet().replace("samplePerson('li-xiuying')", `samplePerson('${person}')`);
    const r = await run(code, person);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`name: '${name}'`);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`${triesLeft} tries left`);
  });
});
