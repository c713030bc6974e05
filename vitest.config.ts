import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// fast-check's seed for this run: FC_SEED when given (to replay a run, or to keep the property
// tests' names stable across the runs of a mutation test), else a fresh one, printed so a failure
// can be replayed. Set in the environment here so every worker, and every vitest a mutation-test
// worker starts from this config, uses the same one (test/support/fast-check-seed.ts applies it).
if (process.env.FC_SEED === undefined) {
  process.env.FC_SEED = String(Math.floor(Math.random() * 0x7fffffff));
  console.log(`fast-check seed ${process.env.FC_SEED} (FC_SEED=${process.env.FC_SEED} replays it)`);
}

export default defineConfig({
  test: {
    // Card images are sealed under the per-user image key: the suite (and every process it starts)
    // keeps its key file in .tmp/, never in the developer's own ~/.config/sscard, and reads images
    // from before sealing unless a test says otherwise.
    env: {
      XDG_CONFIG_HOME: fileURLToPath(new URL('./.tmp/test-config', import.meta.url)),
      SSCARD_IMAGE_KEY: '',
      SSCARD_REFUSE_UNSEALED: '',
    },
    testTimeout: 30_000,
    setupFiles: ['test/support/fast-check-seed.ts'],
    hookTimeout: 60_000,
    // The JSON report is what .ci/run reads to print its "N passed, M failed" line, so a run that
    // executed no test cannot pass unseen.
    reporters: ['default', 'json'],
    outputFile: { json: '.tmp/vitest-report.json' },
    projects: [
      { extends: true, test: { name: 'sscard', include: ['test/**/*.test.ts'], exclude: ['test/**/*.dist.test.ts'] } },
      {
        // Tests of the built package by name (`sscard/...` resolves to dist/ through "exports"): the
        // examples' own tests and the *.dist tests. They run after the suite above, whose
        // built-package test rebuilds dist/ (cleaning it first), never during that.
        extends: true,
        test: {
          name: 'dist',
          include: ['examples/**/*.test.ts', 'test/**/*.dist.test.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
