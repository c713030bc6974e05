import { readFileSync, readdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// One entry per public area (mirrors the package.json "exports" map) plus the CLI.
const areas = ['apdu', 'pin', 'records', 'keys', 'card-sim', 'terminal', 'bridge', 'office'];

// The portal's page assets, inlined into the bundle as text (src/office/portal/assets.ts reads
// them from here, or from the folder when it runs from the sources).
const portalAssetDir = 'src/office/portal/assets';
export const portalAssets: Record<string, string> = Object.fromEntries(
  readdirSync(portalAssetDir)
    .filter((name) => name.endsWith('.css') || name.endsWith('.svg'))
    .sort()
    .map((name) => [name, readFileSync(`${portalAssetDir}/${name}`, 'utf8')]),
);

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    ...Object.fromEntries(areas.map((area) => [`${area}/index`, `src/${area}/index.ts`])),
    'cli/bin': 'src/cli/bin.ts',
  },
  // ES modules only, with shared chunks: every entry point imports the one copy of each class, so
  // `instanceof` holds across entry points. The CommonJS entry points are thin wrappers over these
  // (written by scripts/package-dist.mjs), and the declarations come from tsc (tsconfig.build.json).
  format: ['esm'],
  splitting: true,
  dts: false,
  // Not shipped: dist is plain, unminified JavaScript whose stack traces read as they are.
  sourcemap: false,
  clean: true,
  target: 'node20',
  platform: 'node',
  // Native PC/SC bindings and the registry's database drivers are optional and loaded lazily at
  // run time: never bundle them.
  external: ['smartcard', 'pcsclite', '@electric-sql/pglite', 'pg'],
  define: { __SSCARD_PORTAL_ASSETS__: JSON.stringify(portalAssets) },
});
