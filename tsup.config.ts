import { readFileSync, readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { defineConfig } from 'tsup';
import type { Plugin } from 'esbuild';

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

/*
 * A `require('events')` in a bundled CommonJS package (commander, picocolors) is left by esbuild
 * as a call to its `__require`, which throws in an ES module (there is no `require` there). Each
 * such Node module is given as a small CommonJS module that takes it from
 * process.getBuiltinModule (Node 20.16+; the package needs 20.19).
 */
const LAZY_BUILTINS = new Set(['child_process']);

const bundledBuiltins: Plugin = {
  name: 'bundled-builtins',
  setup(build) {
    build.onResolve({ filter: /^[a-z_]+$|^node:/ }, (args) => {
      if (args.kind !== 'require-call' || !isBuiltin(args.path)) return undefined;
      return { path: args.path.replace(/^node:/, ''), namespace: 'node-builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => {
      const get = `process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)})`;
      // commander requires child_process at load for executable subcommands, which sscard has
      // none of: it is loaded on first use, not by every command (it brings net and dgram).
      if (LAZY_BUILTINS.has(args.path)) {
        return {
          contents: `let m; module.exports = new Proxy({}, { get: (_, key) => (m ??= ${get})[key] });`,
          loader: 'js',
        };
      }
      return { contents: `module.exports = ${get};`, loader: 'js' };
    });
  },
};

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
  // image, some 10 ms of a CLI command's start-up. commander and picocolors (CommonJS, the command
  // line's) are bundled too: imported as packages, every command resolves them through
  // node_modules and translates them from CommonJS (some 40 M instructions, 8 ms).
  noExternal: ['valibot', 'commander', 'picocolors'],
  esbuildPlugins: [bundledBuiltins],
  // Node modules keep their `node:` prefix (tsup would strip it before bundledBuiltins sees them).
  removeNodeProtocol: false,
  // Each as a string literal of JSON (parsed where it is used): esbuild inlines a string at its use,
  // in the area's own chunk, while an object literal would be hoisted into the shared runtime chunk
  // that even `sscard --version` loads.
  define: {
    __SSCARD_PORTAL_ASSETS__: JSON.stringify(JSON.stringify(portalAssets)),
    __SSCARD_INSPECTOR_ASSETS__: JSON.stringify(JSON.stringify(inspectorAssets)),
  },
});
