// npm run mutate -- [AREA...] [--incremental] [--force] [other Stryker options]
// Mutation testing (Stryker) of the areas in stryker/areas.mjs, one after the other (all when
// none is named). --incremental reuses the previous run's results for what did not change, so
// after a change only the touched mutants and tests run again; --force redoes an area in full
// (and rewrites its incremental file). Everything from the first option on goes to Stryker as it
// is, e.g. `npm run mutate -- apdu --incremental --mutate src/apdu/tlv.ts` for one file.
// Reports: .tmp/mutation/AREA/index.html and mutation.json.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AREAS } from '../stryker/areas.mjs';

const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('-'));
const names = firstOption < 0 ? args : args.slice(0, firstOption);
const options = firstOption < 0 ? [] : args.slice(firstOption);
const unknown = names.find((n) => !(n in AREAS));
if (unknown !== undefined) {
  console.error(
    `no mutation area ${unknown}; usage: npm run mutate -- [${Object.keys(AREAS).join('|')} ...] [--incremental] [--force]`,
  );
  process.exit(2);
}
const stryker = fileURLToPath(new URL('../node_modules/@stryker-mutator/core/bin/stryker.js', import.meta.url));
// Stopping this script stops the Stryker run it started (and so its workers), not only itself.
let running;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    running?.kill(signal);
    process.exit(1);
  });
}
let failed = false;
for (const name of names.length > 0 ? names : Object.keys(AREAS)) {
  console.log(`\n== mutation testing: ${name} (FC_SEED=${process.env.FC_SEED})`);
  running = spawn(process.execPath, [stryker, 'run', `stryker/${name}.config.mjs`, ...options], { stdio: 'inherit' });
  const status = await new Promise((resolve) => running.on('close', (code) => resolve(code)));
  if (status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
