// npm run mutate -- [AREA...] [--incremental] [--force]
// Mutation testing (Stryker) of the areas in stryker/areas.mjs, one after the other (all when
// none is named). --incremental reuses the previous run's results for what did not change, so
// after a change only the touched mutants and tests run again; --force redoes an area in full
// (and rewrites its incremental file). Reports: .tmp/mutation/AREA/index.html and mutation.json.
import { spawnSync } from 'node:child_process';
import { AREAS } from '../stryker/areas.mjs';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const names = args.filter((a) => !a.startsWith('--'));
const unknownFlag = flags.find((f) => f !== '--incremental' && f !== '--force');
const unknownArea = names.find((n) => !(n in AREAS));
if (unknownFlag !== undefined || unknownArea !== undefined) {
  console.error(`usage: npm run mutate -- [${Object.keys(AREAS).join('|')} ...] [--incremental] [--force]`);
  process.exit(2);
}
const stryker = new URL('../node_modules/@stryker-mutator/core/bin/stryker.js', import.meta.url);
let failed = false;
for (const name of names.length > 0 ? names : Object.keys(AREAS)) {
  console.log(`\n== mutation testing: ${name} (FC_SEED=${process.env.FC_SEED})`);
  const run = spawnSync(process.execPath, [stryker.pathname, 'run', `stryker/${name}.config.mjs`, ...flags], {
    stdio: 'inherit',
  });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
