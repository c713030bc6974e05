import {
  INS,
  SW,
  StatusWordError,
  decodeCommand,
  encodeResponse,
  swBytesAvailable,
  swHex,
  swWrongLe,
} from '../../apdu/index.js';
import type { CardCommand, CardContext, HandlerResult } from './context.js';
import { lifecycleRefusal } from './handlers/lifecycle.js';
import { INS_TABLE, KNOWN_CLASSES, type InsEntry } from './table.js';

const EMPTY = new Uint8Array(0);

/**
 * Where the card reports its own bugs (a handler that threw something other than a
 * StatusWordError). Messages name the command, never its data, so a PIN cannot reach a log.
 */
export interface CardLogger {
  error(message: string, detail: { ins: number; error: unknown }): void;
}

export interface ProcessorHooks {
  /** Extended-length APDUs are accepted only when true (else 6700). */
  extendedLength: boolean;
  logger?: CardLogger | undefined;
  /**
   * Called after every command: returns true when persisting a change failed during it. The
   * processor then answers 6581 and lets the card roll back.
   */
  takePersistenceFailure: () => boolean;
  /** Rolls the card back to its last persisted state after a failed persist. */
  rollBack: () => void;
}

/*
 * INS_TABLE and KNOWN_CLASSES read as arrays indexed by the byte, made once from them: a Map or a
 * Set lookup per command costs more than the rest of a short command's checks.
 */
const ENTRY_BY_INS: readonly (InsEntry | undefined)[] = Array.from({ length: 256 }, (_, ins) => INS_TABLE.get(ins));
const CLASS_KNOWN: readonly boolean[] = Array.from({ length: 256 }, (_, cla) => KNOWN_CLASSES.has(cla));

function answer(sw: number, data: Uint8Array = EMPTY): Uint8Array {
  return encodeResponse(data, sw);
}

/**
 * The OS's single path from C-APDU bytes to R-APDU bytes: decode (length problems 6700), a
 * blocked card (6A81), CLA check (6E00), INS lookup in the one table (6D00), a blocked current
 * application (6A81 / 9303), the handler, then the one conversion of a
 * StatusWordError to SW1 SW2 and the Le / 61xx / 6Cxx formatting. Never throws.
 */
export function processApdu(ctx: CardContext, hooks: ProcessorHooks, bytes: Uint8Array): Uint8Array {
  try {
    return processChecked(ctx, hooks, bytes);
  } catch (error) {
    // Last line of defence: a bug outside the handlers still gets an answer.
    hooks.logger?.error('card OS failure outside a handler', { ins: bytes[1] ?? -1, error });
    ctx.pendingResponse = undefined;
    return answer(SW.UNKNOWN);
  }
}

function processChecked(ctx: CardContext, hooks: ProcessorHooks, bytes: Uint8Array): Uint8Array {
  let cmd: CardCommand;
  try {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('command is not a Uint8Array');
    cmd = decodeCommand(bytes);
  } catch {
    ctx.pendingResponse = undefined;
    return answer(SW.WRONG_LENGTH);
  }
  if (cmd.ins !== INS.GET_RESPONSE) ctx.pendingResponse = undefined;
  if (cmd.extended && !hooks.extendedLength) return answer(SW.WRONG_LENGTH);
  // A card blocked by CARD BLOCK answers every command 6A81 (project choice; see handlers/lifecycle).
  if (ctx.tree.cardBlocked) return answer(SW.FUNCTION_NOT_SUPPORTED);
  if (CLASS_KNOWN[cmd.cla] !== true) return answer(SW.CLA_NOT_SUPPORTED);
  const entry = ENTRY_BY_INS[cmd.ins];
  if (entry === undefined) return answer(SW.INS_NOT_SUPPORTED);
  if (!entry.classes.includes(cmd.cla)) return answer(SW.CLA_NOT_SUPPORTED);
  const refusal = lifecycleRefusal(ctx, entry.runsWhileBlocked === true);
  if (refusal !== undefined) return answer(refusal);

  let result: HandlerResult;
  try {
    result = entry.handler(ctx, cmd);
  } catch (error) {
    if (hooks.takePersistenceFailure()) return persistenceFailed(ctx, hooks);
    if (error instanceof StatusWordError) {
      result = { sw: error.sw };
    } else {
      hooks.logger?.error(`bug in ${entry.name} handler (INS ${swHex(cmd.ins).slice(2)}): ${describeError(error)}`, {
        ins: cmd.ins,
        error,
      });
      return answer(SW.UNKNOWN);
    }
  }
  if (hooks.takePersistenceFailure()) return persistenceFailed(ctx, hooks);
  return format(ctx, cmd, result);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
}

function persistenceFailed(ctx: CardContext, hooks: ProcessorHooks): Uint8Array {
  hooks.rollBack();
  ctx.restartFromAtr();
  return answer(SW.MEMORY_FAILURE);
}

/**
 * Le handling, once for every command:
 * - T=0: response data to a command that is not case 2 is kept back and announced with 61xx
 *   (6100 = 256 or more) for GET RESPONSE;
 * - an exact-length answer (a record) with a non-zero Le that differs: 6Cxx;
 * - more data than a non-zero Le allows: 6Cxx (the exact length);
 * - Le 00 (short) with more than 256 bytes: the first 256 and 61xx, the rest via GET RESPONSE;
 * - T=1 without Le (case 1/3): no response data, the status word alone. ISO 7816-4: an absent Le
 *   field means Ne = 0, and real SSC cards answer so (card profile §7: reader programs take
 *   whatever data comes back as the next field). The command itself has run (a SELECT has
 *   selected); only its data is not sent. Commands whose only purpose is data (READ BINARY,
 *   READ RECORD, GET DATA, GET CHALLENGE, GET RESPONSE) refuse a missing Le with 6700 themselves.
 *   (T=0 cannot tell case 3 from case 4 on the wire: there the data is announced with 61xx.)
 */
function format(ctx: CardContext, cmd: CardCommand, result: HandlerResult): Uint8Array {
  const data = result.data ?? EMPTY;
  const start = result.dataStart ?? 0;
  const length = result.dataLength ?? data.length - start;
  const sw = result.sw ?? SW.OK;
  if (length === 0) return answer(sw);
  if (ctx.protocol === 'T=0' && cmd.case !== 2) {
    ctx.pendingResponse = { data: data.slice(start, start + length), sw };
    return answer(swBytesAvailable(Math.min(length, 256)));
  }
  const ne = cmd.ne;
  if (ne === undefined) return answer(sw);
  const maxLe = ne === 65536 || (ne === 256 && !cmd.extended);
  const mismatch = result.exactLe === true ? length !== ne : length > ne;
  if (!maxLe && mismatch) return answer(length <= 256 ? swWrongLe(length) : SW.WRONG_LENGTH);
  if (length > ne) {
    ctx.pendingResponse = { data: data.slice(start + ne, start + length), sw };
    return answer(swBytesAvailable(Math.min(length - ne, 256)), data.subarray(start, start + ne));
  }
  return start === 0 && length === data.length ? answer(sw, data) : answerFrom(sw, data, start, length);
}

/** `length` bytes of `data` from `start`, then SW1 SW2 (a record copied straight from its file). */
function answerFrom(sw: number, data: Uint8Array, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length + 2);
  for (let i = 0; i < length; i++) out[i] = data[start + i] as number;
  out[length] = sw >> 8;
  out[length + 1] = sw & 0xff;
  return out;
}
