import { readFileSync, readdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// One entry per public area (mirrors the package.json "exports" map) plus the CLI.
const areas = ['apdu', 'pin', 'records', 'keys', 'card-sim', 'terminal', 'bridge', 'office', 'inspector'];

// Page assets of the web parts, inlined into the bundle as text (one mechanism for both: each
// area's assets.ts reads them from its define, or from the folder when it runs from the sources).
function folderAssets(dir: string, extensions: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => extensions.some((ext) => name.endsWith(ext)))
      .sort()
      .map((name) => [name, readFileSync(`${dir}/${name}`, 'utf8')]),
  );
}

// The portal's stylesheet and icon (src/office/portal/assets.ts).
export const portalAssets: Record<string, string> = folderAssets('src/office/portal/assets', ['.css', '.svg']);
// The inspector's page, script and stylesheet (src/inspector/assets.ts).
export const inspectorAssets: Record<string, string> = folderAssets('src/inspector/page', ['.html', '.css', '.js']);

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
  // valibot is bundled, tree-shaken to the few schema functions the card OS uses (about 20 KB):
  // imported as a package, its whole 200 KB module is compiled by every command that opens a card
  // image, some 10 ms of a CLI command's start-up.
  noExternal: ['valibot'],
  // Each as a string literal of JSON (parsed where it is used): esbuild inlines a string at its use,
  // in the area's own chunk, while an object literal would be hoisted into the shared runtime chunk
  // that even `sscard --version` loads.
  define: {
    __SSCARD_PORTAL_ASSETS__: JSON.stringify(JSON.stringify(portalAssets)),
    __SSCARD_INSPECTOR_ASSETS__: JSON.stringify(JSON.stringify(inspectorAssets)),
  },
});
