import {
  INS,
  PIN_MASK,
  SELECT_ANSWER,
  SELECT_BY,
  commandName,
  commandParts,
  describe,
  isPinCommand,
  swHex,
  toHex,
} from '../apdu/index.js';
import { SSC_PINS } from '../records/index.js';

/*
 * Tracing is an observer on the channel: it sees every exchange that reaches the transport
 * (including GET RESPONSE and 6Cxx resends) as a TraceEvent that is already safe to print or
 * store. The raw bytes of PIN-carrying commands never enter a TraceEvent, so no formatter, and no
 * observer, can leak them.
 */

/**
 * Text shown instead of masked data.
 * @deprecated Use PIN_MASK from sscard/apdu (the one mask text of the project).
 */
export const MASK: typeof PIN_MASK = PIN_MASK;

// The command names come from the INS catalogue in src/apdu; re-exported where they always were.
export { commandName };

/** What P1-P2 mean for the commands the SSC uses, or undefined when there is nothing to add. */
export function p1p2Meaning(cla: number, ins: number, p1: number, p2: number): string | undefined {
  const h = (b: number): string => toHex(Uint8Array.of(b & 0xff));
  switch (ins) {
    case INS.SELECT: {
      const by: Record<number, string> = {
        [SELECT_BY.FILE_ID]: 'by file id',
        [SELECT_BY.CHILD_DF]: 'child DF',
        [SELECT_BY.EF_UNDER_CURRENT_DF]: 'EF under current DF',
        [SELECT_BY.PARENT_DF]: 'parent DF',
        [SELECT_BY.DF_NAME]: 'by DF name',
        [SELECT_BY.PATH_FROM_MF]: 'path from MF',
        [SELECT_BY.PATH_FROM_CURRENT_DF]: 'path from current DF',
      };
      const answer: Record<number, string> = {
        [SELECT_ANSWER.FCI]: 'return FCI',
        [SELECT_ANSWER.FCP]: 'return FCP',
        [SELECT_ANSWER.FMD]: 'return FMD',
        [SELECT_ANSWER.NONE]: 'no response data',
      };
      return `${by[p1] ?? `P1=${h(p1)}`}, ${answer[p2 & 0x0c] ?? `P2=${h(p2)}`}${(p2 & 0x03) === 0x02 ? ', next occurrence' : ''}`;
    }
    case INS.READ_RECORD:
    case INS.UPDATE_RECORD:
    case INS.APPEND_RECORD: {
      const sfi = p2 >> 3;
      const file = sfi === 0 ? 'current EF' : `SFI ${sfi}`;
      if (ins === INS.APPEND_RECORD) return file;
      const mode = p2 & 0x07;
      const which: Record<number, string> = {
        0: `first record with tag ${h(p1)}`,
        1: `last record with tag ${h(p1)}`,
        2: `next record with tag ${h(p1)}`,
        3: 'previous record',
        4: `record ${p1}`,
        5: `records from ${p1}`,
        6: `records from last up to ${p1}`,
      };
      const what =
        ins === INS.UPDATE_RECORD && mode === 3 && p1 === 0 ? 'new record 1 (cyclic)' : (which[mode] ?? `mode ${mode}`);
      return `${what}, ${file}`;
    }
    case INS.READ_BINARY:
    case INS.UPDATE_BINARY:
      return (p1 & 0x80) !== 0 ? `SFI ${p1 & 0x1f}, offset ${p2}` : `offset ${(p1 << 8) | p2}`;
    case INS.VERIFY:
    case INS.VERIFY_ODD:
      return p2 === SSC_PINS.bank.reference
        ? 'bank PIN'
        : p2 === SSC_PINS.app.reference
          ? 'application PIN'
          : `reference ${h(p2)}`;
    case INS.CHANGE_PIN:
      return (cla & 0x80) !== 0 ? (p1 === 0x00 ? 'reload' : 'change') : undefined;
    case INS.EXTERNAL_AUTHENTICATE:
      return `key ${h(p2)}`;
    case INS.GET_DATA:
      return `tag ${h(p1)}${h(p2)}`;
    case INS.APPLICATION_BLOCK:
      return p2 === 0x01 ? 'permanent' : 'temporary';
    default:
      return undefined;
  }
}

