import fc from 'fast-check';

// One fast-check seed for the whole run, chosen in vitest.config.ts and handed to every worker
// through FC_SEED. `test.prop` puts the seed in the test's name, so with a random seed per file
// the names changed from run to run and a mutation tool (or `vitest -t`) could not find a
// property test again; with one seed per run the names are stable for that seed, and the seed
// printed at the start of the run replays it.
const seed = Number(process.env.FC_SEED);
if (Number.isInteger(seed)) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
