import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import type { Options } from 'tsup';
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

// What both builds share: Node 20, the optional native and database packages loaded at run time,
// the bundled packages and the page assets inlined.
const shared = {
  target: 'node20',
  platform: 'node',
  dts: false,
  // Not shipped: dist is plain, unminified JavaScript whose stack traces read as they are.
  sourcemap: false,
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
} satisfies Options;

/** The library: one ES module entry per area, and the executable `dist/cli/bin.js`. */
export const libraryConfig: Options = {
  ...shared,
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
  clean: true,
  // The executable runs the command line from its own chunks (cliBundleConfig); it imports
  // ./main.js only when run from the sources, where there are none.
  external: [...shared.external, './main.js'],
};

/*
 * The command line as CommonJS files in dist/cli/lib/, which the executable compiles with V8's
 * code cache (src/cli/compile-cache.ts): from the second run of a command on, the functions it
 * runs come compiled from the cache instead of being parsed and compiled again. Node 20 has no
 * code cache for ES modules, so the CLI is built as ES module chunks (split as the library is:
 * a command loads only the chunks it uses) and each chunk is then turned into CommonJS. Built
 * after the library (tsup runs the configs of one file in parallel, and the library's build
 * empties dist/ first).
 */
const CLI_ESM_DIR = 'dist/cli/.esm';
const CLI_LIB_DIR = 'dist/cli/lib';
/** What a chunk calls for import() of a package (see src/cli/compile-cache.ts). */
const ESM_IMPORT = '__importPackage';
/** What a chunk sets its exports on (its `exports`). */
const CHUNK_EXPORTS = '__chunkExports';

/** Each ES module chunk of the CLI as a CommonJS file (`x.js` -> `x.cjs`), then the chunks go. */
async function commonJsChunks(): Promise<void> {
  const { transform } = await import('esbuild');
  rmSync(CLI_LIB_DIR, { recursive: true, force: true });
  mkdirSync(CLI_LIB_DIR, { recursive: true });
  for (const name of readdirSync(CLI_ESM_DIR)) {
    if (!name.endsWith('.js')) continue;
    const esm = readFileSync(`${CLI_ESM_DIR}/${name}`, 'utf8')
      // A chunk loaded on demand: through the loader's require, so it too is compiled with the
      // cache (import() would hand it to Node's ES module loader). Optional packages keep import().
      .replace(/\bimport\("(\.\/[\w.-]+)\.js"\)/g, 'Promise.resolve().then(() => require("$1.cjs"))')
      // The lines naming each module's source (`// src/cli/read.ts`) survive the transform as legal
      // comments (`//! src/cli/read.ts`): a reader of dist, and the package tests, see what is where.
      .replace(/^\/\/ ((?:src|node_modules)\/\S+)$/gm, '//! $1')
      // import() of an optional package named by a variable (PGlite, the PC/SC bindings) through the
      // loader's own import(): in code compiled by the vm module, import() needs a callback that
      // Node 20 calls experimental, and V8 drops it from code taken from a cache.
      .replace(/\bimport\((?=[A-Za-z_$][\w$]*\))/g, `${ESM_IMPORT}(`);
    const { body, exported } = splitExportList(esm, name);
    // What the loader cannot give a chunk: any other import() (of a package named by a literal, or
    // the words in a string, which the rewrite above must not touch either), import.meta.*.
    const unsupported = /\bimport\(|\bimport\.meta\.(?!url\b)/.exec(body);
    if (unsupported !== null) throw new Error(`${name}: ${unsupported[0]} in the CLI (see src/cli/compile-cache.ts)`);
    // Set at the chunk's end, in its own code, so that an export it imported from another chunk
    // is read through that chunk's exports like any other use.
    const exportsAtEnd = exported.map(([local, as]) => `${CHUNK_EXPORTS}.${as} = ${local};`).join('\n');
    const { code } = await transform(`${body}\n${exportsAtEnd}\n`, {
      format: 'cjs',
      loader: 'js',
      target: 'node20',
      platform: 'node',
      // ASCII only (other characters escaped): V8 then holds a chunk's source as one byte a
      // character, and the loader reads it without UTF-8 decoding.
      charset: 'ascii',
      legalComments: 'inline',
      // The chunk's own file URL (the package's version, createRequire of iconv-lite and buffer-layout).
      define: { 'import.meta.url': '__moduleUrl' },
      banner: [
        '"use strict";',
        // Exports as plain properties, set once the chunk has run: esbuild's own CommonJS exports
        // are getters (two a call from another chunk), which made the card OS's transmit 30 % slower.
        `var ${CHUNK_EXPORTS} = exports;`,
        esm.includes('import.meta.url') ? 'var __moduleUrl = require("node:url").pathToFileURL(__filename).href;' : '',
        esm.includes(`${ESM_IMPORT}(`)
          ? `var ${ESM_IMPORT} = globalThis[Symbol.for("sscard.import")] ?? ((specifier) => import(specifier));`
          : '',
      ].join('\n'),
    });
    const commonJs = code.replace(/\brequire\("(\.\/[\w.-]+)\.js"\)/g, 'require("$1.cjs")');
    writeFileSync(`${CLI_LIB_DIR}/${name.replace(/\.js$/, '.cjs')}`, asciiOnly(commonJs));
  }
  rmSync(CLI_ESM_DIR, { recursive: true, force: true });
}

/**
 * A chunk without its closing `export { a, b as c };` (esbuild writes one list, last), and that
 * list as [local, exported] pairs. Importers read a chunk's exports when they call them, never while
 * it runs, so the exports may be set at its end (commonJsChunks).
 */
function splitExportList(esm: string, name: string): { body: string; exported: [string, string][] } {
  const list = /\nexport \{([^}]*)\};\s*$/.exec(esm);
  const body = list === null ? esm : esm.slice(0, list.index + 1);
  if (/^export\b/m.test(body)) throw new Error(`${name}: an export other than the closing list`);
  const exported = (list?.[1] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item): [string, string] => {
      const [local, as = local] = item.split(/\s+as\s+/) as [string, string?];
      return [local, as];
    });
  return { body, exported };
}

/** Escapes what esbuild leaves outside ASCII (in comments it keeps), so the loader may read latin1. */
function asciiOnly(code: string): string {
  // Code units, so a character outside the BMP becomes its surrogate pair, which JavaScript reads back.
  return code.replace(/[^\t\n\r\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export const cliBundleConfig: Options = {
  ...shared,
  entry: { sscard: 'src/cli/main.ts' },
  outDir: CLI_ESM_DIR,
  format: ['esm'],
  splitting: true,
  clean: true,
  onSuccess: commonJsChunks,
};

export default libraryConfig;
