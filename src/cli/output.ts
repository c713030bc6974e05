import pc from 'picocolors';
import { describe, isPinCommand, isSuccess, toHex } from '../apdu/index.js';

/** Colours only when stdout is a terminal (and NO_COLOR is not set), so pipes and files get plain text. */
export function colors(): ReturnType<typeof pc.createColors> {
  return pc.createColors(process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/**
 * A command APDU for display: hex with the data of PIN-carrying commands replaced by ****, so a PIN
 * typed on the command line does not end up in a terminal log or CI output.
 */
export function showCommand(bytes: Uint8Array): string {
  if (bytes.length > 5 && isPinCommand(bytes)) {
    return `${toHex(bytes.subarray(0, 5))} ****`;
  }
  return toHex(bytes);
}

/** Prints one exchange: `> command` then `< data SW meaning`. */
export function printExchange(command: Uint8Array, response: Uint8Array): void {
  const c = colors();
  const sw = response.length >= 2 ? ((response[response.length - 2] as number) << 8) | (response[response.length - 1] as number) : -1;
  printLine(`${c.cyan('>')} ${showCommand(command)}`);
  if (sw < 0) {
    printLine(`${c.red('<')} ${toHex(response)} (not a response: fewer than 2 bytes)`);
    return;
  }
  const data = toHex(response.subarray(0, response.length - 2));
  const status = isSuccess(sw) ? c.green(describe(sw)) : c.yellow(describe(sw));
  printLine(`${c.dim('<')} ${data === '' ? '' : `${data} `}${status}`);
}
