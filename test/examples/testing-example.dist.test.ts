import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * examples/testing type-checks the way a POS project depending on sscard does: against the
 * declarations the package publishes (dist/), reached through its "exports", never against src/.
 */

const ROOT = join(import.meta.dirname, '..', '..');

describe('examples/testing', () => {
  it('type-checks against the published declarations', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await new Promise<{ error: Error | null; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [tsc, '--noEmit', '-p', 'examples/testing/tsconfig.json', '--listFiles'],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout) => resolve({ error, stdout }),
      );
    });
    expect(
      r.error,
      r.stdout
        .split('\n')
        .filter((l) => l.includes('error'))
        .join('\n'),
    ).toBeNull();
    const files = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith(ROOT))
      .map((l) => l.slice(ROOT.length + 1));
    expect(files).toContain('dist/terminal/index.d.ts');
    expect(files).toContain('dist/card-sim/index.d.ts');
    expect(files.filter((f) => f.startsWith('src/'))).toEqual([]);
  });
});
