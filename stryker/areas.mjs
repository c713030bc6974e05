// The areas `npm run mutate` measures: which sources Stryker mutates and which test files may
// kill their mutants. Each area runs only its own tests, so a score says what those tests catch
// (a mutant killed by some far-away end-to-end test does not count for the area).

/** @type {Record<string, { mutate: string[]; testFiles: string[] }>} */
export const AREAS = {
  pin: {
    mutate: ['src/pin/**/*.ts', '!src/pin/index.ts'],
    testFiles: ['test/pin/**/*.test.ts'],
  },
  'card-pin': {
    mutate: ['src/card-sim/os/handlers/pin.ts', 'src/card-sim/fs/pins.ts', 'src/card-sim/os/pin-digits.ts'],
    testFiles: [
      'test/card-sim/pin.test.ts',
      'test/card-sim/card-pin-refusals.test.ts',
      'test/card-sim/pin-digits.test.ts',
      'test/card-sim/pin-model.test.ts',
      'test/card-sim/pin-pboc.test.ts',
      'test/card-sim/issuer-pin.test.ts',
      'test/card-sim/pin-change-script.test.ts',
      'test/card-sim/lifecycle.test.ts',
      // A try made durable before the comparison, and a VERIFY sent from inside that save.
      'test/card-sim/persistence.test.ts',
    ],
  },
  apdu: {
    mutate: ['src/apdu/**/*.ts', '!src/apdu/index.ts'],
    testFiles: ['test/apdu/**/*.test.ts'],
  },
  channel: {
    // channel.ts and the parts split out of it: its lock, the T=0 response handling and the
    // long-lived deadline timer that bounds each exchange.
    mutate: [
      'src/terminal/channel.ts',
      'src/terminal/channel-lock.ts',
      'src/terminal/t0-response.ts',
      'src/terminal/deadline-watch.ts',
    ],
    testFiles: [
      'test/terminal/channel.test.ts',
      'test/terminal/channel-limits.test.ts',
      'test/terminal/channel-seams.test.ts',
      'test/terminal/deadline-watch.test.ts',
      'test/terminal/abort.test.ts',
      'test/terminal/trace.test.ts',
      'test/terminal/concurrency.property.test.ts',
      'test/terminal/hostile-card.property.test.ts',
    ],
  },
  'image-seal': {
    mutate: ['src/card-sim/image-seal.ts', 'src/card-sim/image-key.ts', 'src/card-sim/image-format.ts'],
    testFiles: [
      'test/card-sim/image-seal.test.ts',
      'test/card-sim/image-key.test.ts',
      'test/card-sim/image-key-edges.test.ts',
      'test/card-sim/image-key-links.test.ts',
      'test/card-sim/image.test.ts',
      'test/card-sim/image-format.test.ts',
      'test/card-sim/image-secrets.test.ts',
    ],
  },
  'image-log': {
    // What a PIN try costs on a card opened from its image: the counter change (a delta) sealed
    // and fsync'd to the image's write-ahead log before the comparison, and replayed by readers.
    mutate: ['src/card-sim/image-log.ts', 'src/card-sim/state/delta.ts'],
    testFiles: [
      'test/card-sim/image-log.test.ts',
      'test/card-sim/image-log-records.test.ts',
      'test/card-sim/persistence.test.ts',
    ],
  },
  'registry-rules': {
    mutate: [
      'src/office/states.ts',
      'src/office/loss/checks.ts',
      'src/office/loss/settings.ts',
      'src/office/password/rules.ts',
    ],
    // The rules are functions: their own tests call them directly. The registry suites that go
    // through them (loss, query-password) run every test on both storage backends, open a
    // registry per run and need the PostgreSQL lab: minutes per mutant for nothing the rule
    // tests do not check, so they are not part of the area.
    testFiles: [
      'test/office/rules.test.ts',
      'test/office/loss-rules.test.ts',
      'test/office/loss/checks.test.ts',
      'test/office/loss/settings.test.ts',
      'test/office/password/hash.test.ts',
      'test/office/password/rules.test.ts',
    ],
  },
  'hotline-menu': {
    // The 12333 voice menu: what a caller may key, how often, and that PIN digits reach only the
    // office. The menu's own tests drive it against a fake office, in milliseconds per call.
    mutate: ['src/office/hotline/menu.ts', 'src/office/hotline/menu-effects.ts', 'src/office/hotline/prompts.ts'],
    testFiles: [
      'test/office/hotline/menu.test.ts',
      'test/office/hotline/menu-keys.test.ts',
      'test/office/hotline/menu-prompts.test.ts',
    ],
  },
  'window-pin': {
    // PIN reset and unlock at the service window with the issuer's keys, the registry's record of
    // them and the card's refusals. The rules have their own tests, called directly; the window
    // suites open a registry per test (PGlite; PostgreSQL too when the lab is up), so an area run
    // takes half an hour on a busy machine.
    mutate: ['src/office/window/pin-operations.ts'],
    testFiles: [
      'test/office/window/pin-operations.test.ts',
      'test/office/window/service-window.test.ts',
      'test/office/window/bank-and-correction.test.ts',
    ],
  },
  'hotline-host': {
    // The office behind the phone menu and the online terminal: the card found by its digits and
    // the holder's ID number, the notices of earlier PIN changes, the PIN change queued, the loss
    // reported, and the issuer host that hands the queued script to a terminal, MACs it and takes
    // the card's answer. Its suites open a registry per test (PGlite; PostgreSQL too with the lab).
    mutate: ['src/office/hotline/service.ts', 'src/office/hotline/issuer-host.ts'],
    testFiles: [
      'test/office/hotline/notices.test.ts',
      'test/office/hotline/service.test.ts',
      'test/office/hotline/pin-change-lifecycle.test.ts',
      'test/office/hotline/loss-by-phone.test.ts',
    ],
  },
  'pcscd-socket': {
    // The backend that speaks pcscd's own protocol on its socket: framing, the version handshake,
    // each call's fields and refusals, the request buffer, card status and the reader watch. Its
    // own tests run it against a pcscd stand-in; the transport contract suite and the reader
    // listing run it against the real pcscd, and skip without the PC/SC lab (scripts/pcsc-lab up).
    mutate: ['src/terminal/pcsc/pcscd-socket-backend.ts'],
    testFiles: [
      'test/terminal/pcsc/pcscd-socket-backend.test.ts',
      'test/terminal/pcsc/pcscd-socket-backend-calls.test.ts',
      'test/terminal/pcsc/pcscd-protocol.test.ts',
      'test/terminal/pcsc/pcscd-socket-transport.test.ts',
      'test/terminal/pcsc/readers.test.ts',
    ],
  },
};

