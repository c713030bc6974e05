import { decodeCommand, type CommandApdu } from './command.js';
import { INS_CATALOGUE } from './ins.js';

/*
 * Which commands carry a PIN, so that every place that shows or stores command bytes (terminal
 * traces, the vpcd bridge's log, the command line's echo) hides the same ones, behind the same text.
 */

/** Text shown instead of the data of a PIN-carrying command (and of its response). */
export const PIN_MASK = '****';

/**
 * INS bytes the catalogue marks as carrying a PIN in any class: 20/21 VERIFY (SSSE 00 20 00 00
 * and bank 00 20 00 80), 24 CHANGE REFERENCE DATA (00 24) and PIN UNBLOCK (84 24), 2C RESET RETRY
 * COUNTER, 5E CHANGE PIN (80 5E 01 00) and RELOAD PIN (80 5E 00 00).
 */
const PIN_INS: ReadonlySet<number> = new Set([...INS_CATALOGUE.values()].filter((e) => e.carriesPin).map((e) => e.ins));

/**
 * Whether a command carries PIN data, so its data must never be shown or stored. Takes the INS
 * byte, or the raw command bytes (INS is byte 1; fewer than 2 bytes cannot be told apart and
 * count as PIN-carrying, so malformed input is hidden rather than shown).
 */
export function isPinCommand(commandOrIns: Uint8Array | number): boolean {
  if (typeof commandOrIns === 'number') return PIN_INS.has(commandOrIns);
  const ins = commandOrIns[1];
  return ins === undefined || PIN_INS.has(ins);
}

/**
 * Whether the data of these command bytes must be hidden wherever they are shown (an echo, a
 * trace, a log): a PIN-carrying command, and any bytes that are not exactly one well-formed command
 * APDU. Two commands joined in one blob (a SELECT with a VERIFY after it), a truncated command or
 * one with trailing bytes cannot be told apart by their first INS: what follows the header may be
 * a PIN, so only the header is shown.
 */
export function mustMaskCommand(bytes: Uint8Array): boolean {
  if (isPinCommand(bytes)) return true;
  try {
    decodeCommand(bytes);
    return false;
  } catch {
    return true;
  }
}

/** Command bytes split for showing: the header, the data and Ne; see commandParts. */
export interface CommandParts extends Pick<CommandApdu, 'cla' | 'ins' | 'p1' | 'p2' | 'data' | 'ne'> {
  /** The bytes are not exactly one well-formed command APDU (`data` is then all after the header). */
  malformed: boolean;
}

/**
 * Command bytes split for a trace or an observer: decoded when they are one well-formed command,
 * else the header bytes that exist (0 for missing ones) and the rest as data. Which data may be
 * shown is the caller's call (isPinCommand, mustMaskCommand).
 */
export function commandParts(bytes: Uint8Array): CommandParts {
  try {
    const cmd = decodeCommand(bytes);
    const parts: CommandParts = {
      cla: cmd.cla,
      ins: cmd.ins,
      p1: cmd.p1,
      p2: cmd.p2,
      data: cmd.data,
      malformed: false,
    };
    if (cmd.ne !== undefined) parts.ne = cmd.ne;
    return parts;
  } catch {
    const [cla = 0, ins = 0, p1 = 0, p2 = 0] = bytes;
    return { cla, ins, p1, p2, data: bytes.subarray(Math.min(4, bytes.length)), malformed: true };
  }
}
