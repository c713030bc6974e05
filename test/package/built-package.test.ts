/**
 * Imports the *built* package the way a user's project does: by its name, through the
 * package.json "exports" map, once as ESM and once as CommonJS.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
  exports: Record<string, unknown>;
};
const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');

beforeAll(() => {
  execFileSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'pipe' });
}, 120_000);

function specifier(subpath: string): string {
  return subpath === '.' ? 'sscard' : `sscard/${subpath.slice(2)}`;
}

/** Runs a snippet in a fresh Node process inside the package, so self-reference by name works. */
function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

describe('built package', () => {
  it('exposes an export for every area', () => {
    expect(subpaths).toEqual(expect.arrayContaining(['.', './apdu', './pin']));
  });

  it.each(subpaths)('imports %s as ESM', (subpath) => {
    const out = runNode([
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(specifier(subpath))}); console.log(JSON.stringify(Object.keys(m).sort()));`,
    ]);
    const names = JSON.parse(out) as string[];
    expect(names.length).toBeGreaterThan(0);
  });

  it.each(subpaths)('requires %s as CommonJS', (subpath) => {
    const out = runNode([
      '-e',
      `const m = require(${JSON.stringify(specifier(subpath))}); console.log(JSON.stringify(Object.keys(m).sort()));`,
    ]);
    const names = JSON.parse(out) as string[];
    expect(names.length).toBeGreaterThan(0);
  });

  it('ESM and CJS builds behave the same on real input', () => {
    const snippet = (load: string) =>
      `${load}; const c = m.decodeCommand(m.fromHex('00A404000F7378312E73682EC9E7BBE1B1A3D5CF')); console.log(c.ins, c.p1, m.toHex(c.data), m.describe(0x63c2));`;
    const esm = runNode(['--input-type=module', '-e', snippet(`const m = await import('sscard/apdu')`)]);
    const cjs = runNode(['-e', snippet(`const m = require('sscard/apdu')`)]);
    expect(esm).toBe(cjs);
    expect(esm).toContain('164 4 7378312E73682EC9E7BBE1B1A3D5CF');
  });

  it('ships type declarations for both module systems', () => {
    const req = createRequire(import.meta.url);
    for (const subpath of subpaths) {
      const entry = pkg.exports[subpath] as { import: { types: string }; require: { types: string } };
      expect(() => req.resolve(`${root}/${entry.import.types}`)).not.toThrow();
      expect(() => req.resolve(`${root}/${entry.require.types}`)).not.toThrow();
    }
  });
});