/** A command as tracing shows it. `data` is hex, MASK for PIN commands, or null when empty. */
export interface TracedCommand {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  name: string;
  p1p2?: string;
  /** Nc; for masked commands still the real count (the length of a PIN is not hidden from the card log either). */
  lc: number;
  /** Ne, when the command had an Le field. */
  le?: number;
  data: string | null;
  masked: boolean;
  /** Set when the bytes do not form a valid APDU (they were sent anyway). */
  malformed?: true;
}

export interface TracedResponse {
  /** Hex of the response data, MASK when the command was a PIN command and data came back, null when none. */
  data: string | null;
  length: number;
  sw: number;
  swHex: string;
  status: string;
}

/** One exchange with the transport, already safe to print: PIN data is masked. */
export interface TraceEvent {
  /** 1, 2, ... per channel. */
  seq: number;
  transport: string;
  /** ISO time the exchange started. */
  time: string;
  command: TracedCommand;
  response?: TracedResponse;
  /** When the exchange failed below the status-word level (timeout, transport, removal). */
  error?: { code: string; message: string };
  /** Milliseconds, rounded to the microsecond. */
  elapsedMs: number;
}

export type TraceObserver = (event: TraceEvent) => void;

/** Describes raw command bytes for tracing; masks the data of PIN commands. */
export function traceCommand(bytes: Uint8Array): TracedCommand {
  const { cla, ins, p1, p2, data, ne, malformed } = commandParts(bytes);
  // Not exactly one valid APDU (two joined, truncated, trailing bytes): the header bytes that
  // exist, never the rest, whatever the first INS says (mustMaskCommand).
  const masked = malformed || isPinCommand(ins);
  const out: TracedCommand = {
    cla,
    ins,
    p1,
    p2,
    name: malformed && bytes.length < 2 ? 'MALFORMED' : commandName(cla, ins, p1),
    lc: data.length,
    data: data.length === 0 ? null : masked ? PIN_MASK : toHex(data, { spaces: true }),
    masked,
  };
  if (malformed) out.malformed = true;
  else {
    const meaning = p1p2Meaning(cla, ins, p1, p2);
    if (meaning !== undefined) out.p1p2 = meaning;
    if (ne !== undefined) out.le = ne;
  }
  return out;
}

/** Describes a response for tracing; `masked` hides its data (responses to PIN commands). */
export function traceResponse(data: Uint8Array, sw: number, masked: boolean): TracedResponse {
  return {
    data: data.length === 0 ? null : masked ? PIN_MASK : toHex(data, { spaces: true }),
    length: data.length,
    sw,
    swHex: swHex(sw),
    status: describe(sw),
  };
}

/**
 * One line per exchange:
 * `#3 VERIFY [application PIN] 00 20 00 00 Lc=3 data=**** -> 63C2 2 tries left (wrong PIN or key, or a try counter query) (0.4 ms)`
 */
export function formatTracePretty(event: TraceEvent): string {
  const c = event.command;
  const header = toHex(Uint8Array.of(c.cla & 0xff, c.ins & 0xff, c.p1 & 0xff, c.p2 & 0xff), { spaces: true });
  const parts = [`#${event.seq}`, c.name];
  if (c.p1p2 !== undefined) parts.push(`[${c.p1p2}]`);
  parts.push(header);
  if (c.malformed === true) parts.push('(malformed)');
  if (c.data !== null) parts.push(`Lc=${c.lc}`, `data=${c.data}`);
  if (c.le !== undefined) parts.push(`Le=${c.le}`);
  parts.push('->');
  if (event.response !== undefined) {
    if (event.response.data !== null) parts.push(`data(${event.response.length})=${event.response.data}`);
    parts.push(event.response.status);
  } else if (event.error !== undefined) {
    parts.push(`${event.error.code}: ${event.error.message}`);
  }
  parts.push(`(${event.elapsedMs.toFixed(1)} ms)`);
  return parts.join(' ');
}

/** The event as one line of JSON (for log files and machines). */
export function formatTraceJson(event: TraceEvent): string {
  return JSON.stringify(event);
}
