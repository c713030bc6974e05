import { emitKeypressEvents } from 'node:readline';
import type { ReadStream } from 'node:tty';
import {
  HotlineCall,
  Registry,
  RegistryHotlineService,
  defaultRegistryLocation,
  isKey,
  parseKeys,
} from '../../office/index.js';
import type { CallOutput, HotlineOutcome, Key, Lang, OperationContext } from '../../office/index.js';
import { SoftwarePsam } from '../../terminal/index.js';
import type { CliIo } from '../pin-input.js';
import { colors, printLine } from '../output.js';
import { CliInputError } from '../errors.js';

/*
 * `sscard hotline`: a call to the 12333 voice menu (src/office/hotline) against the registry.
 * Keys come from --keys (a script, for tests and demos) or, at a terminal, one key press at a
 * time (raw mode: digits, * and #; x for an ID number's X; q or Ctrl-C hangs up). PIN digits are
 * echoed as '*'. The office's secure module is a software one with the project's published test
 * master key PIN_CHANGE (simulated cards only). The call is recorded in the history as role
 * hotline, channel ivr.
 */

export interface HotlineOptions {
  db?: string;
  keys?: string;
  keysStdin?: boolean;
  lang: Lang;
  terminal: string;
  scriptDays: number;
}

/** Prints spoken lines as the voice's, and gathers key echoes on one '>' line between them. */
class CallPrinter {
  private typed = '';

  show(output: CallOutput): void {
    this.typed += output.echo;
    if (output.lines.length === 0) return;
    this.flush();
    const c = colors();
    for (const line of output.lines) printLine(`${c.dim('[12333]')} ${line}`);
  }

  flush(): void {
    if (this.typed !== '') printLine(`> ${this.typed}`);
    this.typed = '';
  }
}

async function scripted(call: HotlineCall, keys: readonly Key[]): Promise<HotlineOutcome> {
  const printer = new CallPrinter();
  printer.show(await call.start());
  for (const key of keys) {
    if (call.ended !== undefined) break;
    printer.show(await call.press(key));
  }
  printer.flush();
  return call.hangUp();
}

/** A person at a terminal: one key press at a time, echoed at once. */
function interactive(call: HotlineCall, io: CliIo): Promise<HotlineOutcome> {
  const stdin = io.stdin as ReadStream;
  const out = io.prompt;
  const c = colors();
  const speak = (o: CallOutput): void => {
    if (o.echo !== '') out.write(o.echo);
    if (o.lines.length > 0) out.write(`\n${o.lines.map((l) => `${c.dim('[12333]')} ${l}`).join('\n')}\n> `);
  };
  return new Promise<HotlineOutcome>((resolve, reject) => {
    let queue = Promise.resolve();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      stdin.off('keypress', onKey);
      stdin.setRawMode(false);
      stdin.pause();
      out.write('\n');
      call.hangUp().then(resolve, reject);
    };
    const onKey = (str: string | undefined, key: { ctrl?: boolean; name?: string } | undefined): void => {
      if ((key?.ctrl === true && (key.name === 'c' || key.name === 'd')) || str === 'q') {
        queue = queue.then(finish);
        return;
      }
      const k = (str ?? '').toUpperCase();
      if (!isKey(k)) return;
      queue = queue
        .then(async () => {
          if (done) return;
          speak(await call.press(k));
          if (call.ended !== undefined) finish();
        })
        .catch((err: unknown) => {
          done = true;
          stdin.setRawMode(false);
          reject(err);
        });
    };
    emitKeypressEvents(stdin);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('keypress', onKey);
    queue = queue.then(async () => speak(await call.start()));
  });
}

/** Longest key script --keys-stdin reads (a call is a few dozen keys). */
const MAX_KEYS_BYTES = 4096;

async function readKeysFromStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of io.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array);
    total += bytes.length;
    if (total > MAX_KEYS_BYTES) throw new CliInputError(`--keys-stdin: more than ${MAX_KEYS_BYTES} bytes on stdin`);
    chunks.push(bytes);
  }
  const all = Buffer.concat(chunks);
  try {
    return all.toString('utf8');
  } finally {
    all.fill(0);
    for (const c of chunks) c.fill(0);
  }
}

export async function hotline(opts: HotlineOptions, io: CliIo): Promise<void> {
  if (opts.keys !== undefined && opts.keysStdin === true)
    throw new CliInputError('give either --keys or --keys-stdin, not both');
  const script = opts.keysStdin === true ? await readKeysFromStdin(io) : opts.keys;
  const keys = script === undefined ? undefined : parseKeys(script);
  if (keys === undefined && io.stdin.isTTY !== true) {
    throw new CliInputError(
      'stdin is not a terminal: pipe the keys in with --keys-stdin, or give them with --keys "2 2 12345678# …"',
    );
  }
  const registry = await Registry.open(opts.db ?? defaultRegistryLocation());
  try {
    const ctx: OperationContext = { terminalId: opts.terminal, role: 'hotline', channel: 'ivr' };
    const service = new RegistryHotlineService(registry, SoftwarePsam.withTestKeys(['PIN_CHANGE']), ctx, {
      scriptDays: opts.scriptDays,
    });
    const call = new HotlineCall(service, { lang: opts.lang });
    const outcome = keys === undefined ? await interactive(call, io) : await scripted(call, keys);
    printLine(colors().dim(`(call ended: ${outcome.replace(/_/g, ' ')})`));
    if (outcome === 'service_error') {
      const err = call.lastError;
      throw err instanceof Error ? err : new CliInputError('the hotline service failed');
    }
  } finally {
    await registry.close();
  }
}
