/**
 * The package as a POS project gets it: `npm pack`, installed from the tarball into a fresh project
 * (offline: the dependencies are copied from this checkout's node_modules, so npm has nothing to
 * fetch), type-checked as ESM and as CommonJS under strict + nodenext without skipLibCheck, run,
 * and its "exports" map checked the way a type-aware resolver sees it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from './ensure-built.js';

interface Manifest {
  name: string;
  version: string;
  type?: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  exports: Record<string, string | Record<'import' | 'require', { types: string; default: string }>>;
}

let tmp: string;
let app: string;
let tarball: string;
let files: string[];
let installed: Manifest;

function run(command: string, args: string[], cwd = app): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/** The package's runtime dependencies and theirs, copied from this checkout as npm would install them. */
function copyDependencies(names: readonly string[], into: string): void {
  const seen = new Set<string>();
  const queue = [...names];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const from = join(ROOT, 'node_modules', name);
    cpSync(from, join(into, 'node_modules', name), { recursive: true, dereference: true });
    const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as Manifest;
    queue.push(...Object.keys(manifest.dependencies ?? {}));
  }
}

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'sscard-consumer-'));
  // --ignore-scripts: prepack would build again; ensureBuilt just made dist/ current.
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], ROOT)) as {
    filename: string;
    files: { path: string }[];
  }[];
  const first = packed[0];
  if (first === undefined) throw new Error('npm pack reported no tarball');
  tarball = join(tmp, first.filename);
  files = first.files.map((f) => f.path);

  app = join(tmp, 'pos-app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pos-app', private: true, type: 'module' }, null, 2));
  const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
  copyDependencies(Object.keys(own.dependencies ?? {}), app);
  run('npm', [
    'install',
    '--offline',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    '--omit=optional',
    '--no-package-lock',
    tarball,
  ]);
  installed = JSON.parse(readFileSync(join(app, 'node_modules', 'sscard', 'package.json'), 'utf8')) as Manifest;
  // What a Node project has for its own code; linked after the install, which would prune it.
  for (const types of ['@types/node', 'undici-types']) {
    mkdirSync(dirname(join(app, 'node_modules', types)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', types), join(app, 'node_modules', types), 'dir');
  }
  mkdirSync(join(app, 'src'));
  cpSync(join(import.meta.dirname, 'consumer', 'esm.ts'), join(app, 'src', 'esm.ts'));
  cpSync(join(import.meta.dirname, 'consumer', 'cjs.cts'), join(app, 'src', 'cjs.cts'));
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        resolveJsonModule: true,
        types: ['node'],
        rootDir: 'src',
        outDir: 'out',
      },
      include: ['src'],
    }),
  );
}, 300_000);

afterAll(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the built package, its schema and licence, and no source maps or CommonJS CLI', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'schema/card-report.schema.json',
      ]),
    );
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
        'dist/index.d.cts',
        'dist/cli/bin.js',
        'dist/cli/lib/sscard.cjs',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files).not.toContain('dist/cli/bin.cjs');
    expect(files).not.toContain('dist/.build-complete');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('installs offline and runs its command', () => {
    const sscard = join(app, 'node_modules', '.bin', 'sscard');
    expect(run(sscard, ['--version']).trim()).toBe(installed.version);
    // The command line's parser and colours are bundled: the install brings neither package, and
    // a command that parses arguments and options still runs.
    expect(existsSync(join(app, 'node_modules', 'commander'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'picocolors'))).toBe(false);
    const image = join(app, 'card.json');
    expect(run(sscard, ['card', 'new', image, '--force'])).toContain('created');
    expect(run(sscard, ['card', 'show', image])).toContain('application PIN');
  });
});

