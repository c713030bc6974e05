import { SscardError, encodeResponse, fromHex, toHex } from '../../apdu/index.js';
// From the image module, not the card-sim barrel (a package entry point, which would bring
// personalization into this command's chunk).
import { closeCardImage, openCardImage } from '../../card-sim/image.js';
import type { CardSourceOptions } from '../card-source.js';
import { readInputFile } from '../input-file.js';
import { colors, printExchange, printLine, printNotice, showCommand } from '../output.js';

/*
 * APDU scripts: one step per line.
 *   00A4 0400 0F 7378312E73682EC9E7BBE1B1A3D5CF 00 -> 6F xx * 9000
 *   reset | reset cold | power-off | power-on
 *   T=0: 00C0 0000 1B -> 6F 19 * 9000      (runs only when the card runs T=0; T=1: likewise)
 *   # comment (also after a step)
 * The expected response after `->` is hex where `x` stands for any nibble (`xx` any byte) and one
 * `*` stands for any remaining data before the final two SW bytes. A `T=0:` / `T=1:` prefix lets
 * one script hold what differs between the protocols (a case 3 command's data comes as 61xx on
 * T=0 and not at all on T=1), so the same reader program's steps run against both.
 */

export class ScriptError extends SscardError {
  constructor(
    code: 'SCRIPT_SYNTAX' | 'SCRIPT_MISMATCH' | 'SCRIPT_CARD_OFF',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** One nibble: its value, or null for "any". */
type NibblePattern = Array<number | null>;

export interface ResponsePattern {
  text: string;
  /** Nibbles before the `*` (or all of them without one). */
  head: NibblePattern;
  /** Nibbles after the `*` (the SW); null when there is no `*`. */
  tail: NibblePattern | null;
}

/** The protocol a step is limited to (`T=0:` / `T=1:` prefix); undefined: every protocol. */
export type StepProtocol = 'T=0' | 'T=1' | undefined;

export type ScriptStep = (
  | { line: number; kind: 'apdu'; command: Uint8Array; expect: ResponsePattern | undefined }
  | { line: number; kind: 'reset'; cold: boolean }
  | { line: number; kind: 'power-off' }
  | { line: number; kind: 'power-on' }
) & { protocol?: StepProtocol };

/** Whether `step` runs on a card that runs `protocol`. */
export function stepRunsOn(step: ScriptStep, protocol: 'T=0' | 'T=1'): boolean {
  return step.protocol === undefined || step.protocol === protocol;
}

/** A malformed expected-response pattern (the script parser adds the file and line). */
function patternError(problem: string): ScriptError {
  return new ScriptError('SCRIPT_SYNTAX', problem);
}

function nibbles(text: string): NibblePattern {
  const out: NibblePattern = [];
  for (const ch of text) {
    if (/[0-9A-Fa-f]/.test(ch)) out.push(parseInt(ch, 16));
    else if (ch === 'x' || ch === 'X') out.push(null);
    else throw patternError(`unexpected character ${JSON.stringify(ch)}`);
  }
  if (out.length % 2 !== 0) throw patternError('odd number of hex digits');
  return out;
}

/** Parses an expected response (`6F xx * 9000`); a malformed one is a ScriptError 'SCRIPT_SYNTAX'. */
export function parseResponsePattern(text: string): ResponsePattern {
  const compact = text.replace(/[\s:]/g, '');
  if (compact === '') throw patternError('nothing after ->');
  const star = compact.indexOf('*');
  if (star < 0) {
    const head = nibbles(compact);
    if (head.length < 4) throw patternError('an expected response ends with the two SW bytes');
    return { text: text.trim(), head, tail: null };
  }
  if (compact.indexOf('*', star + 1) >= 0) throw patternError("only one '*' is allowed");
  const tail = nibbles(compact.slice(star + 1));
  if (tail.length !== 4) throw patternError("'*' must be followed by exactly the two SW bytes");
  return { text: text.trim(), head: nibbles(compact.slice(0, star)), tail };
}

function nibblesOf(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const b of bytes) out.push(b >> 4, b & 0x0f);
  return out;
}

function matchAt(actual: number[], pattern: NibblePattern, offset: number): boolean {
  return pattern.every((p, i) => p === null || p === actual[offset + i]);
}

export function matchesResponse(pattern: ResponsePattern, response: Uint8Array): boolean {
  const actual = nibblesOf(response);
  if (pattern.tail === null) return actual.length === pattern.head.length && matchAt(actual, pattern.head, 0);
  const need = pattern.head.length + pattern.tail.length;
  return (
    actual.length >= need &&
    matchAt(actual, pattern.head, 0) &&
    matchAt(actual, pattern.tail, actual.length - pattern.tail.length)
  );
}

/** Parses a whole script first, so a syntax error anywhere stops it before the card sees anything. */
export function parseScript(text: string, file: string): ScriptStep[] {
  const steps: ScriptStep[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    let content = (raw.split('#', 1)[0] ?? '').trim();
    if (content === '') return;
    const only = /^T=([01])\s*:/i.exec(content);
    const protocol: StepProtocol = only === null ? undefined : only[1] === '0' ? 'T=0' : 'T=1';
    if (only !== null) content = content.slice(only[0].length).trim();
    const add = (step: ScriptStep): number => steps.push(protocol === undefined ? step : { ...step, protocol });
    const word = content.toLowerCase().replace(/\s+/g, ' ');
    if (word === 'reset' || word === 'reset warm') return add({ line, kind: 'reset', cold: false });
    if (word === 'reset cold') return add({ line, kind: 'reset', cold: true });
    if (word === 'power-off') return add({ line, kind: 'power-off' });
    if (word === 'power-on') return add({ line, kind: 'power-on' });
    const [commandText, expectText, extra] = content.split('->');
    if (extra !== undefined) throw new ScriptError('SCRIPT_SYNTAX', `${file}:${line}: more than one '->'`);
    let command: Uint8Array;
    try {
      command = fromHex(commandText ?? '');
    } catch (err) {
      throw new ScriptError(
        'SCRIPT_SYNTAX',
        `${file}:${line}: not an APDU, reset, power-off or power-on: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (command.length < 4) {
      throw new ScriptError(
        'SCRIPT_SYNTAX',
        `${file}:${line}: an APDU needs at least CLA INS P1 P2, got ${command.length} bytes`,
      );
    }
    let expect: ResponsePattern | undefined;
    if (expectText !== undefined) {
      try {
        expect = parseResponsePattern(expectText);
      } catch (err) {
        throw new ScriptError(
          'SCRIPT_SYNTAX',
          `${file}:${line}: bad expected response ${JSON.stringify(expectText.trim())}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    add({ line, kind: 'apdu', command, expect });
  });
  return steps;
}

/** Response for messages: data and SW apart ('0709...31 9000'). */
function responseText(response: Uint8Array): string {
  if (response.length <= 2) return toHex(response);
  return `${toHex(response.subarray(0, response.length - 2))} ${toHex(response.subarray(response.length - 2))}`;
}

type ApduStep = Extract<ScriptStep, { kind: 'apdu' }>;

/** An APDU line needs a powered card, on an image and on a reader alike. */
function requirePowered(file: string, step: ApduStep, powered: boolean): void {
  if (!powered) {
    throw new ScriptError(
      'SCRIPT_CARD_OFF',
      `${file}:${step.line}: the card is powered off (add power-on before this line)`,
    );
  }
}

/** Prints the exchange and stops the script when the response is not the expected one. */
function checkResponse(file: string, step: ApduStep, response: Uint8Array): void {
  printExchange(step.command, response);
  if (step.expect !== undefined && !matchesResponse(step.expect, response)) {
    printLine(colors().red(`! line ${step.line}: expected ${step.expect.text}`));
    throw new ScriptError(
      'SCRIPT_MISMATCH',
      `${file}:${step.line}: expected ${step.expect.text}, card answered ${responseText(response)} to ${showCommand(step.command)}`,
    );
  }
}

function printSummary(steps: ScriptStep[], protocol: 'T=0' | 'T=1'): void {
  const ran = steps.filter((s) => stepRunsOn(s, protocol));
  const checks = ran.filter((s) => s.kind === 'apdu' && s.expect !== undefined).length;
  printLine(colors().green(`# ${ran.length} steps done, ${checks} expected responses matched`));
}

export async function runScript(file: string, opts: CardSourceOptions): Promise<void> {
  const text = readInputFile(file);
  const steps = parseScript(text, file);
  // Without --card (or with both) the card source gives the clear "exactly one" error.
  if (opts.card === undefined || opts.reader !== undefined) return runStepsOnReader(file, steps, opts);
  // The SDK's trace loads only when asked for: a card image needs the card OS alone.
  const tracer =
    opts.trace === true ? new (await import('../trace-output.js')).ExchangeTracer(`image ${opts.card}`) : undefined;
  // The image is locked against other processes until the script is over.
  const card = openCardImage(opts.card, { onNotice: printNotice });
  try {
    const send = (command: Uint8Array): Uint8Array => card.transmit(command);
    const c = colors();
    printLine(c.dim(`# power-on, ATR ${toHex(card.powerOn())}`));
    for (const step of steps) {
      if (!stepRunsOn(step, card.transmission)) continue;
      switch (step.kind) {
        case 'reset':
          printLine(
            c.dim(
              `# line ${step.line}: ${step.cold ? 'cold' : 'warm'} reset, ATR ${toHex(card.reset(step.cold ? 'cold' : 'warm'))}`,
            ),
          );
          break;
        case 'power-off':
          card.powerOff();
          printLine(c.dim(`# line ${step.line}: power-off`));
          break;
        case 'power-on':
          printLine(c.dim(`# line ${step.line}: power-on, ATR ${toHex(card.powerOn())}`));
          break;
        case 'apdu': {
          requirePowered(file, step, card.powered);
          const response = tracer === undefined ? send(step.command) : tracer.exchange(step.command, send);
          checkResponse(file, step, response);
          break;
        }
      }
    }
    printSummary(steps, card.transmission);
  } finally {
    closeCardImage(card);
  }
}

/**
 * The script on a PC/SC reader, through the terminal SDK's CardChannel (which answers 61xx and 6Cxx
 * itself, as a terminal does). `reset` / `reset cold` are SCardReconnect with RESET_CARD /
 * UNPOWER_CARD. PC/SC cannot keep a connected card unpowered, so `power-off` only marks the card
 * off (an APDU before `power-on` is refused, as on an image) and `power-on` is the cold reset that
 * actually takes the power away and back; a script ending powered off leaves the card reset.
 */
async function runStepsOnReader(file: string, steps: ScriptStep[], opts: CardSourceOptions): Promise<void> {
  const { openCardFromOptions } = await import('../card-source.js');
  const source = await openCardFromOptions(opts);
  try {
    const c = colors();
    let powered = true;
    printLine(c.dim(`# ${source.label}, ATR ${toHex(source.channel.atr())}`));
    for (const step of steps) {
      if (!stepRunsOn(step, source.channel.transport.protocol)) continue;
      switch (step.kind) {
        case 'reset':
          printLine(
            c.dim(
              `# line ${step.line}: ${step.cold ? 'cold' : 'warm'} reset, ATR ${toHex(await source.channel.reset(step.cold ? 'cold' : 'warm'))}`,
            ),
          );
          powered = true;
          break;
        case 'power-off':
          powered = false;
          printLine(
            c.dim(
              `# line ${step.line}: power-off (a PC/SC reader keeps a connected card powered: power-on is a cold reset)`,
            ),
          );
          break;
        case 'power-on':
          printLine(
            c.dim(`# line ${step.line}: power-on (cold reset), ATR ${toHex(await source.channel.reset('cold'))}`),
          );
          powered = true;
          break;
        case 'apdu': {
          requirePowered(file, step, powered);
          const answer = await source.channel.transmit(step.command);
          checkResponse(file, step, encodeResponse(answer.data, answer.sw));
          break;
        }
      }
    }
    printSummary(steps, source.channel.transport.protocol);
  } finally {
    await source.close();
  }
}
