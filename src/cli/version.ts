import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The package's version for `sscard --version`, read from its package.json. Imports only node:
 * modules, so `--version` answers without loading the card OS or the SDK.
 */

/**
 * The `version` of the nearest package.json named sscard above `from` (this file: src/cli in a
 * checkout, dist/cli or a shared chunk in dist/ once built, so the depth is not fixed).
 */
export function packageVersion(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'sscard' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No (readable) package.json here: keep going up.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
