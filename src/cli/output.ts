import pc from 'picocolors';

/*
 * Output helpers every command uses. The trace output (which needs the SDK's trace format) is in
 * trace-output.ts, so that commands that never trace (`sscard card …`) do not load the SDK.
 */
import { PIN_MASK, describe, isPinCommand, isSuccess, mustMaskCommand, toHex } from '../apdu/index.js';

/** Colours only when stdout is a terminal (and NO_COLOR is not set), so pipes and files get plain text. */
export function colors(): ReturnType<typeof pc.createColors> {
  return pc.createColors(process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** A note about something sscard did on the side (an image sealed on first use), on stderr. */
export function printNotice(message: string): void {
  process.stderr.write(`sscard: note: ${message}\n`);
}

/**
 * A command APDU for display: hex with the data of PIN-carrying commands replaced by PIN_MASK, so a PIN
 * typed on the command line does not end up in a terminal log or CI output. Bytes that are not
 * exactly one well-formed APDU (two joined in one argument, trailing bytes) show their 4 header bytes
 * only: their first INS says nothing about what follows.
 */
export function showCommand(bytes: Uint8Array): string {
  if (!mustMaskCommand(bytes)) return toHex(bytes);
  if (!isPinCommand(bytes)) return bytes.length > 4 ? `${toHex(bytes.subarray(0, 4))} ${PIN_MASK}` : toHex(bytes);
  if (bytes.length > 5) return `${toHex(bytes.subarray(0, 5))} ${PIN_MASK}`;
  return toHex(bytes);
}

/** Prints one exchange: `> command` then `< data SW meaning`. */
export function printExchange(command: Uint8Array, response: Uint8Array): void {
  const c = colors();
  const sw =
    response.length >= 2
      ? ((response[response.length - 2] as number) << 8) | (response[response.length - 1] as number)
      : -1;
  printLine(`${c.cyan('>')} ${showCommand(command)}`);
  if (sw < 0) {
    printLine(`${c.red('<')} ${toHex(response)} (not a response: fewer than 2 bytes)`);
    return;
  }
  const data = toHex(response.subarray(0, response.length - 2));
  const status = isSuccess(sw) ? c.green(describe(sw)) : c.yellow(describe(sw));
  printLine(`${c.dim('<')} ${data === '' ? '' : `${data} `}${status}`);
}