// Property tests carry their seed in their names (test.prop): one fixed seed keeps the names the
// same in the dry run, in every mutant run and from one incremental run to the next. A different
// FC_SEED from the environment explores other inputs (and starts a new incremental baseline).
process.env.FC_SEED ??= '1607';

/** The Stryker configuration of one area; reports and the incremental file go to .tmp/mutation/AREA/. */
export function areaConfig(name) {
  const area = AREAS[name];
  if (area === undefined) throw new Error(`no mutation area ${name}: one of ${Object.keys(AREAS).join(', ')}`);
  const out = `.tmp/mutation/${name}`;
  return {
    packageManager: 'npm',
    testRunner: 'vitest',
    vitest: { configFile: 'vitest.config.ts', related: false },
    mutate: area.mutate,
    testFiles: area.testFiles,
    coverageAnalysis: 'perTest',
    // Static mutants (a module-level constant such as DEFAULT_PIN_POLICY) need the module loaded
    // anew; with vitest 4.1 the runner does not, so each one "survives" even where a test fails
    // on it by hand. They are left out rather than counted as gaps (see docs/testing.md).
    ignoreStatic: true,
    // The machine is shared: two workers at most, and a generous timeout so a slow moment is not
    // taken for a mutant that loops.
    concurrency: 2,
    timeoutMS: 15_000,
    reporters: ['clear-text', 'progress', 'html', 'json'],
    htmlReporter: { fileName: `${out}/index.html` },
    jsonReporter: { fileName: `${out}/mutation.json` },
    incrementalFile: `${out}/incremental.json`,
    tempDirName: '.tmp/stryker',
    ignorePatterns: ['dist', '.tmp', 'docs', 'bench', 'coverage', 'sscard-office', 'examples'],
    thresholds: { high: 90, low: 80, break: null },
    cleanTempDir: 'always',
  };
}