describe('a TypeScript consumer (strict, nodenext, no skipLibCheck)', () => {
  it('type-checks ESM and CommonJS code against the shipped declarations', { timeout: 180_000 }, () => {
    let output = '';
    try {
      run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
    expect(existsSync(join(app, 'out', 'esm.js'))).toBe(true);
    expect(readFileSync(join(app, 'out', 'cjs.cjs'), 'utf8')).toContain('require("sscard/terminal")');
  });

  it.each(['esm.js', 'cjs.cjs'])(
    '%s runs: every error class is one class, instanceof holds across entry points',
    (file) => {
      const out = JSON.parse(run(process.execPath, [join('out', file)])) as { checks: Record<string, boolean> };
      expect(Object.keys(out.checks).length).toBeGreaterThan(5);
      expect(Object.entries(out.checks).filter(([, ok]) => !ok)).toEqual([]);
    },
  );
});

/** Every class deriving from Error that an entry point exports, by entry point (root namespaces included). */
function errorClassesByEntry(): Record<string, string[][]> {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const specs = ${JSON.stringify(
      Object.keys(installed.exports)
        .filter((k) => !k.endsWith('.json'))
        .map((k) => (k === '.' ? 'sscard' : `sscard/${k.slice(2)}`)),
    )};
    const where = new Map();
    // depth 1: the root's area namespaces (objects holding an area's exports) are looked into too.
    const note = (place, m, depth) => {
      for (const [name, value] of Object.entries(m)) {
        if (typeof value === 'function' && value.prototype instanceof Error) {
          if (!where.has(value)) where.set(value, []);
          where.get(value).push(place + ' ' + name);
        } else if (depth > 0 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
          note(place + ' ' + name + '.', value, depth - 1);
        }
      }
    };
    for (const s of specs) {
      note('import ' + s, await import(s), 1);
      note('require ' + s, require(s), 1);
    }
    const byName = {};
    for (const [cls, places] of where) (byName[cls.name] ??= []).push(places);
    console.log(JSON.stringify(byName));`;
  return JSON.parse(run(process.execPath, ['--input-type=module', '-e', script])) as Record<string, string[][]>;
}

describe('instanceof across entry points', () => {
  it('each error class exported from more than one place is one class object everywhere', () => {
    const byName = errorClassesByEntry();
    // One class object per name: a second copy would show up as a second list of places.
    const copies = Object.entries(byName).filter(([, lists]) => lists.length > 1);
    expect(copies).toEqual([]);
    const shared = Object.entries(byName).filter(([, lists]) => (lists[0]?.length ?? 0) > 2);
    expect(shared.map(([name]) => name)).toEqual(
      expect.arrayContaining(['SscardError', 'PinIncorrectError', 'RecordLayoutError', 'VpcdError']),
    );
    // SscardError is exported by every area and by the root, to import and to require alike.
    const places = byName['SscardError']?.[0] ?? [];
    for (const spec of [
      'sscard',
      'sscard/apdu',
      'sscard/pin',
      'sscard/records',
      'sscard/keys',
      'sscard/card-sim',
      'sscard/terminal',
      'sscard/bridge',
    ]) {
      expect(places).toContain(`import ${spec} SscardError`);
      expect(places).toContain(`require ${spec} SscardError`);
    }
    expect(places).toContain('import sscard terminal. SscardError');
    expect(byName['PinIncorrectError']?.[0]).toEqual(
      expect.arrayContaining([
        'import sscard/terminal PinIncorrectError',
        'require sscard terminal. PinIncorrectError',
      ]),
    );
  });
});

describe('the exports map', () => {
  const conditions = ['import', 'require'] as const;

  it('points every condition at an existing file of the right module kind, with types beside it', () => {
    const pkgDir = join(app, 'node_modules', 'sscard');
    expect(installed.type).toBe('module');
    for (const [subpath, entry] of Object.entries(installed.exports)) {
      if (typeof entry === 'string') {
        expect(existsSync(join(pkgDir, entry)), `${subpath} -> ${entry}`).toBe(true);
        continue;
      }
      expect(Object.keys(entry)).toEqual([...conditions]);
      for (const condition of conditions) {
        const { types, default: js } = entry[condition];
        expect(Object.keys(entry[condition])[0], `${subpath} ${condition}: types first`).toBe('types');
        expect(existsSync(join(pkgDir, js)), `${subpath} ${condition} ${js}`).toBe(true);
        expect(existsSync(join(pkgDir, types)), `${subpath} ${condition} ${types}`).toBe(true);
        // In a "type": "module" package .js/.d.ts are ES modules and .cjs/.d.cts CommonJS.
        expect([js.slice(js.lastIndexOf('.')), types.slice(types.indexOf('.d.'))]).toEqual(
          condition === 'import' ? ['.js', '.d.ts'] : ['.cjs', '.d.cts'],
        );
      }
    }
  });

  it('declares exactly the values each entry point exports at run time, for import and for require', () => {
    const specs = Object.keys(installed.exports)
      .filter((k) => !k.endsWith('.json'))
      .map((k) => (k === '.' ? 'sscard' : `sscard/${k.slice(2)}`));
    const probes = { 'probe.mts': 'import', 'probe.cts': 'require' } as const;
    for (const file of Object.keys(probes)) {
      writeFileSync(join(app, file), specs.map((s, i) => `import * as m${i} from '${s}';\nvoid m${i};\n`).join(''));
    }
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      types: ['node'],
    };
    const program = ts.createProgram(
      Object.keys(probes).map((f) => join(app, f)),
      options,
    );
    const checker = program.getTypeChecker();
    const declared: Record<string, string[]> = {};
    // `export type { SomeClass }` names a class without exporting its value: not a run-time export.
    const isTypeOnlyAlias = (symbol: ts.Symbol): boolean => {
      for (
        let s: ts.Symbol | undefined = symbol;
        s !== undefined && s.flags & ts.SymbolFlags.Alias;
        s = checker.getImmediateAliasedSymbol(s)
      ) {
        if (s.declarations?.some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)))
          return true;
      }
      return false;
    };
    for (const [file, condition] of Object.entries(probes)) {
      const source = program.getSourceFile(join(app, file));
      if (source === undefined) throw new Error(`${file} not in the program`);
      for (const statement of source.statements) {
        if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
        const spec = statement.moduleSpecifier.text;
        const mode = condition === 'import' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS;
        const resolved =
          ts.resolveModuleName(spec, join(app, file), options, ts.sys, undefined, undefined, mode).resolvedModule
            ?.resolvedFileName ?? '';
        expect(
          resolved.endsWith(condition === 'import' ? '.d.ts' : '.d.cts'),
          `${spec} (${condition}) -> ${resolved}`,
        ).toBe(true);
        const moduleSymbol = checker.getSymbolAtLocation(statement.moduleSpecifier);
        if (moduleSymbol === undefined) throw new Error(`${spec} (${condition}) did not resolve`);
        declared[`${condition} ${spec}`] = checker
          .getExportsOfModule(moduleSymbol)
          .filter((s) => {
            if (isTypeOnlyAlias(s)) return false;
            const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
            return (target.flags & ts.SymbolFlags.Value) !== 0;
          })
          .map((s) => s.name)
          .sort();
      }
    }
    const runtime = JSON.parse(
      run(process.execPath, [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         const require = createRequire(import.meta.url);
         const out = {};
         for (const s of ${JSON.stringify(specs)}) {
           out['import ' + s] = Object.keys(await import(s)).sort();
           out['require ' + s] = Object.keys(require(s)).sort();
         }
         console.log(JSON.stringify(out));`,
      ]),
    ) as Record<string, string[]>;
    expect(Object.keys(declared).sort()).toEqual(Object.keys(runtime).sort());
    for (const key of Object.keys(runtime)) expect(declared[key], key).toEqual(runtime[key]);
  });
});
