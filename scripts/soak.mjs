#!/usr/bin/env node
/**
 * `npm run soak`: the reliability and security tests at the counts docs/reliability.md and
 * docs/security.md publish (SSCARD_SOAK=1: 1,000,000 fuzzed APDUs or more, 1,000 kills, 10,000 PIN
 * guesses, 20,000 random edits of a sealed image, 120 concurrent decrements, the whole CLI table
 * also through the real executable). `npm test` runs the same tests at small counts. Prints the
 * figures each test measured (.tmp/figures) at the end; the exit status is vitest's.
 *
 *   npm run soak [-- <vitest options>]
 *   SSCARD_SOAK_KILLS=200 npm run soak      one test at another count (FUZZ per protocol, GUESSES,
 *                                           TAMPER, KILLS, ROUNDS), e.g. to fit the time there is
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const figures = join(root, '.tmp', 'figures');
const FILES = [
  'test/card-sim/fuzz.test.ts',
  'test/card-sim/pin-model.test.ts',
  'test/card-sim/image.test.ts',
  'test/card-sim/image-seal.test.ts',
  'test/cli/apdu-parallel.test.ts',
  'test/cli/bad-input.test.ts',
];

rmSync(figures, { recursive: true, force: true });
const started = Date.now();
const run = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--project',
    'sscard',
    ...FILES,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SSCARD_SOAK: '1' } },
);
console.log(`\nsoak figures (${Math.round((Date.now() - started) / 60_000)} min):`);
if (existsSync(figures)) {
  for (const name of readdirSync(figures).sort()) {
    const { soak, ...values } = JSON.parse(readFileSync(join(figures, name), 'utf8'));
    const shown = Object.entries(values)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en') : v}`)
      .join(', ');
    console.log(`  ${name.replace(/\.json$/, '').padEnd(24)} ${shown}${soak ? '' : ' (not a soak count)'}`);
  }
}
process.exit(run.status ?? 1);
