import { defineConfig } from 'tsup';

// One entry per public area (mirrors the package.json "exports" map) plus the CLI.
const areas = ['apdu', 'pin', 'records', 'keys', 'card-sim', 'terminal', 'bridge', 'office'];

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    ...Object.fromEntries(areas.map((area) => [`${area}/index`, `src/${area}/index.ts`])),
    'cli/bin': 'src/cli/bin.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  // Native PC/SC bindings and the registry's database drivers are optional and loaded lazily at
  // run time: never bundle them.
  external: ['smartcard', 'pcsclite', '@electric-sql/pglite', 'pg'],
});
