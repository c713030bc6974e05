import { defineConfig } from 'tsup';

// One entry per public area (mirrors the package.json "exports" map) plus the CLI.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'apdu/index': 'src/apdu/index.ts',
    'pin/index': 'src/pin/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  // Native PC/SC bindings are optional and loaded lazily at run time: never bundle them.
  external: ['smartcard', 'pcsclite'],
});
