import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliInputError } from './errors.js';
import type { CliIo } from './io.js';

export type { CliIo } from './io.js';

/*
 * How the command line gets PINs: typed at a prompt that does not echo (only when stdin is a
 * terminal), or as lines on stdin with --pin-stdin. Never from an argument or an option: those stay
 * in shell history and show in process lists.
 */

/** Longest stdin --pin-stdin reads; PIN lines are a few bytes, so more is a mistake (a file piped by accident). */
const MAX_STDIN_BYTES = 4096;

/** All of stdin as text, up to MAX_STDIN_BYTES. */
async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array);
    total += bytes.length;
    if (total > MAX_STDIN_BYTES) {
      for (const c of chunks) c.fill(0);
      bytes.fill(0);
      throw new CliInputError(`--pin-stdin: more than ${MAX_STDIN_BYTES} bytes on stdin; expected only PIN lines`);
    }
    chunks.push(bytes);
  }
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  try {
    return all.toString('utf8');
  } finally {
    all.fill(0);
  }
}

/**
 * One line typed at a prompt without echo: readline drives the terminal (raw mode) but echoes into
 * a sink, so the digits never reach the screen. Ctrl-C or the end of input cancels.
 */
export function promptHidden(question: string, io: CliIo): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    // The interface puts the terminal in raw mode (no echo by the terminal itself) as it is
    // created; the prompt comes after, so nothing typed in answer to it is echoed.
    const rl = createInterface({ input: io.stdin, output: sink, terminal: true, historySize: 0 });
    io.prompt.write(question);
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      rl.close();
      io.prompt.write('\n');
      settle();
    };
    rl.once('line', (line) => finish(() => resolve(line)));
    rl.once('SIGINT', () => finish(() => reject(new CliInputError('PIN entry cancelled'))));
    rl.once('close', () => finish(() => reject(new CliInputError('input ended before a PIN was entered'))));
  });
}

/**
 * The PINs a command needs, one per prompt: from stdin lines with `fromStdin` (exactly
 * `prompts.length` lines; empty lines at the end are ignored), else typed at hidden prompts when
 * stdin is a terminal. Errors never contain what was read.
 */
export async function readPins(prompts: readonly string[], fromStdin: boolean, io: CliIo): Promise<string[]> {
  if (fromStdin) {
    const lines = (await readAll(io.stdin)).split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    if (lines.length !== prompts.length) {
      const what = prompts.map((p) => p.replace(/:\s*$/, '')).join(', ');
      throw new CliInputError(
        `--pin-stdin: expected ${prompts.length} line${prompts.length === 1 ? '' : 's'} (${what}), got ${lines.length}`,
      );
    }
    return lines;
  }
  if (io.stdin.isTTY !== true) {
    throw new CliInputError(
      'stdin is not a terminal, so the PIN cannot be typed at a prompt; pipe it in with --pin-stdin',
    );
  }
  const pins: string[] = [];
  for (const question of prompts) pins.push(await promptHidden(question, io));
  return pins;
}

/**
 * A PIN given on the command line (--pin, or an extra argument) is refused without being
 * repeated: commander's own errors would show the value on stderr.
 */
export function refusePinArgument(opts: { pin?: string }, args: readonly string[]): void {
  if (opts.pin !== undefined || args.length > 0) {
    throw new CliInputError(
      'a PIN is never taken from the command line (it would stay in shell history and process lists); ' +
        'type it at the prompt, or pipe it in with --pin-stdin',
    );
  }
}
