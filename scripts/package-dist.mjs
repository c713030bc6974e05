#!/usr/bin/env node
/**
 * The last build step (after tsup and tsc, see package.json "build"): turns dist/ into what the
 * package.json "exports" map promises, and fails the build when a promised file is missing.
 *
 * - CommonJS entry points: each `require` target is a one-line wrapper that loads the ES module
 *   entry with require(esm) (Node 20.19+, the package's engines floor). One implementation serves
 *   both module systems, so a class is the same object whether a program imports or requires it
 *   (no dual-package hazard).
 * - CommonJS declarations: a .d.cts twin of every .d.ts tsc wrote, with relative specifiers
 *   pointing at .cjs, so TypeScript reads `require('sscard/…')` as CommonJS under nodenext.
 * - dist/.build-complete, written last: tells the tests that the build finished (and when).
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const BUILD_STAMP = '.build-complete';

function fail(message) {
  process.stderr.write(`package-dist: ${message}\n`);
  process.exit(1);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

rmSync(join(dist, BUILD_STAMP), { force: true });
if (!existsSync(dist)) fail('dist/ does not exist: run tsup first');

// .d.ts -> .d.cts, relative module specifiers '.js' -> '.cjs' (from '…', import('…'), import '…').
const SPECIFIER = /((?:\bfrom|\bimport)\s*\(?\s*)(['"])(\.\.?\/[^'"]*?)\.js\2/g;
let declarations = 0;
for (const file of walk(dist)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), text.replace(SPECIFIER, '$1$2$3.cjs$2'));
  declarations++;
}
if (declarations === 0) fail('no .d.ts in dist/: run tsc -p tsconfig.build.json first');

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const targets = [];
for (const [subpath, entry] of Object.entries(pkg.exports)) {
  if (typeof entry === 'string') {
    targets.push([subpath, entry]);
    continue;
  }
  const esm = entry.import?.default;
  const cjs = entry.require?.default;
  if (typeof esm !== 'string' || typeof cjs !== 'string')
    fail(`exports["${subpath}"] needs import.default and require.default`);
  const from = posix.relative(posix.dirname(cjs), esm);
  writeFileSync(
    join(root, cjs),
    `'use strict';\n// CommonJS face of ${esm}: the same module, loaded with require(esm) (Node 20.19+).\n` +
      `module.exports = require('${from.startsWith('.') ? from : `./${from}`}');\n`,
  );
  for (const condition of ['import', 'require']) {
    for (const key of ['types', 'default']) targets.push([`${subpath} ${condition}.${key}`, entry[condition][key]]);
  }
}
const missing = targets.filter(([, file]) => !existsSync(join(root, file)));
if (missing.length > 0) {
  fail(`files the exports map names are missing:\n${missing.map(([where, file]) => `  ${where}: ${file}`).join('\n')}`);
}
writeFileSync(join(dist, BUILD_STAMP), `${new Date().toISOString()}\n`);
process.stdout.write(
  `package-dist: ${declarations} declaration files twinned as .d.cts, ${relative(root, dist)}/ complete\n`,
);
