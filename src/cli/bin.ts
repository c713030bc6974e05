#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageVersion } from './version.js';

/*
 * The executable. `--version` is answered here before the CLI (and with it the card OS and the
 * SDK) is loaded, so it stays instant.
 */

/**
 * Exit status when the reader of our output goes away (`sscard card show c.json | head -1`):
 * 128 + SIGPIPE, what the shell reports for `cat` or `seq` killed by SIGPIPE in the same spot. A
 * plain pipeline shows the last command's status; under `set -o pipefail` the cut-short output is
 * not mistaken for a complete one. Node ignores SIGPIPE and gets EPIPE instead, so it is mapped here.
 */
const EXIT_BROKEN_PIPE = 141;

function quitOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // Quietly, like a tool killed by SIGPIPE; exit hooks still release card-image locks.
    if (err.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
    throw err;
  });
}

quitOnClosedPipe(process.stdout);
quitOnClosedPipe(process.stderr);

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${packageVersion()}\n`);
} else {
  loadCli()
    .then(({ runCli }) => runCli(args))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        process.stderr.write(`sscard: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      },
    );
}

/**
 * The command line: built, from its CommonJS chunks in lib/ next to this file, compiled through the
 * code cache (see compile-cache.ts); from the sources (tsx), from its module.
 */
async function loadCli(): Promise<{ runCli: (argv: readonly string[]) => Promise<number> }> {
  const built = fileURLToPath(new URL('./lib/sscard.cjs', import.meta.url));
  if (!existsSync(built)) return import('./main.js');
  const { compileCacheName, loadChunksWithCache } = await import('./compile-cache.js');
  return loadChunksWithCache(built, compileCacheName(args)) as unknown as Awaited<ReturnType<typeof loadCli>>;
}
