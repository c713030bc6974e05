import { INS, PIN_MASK, commandName, describe, encodeResponse, isSuccess, swHex, toHex } from '../apdu/index.js';
import type { CardObservation, ObservedCommand } from '../card-sim/index.js';
import { p1p2Meaning } from '../terminal/index.js';

/*
 * The inspector's trace: each thing the card did, as the page shows it (command name, what P1-P2
 * mean, the status word's meaning, time, latency), and the same trace as an APDU script for
 * `sscard script`. Entries are built from the card's observations, which never hold PIN data, so
 * neither the page nor an export can show a PIN: a PIN command's data is PIN_MASK, and in a script
 * it is a comment (it cannot be replayed without the PIN, which the trace never had).
 */

export interface TraceApduEntry {
  seq: number;
  kind: 'apdu';
  /** ISO time the card received the command. */
  time: string;
  name: string;
  p1p2?: string;
  /** CLA INS P1 P2, spaced hex. */
  header: string;
  lc: number;
  le?: number;
  /** Spaced hex, PIN_MASK for a PIN command, null without data. */
  data: string | null;
  masked: boolean;
  malformed: boolean;
  response: { data: string | null; length: number; sw: string; status: string; ok: boolean };
  elapsedMs: number;
}

export interface TraceEventEntry {
  seq: number;
  kind: 'event';
  time: string;
  /** power-on, power-off, warm-reset, cold-reset, tear-armed, write-failed, restored, changed, action. */
  event: string;
  text: string;
}

export type TraceEntry = TraceApduEntry | TraceEventEntry;

/** What an export needs besides the entry: the replayable bytes (absent for PIN commands). */
export interface TraceRecord {
  entry: TraceEntry;
  /** Command and response hex, for commands that carry no PIN. */
  replay?: { command: string; response: string };
  /** The script word of a power change. */
  script?: string;
}

function spaced(bytes: Uint8Array): string {
  return toHex(bytes, { spaces: true });
}

function commandBytes(c: ObservedCommand): Uint8Array | undefined {
  if (c.masked || c.malformed) return undefined;
  const data = c.data ?? new Uint8Array(0);
  const header = [c.cla, c.ins, c.p1, c.p2];
  const extended = data.length > 255 || (c.le !== undefined && c.le > 256);
  const out: number[] = [...header];
  if (data.length > 0) out.push(...(extended ? [0, data.length >> 8, data.length & 0xff] : [data.length]), ...data);
  if (c.le !== undefined) {
    const le = extended ? (c.le === 65536 ? 0 : c.le) : c.le === 256 ? 0 : c.le;
    out.push(...(extended ? (data.length > 0 ? [le >> 8, le & 0xff] : [0, le >> 8, le & 0xff]) : [le]));
  }
  return Uint8Array.from(out);
}

const POWER_WORDS: Record<string, string> = {
  'power-on': 'power-on',
  'power-off': 'power-off',
  'warm-reset': 'reset',
  'cold-reset': 'reset cold',
};

const EVENT_TEXT: Record<string, string> = {
  'power-on': 'card powered (ATR)',
  'power-off': 'card power off',
  'warm-reset': 'warm reset (ATR)',
  'cold-reset': 'cold reset (ATR)',
  'tear-armed': 'tear armed: the next durable write will fail as under a power loss',
  restored: 'snapshot restored: contents replaced, security state ended',
};

