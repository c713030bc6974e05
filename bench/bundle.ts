import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Bundles `entry` (a path under the repository) with the sources, as an ES module for node, to
 * `.tmp/bench/<name>.mjs`, so a bench process runs the code as a build ships it; returns that path.
 */
export async function bundleForBench(entry: string, name: string, options: BuildOptions = {}): Promise<string> {
  const file = join(ROOT, '.tmp', 'bench', `${name}.mjs`);
  mkdirSync(dirname(file), { recursive: true });
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'error',
    ...options,
  });
  return file;
}
