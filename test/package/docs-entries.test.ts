import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The API reference (`npm run docs`, TypeDoc) has one entry per package entry point, named as it is
 * imported: every "exports" subpath of package.json has its docs/entries file, and nothing else does.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
  scripts: Record<string, string>;
};
const typedoc = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as {
  entryPoints: string[];
  treatWarningsAsErrors: boolean;
  out: string;
};
// Code entry points only: package.json and the shipped JSON Schema are data, not modules.
const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json' && !k.endsWith('.json'));

describe('API reference entry points', () => {
  it('one per package entry point, and no other', () => {
    const expected = subpaths.map((p) => `docs/entries/${p === '.' ? 'sscard' : p.slice(2)}.ts`);
    expect([...typedoc.entryPoints].sort()).toEqual(expected.sort());
  });

  it.each(subpaths)("%s: named as imported, re-exporting the area's barrel", (subpath) => {
    const area = subpath === '.' ? undefined : subpath.slice(2);
    const text = readFileSync(join(ROOT, 'docs', 'entries', `${area ?? 'sscard'}.ts`), 'utf8');
    expect(text).toContain(`@module ${area === undefined ? 'sscard' : `sscard/${area}`}\n`);
    expect(text).toContain(`export * from '../../src/${area === undefined ? 'index' : `${area}/index`}.js';`);
  });

  it('npm run docs writes docs/api with warnings as errors', () => {
    expect(pkg.scripts.docs).toBe('typedoc');
    expect(typedoc.out).toBe('docs/api');
    expect(typedoc.treatWarningsAsErrors).toBe(true);
  });
});