/** The record of one card observation. */
export function traceRecord(seq: number, o: CardObservation): TraceRecord {
  const time = new Date(o.time).toISOString();
  if (o.type === 'apdu') {
    const c = o.command;
    const r = o.response;
    const entry: TraceApduEntry = {
      seq,
      kind: 'apdu',
      time,
      name: c.malformed && c.ins === 0 && c.cla === 0 ? 'MALFORMED' : commandName(c.cla, c.ins, c.p1),
      header: spaced(Uint8Array.of(c.cla & 0xff, c.ins & 0xff, c.p1 & 0xff, c.p2 & 0xff)),
      lc: c.lc,
      data: c.lc === 0 ? null : c.masked ? PIN_MASK : spaced(c.data ?? new Uint8Array(0)),
      masked: c.masked,
      malformed: c.malformed,
      response: {
        data: r.length === 0 ? null : c.masked ? PIN_MASK : spaced(r.data ?? new Uint8Array(0)),
        length: r.length,
        sw: swHex(r.sw),
        status: describe(r.sw),
        ok: isSuccess(r.sw),
      },
      elapsedMs: Math.round(o.elapsedMs * 1000) / 1000,
    };
    const meaning = p1p2Meaning(c.cla, c.ins, c.p1, c.p2);
    if (meaning !== undefined) entry.p1p2 = meaning;
    if (c.le !== undefined) entry.le = c.le;
    const bytes = commandBytes(c);
    const record: TraceRecord = { entry };
    if (bytes !== undefined) {
      record.replay = { command: toHex(bytes), response: toHex(encodeResponse(r.data ?? new Uint8Array(0), r.sw)) };
    }
    return record;
  }
  if (o.type === 'power') {
    return {
      entry: { seq, kind: 'event', time, event: o.change, text: EVENT_TEXT[o.change] ?? o.change },
      script: POWER_WORDS[o.change],
    };
  }
  if (o.type === 'write-failed') {
    const text = o.torn
      ? 'write torn: the card answers 6581 and rolls back to its last saved state'
      : 'saving a change failed: the card answers 6581 and rolls back to its last saved state';
    return { entry: { seq, kind: 'event', time, event: 'write-failed', text } };
  }
  if (o.type === 'changed')
    return { entry: { seq, kind: 'event', time, event: 'changed', text: `contents changed: ${o.what}` } };
  return { entry: { seq, kind: 'event', time, event: o.type, text: EVENT_TEXT[o.type] ?? o.type } };
}

/** An entry for something the inspector did (a developer action), not the card. */
export function actionRecord(seq: number, text: string, time = Date.now()): TraceRecord {
  return { entry: { seq, kind: 'event', time: new Date(time).toISOString(), event: 'action', text } };
}

/** The expected response of a replayed command: exact, except where the card answers at random. */
function expectedResponse(response: string, random: boolean): string {
  const sw = response.slice(-4);
  const data = response.slice(0, -4);
  if (data === '') return sw;
  return random ? `* ${sw}` : `${data} ${sw}`;
}

/**
 * The trace as an APDU script for `sscard script <file> --card <image>`: each command with the
 * answer it got as the expected response, resets and power changes as script words. PIN commands
 * and malformed bytes are comments. GET CHALLENGE answers are random, so only their status word is
 * expected (what depends on the challenge will differ on replay).
 */
export function traceScript(records: readonly TraceRecord[], label: string, exportedAt = new Date()): string {
  const lines = [
    `# sscard inspector: trace of ${label}, exported ${exportedAt.toISOString()}`,
    '# replay: sscard script <this file> --card <a copy of the image as it was when the trace began>',
    `# PIN commands are never recorded (their data reads ${PIN_MASK}): they are comments here and are not replayed.`,
  ];
  for (const { entry, replay, script } of records) {
    if (entry.kind === 'event') {
      if (script !== undefined) lines.push(`${script}  # #${entry.seq} ${entry.text}`);
      else lines.push(`# #${entry.seq} ${entry.text}`);
      continue;
    }
    const what = `#${entry.seq} ${entry.name}${entry.p1p2 === undefined ? '' : ` [${entry.p1p2}]`}`;
    if (replay === undefined) {
      const why = entry.masked ? `PIN data ${PIN_MASK} not recorded` : 'malformed, not replayed';
      lines.push(`# ${entry.header} (Lc=${entry.lc}, ${why}) -> ${entry.response.sw}  ${what}`);
      continue;
    }
    const random = Number.parseInt(entry.header.slice(3, 5), 16) === INS.GET_CHALLENGE;
    const note = random ? ' (random answer: status word only)' : '';
    lines.push(`${replay.command} -> ${expectedResponse(replay.response, random)}  # ${what}${note}`);
  }
  return `${lines.join('\n')}\n`;
}
