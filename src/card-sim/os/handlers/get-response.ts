import { SW, StatusWordError, swBytesAvailable, swWrongLe } from '../../../apdu/index.js';
import type { CardCommand, CardContext, HandlerResult } from '../context.js';

/**
 * GET RESPONSE `00 C0 00 00 Le`: hands out the response data the OS kept back (T=0 case 3/4
 * answers, or T=1 answers longer than a short Le). Le smaller than what is left returns Le bytes
 * and 61xx for the rest; Le larger than what is left is 6Cxx with the exact length (the pending
 * data stays for the corrected GET RESPONSE) — except Le 00 in T=1, which takes whatever is left.
 * The last chunk carries the original command's status word. Nothing pending: 6985.
 */
export function getResponse(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0 || cmd.p2 !== 0) throw new StatusWordError(SW.INCORRECT_P1P2, 'GET RESPONSE takes P1-P2 0000');
  if (cmd.data.length > 0 || cmd.ne === undefined)
    throw new StatusWordError(SW.WRONG_LENGTH, 'GET RESPONSE takes only Le');
  const pending = ctx.pendingResponse;
  if (pending === undefined) throw new StatusWordError(SW.CONDITIONS_NOT_SATISFIED, 'no response data pending');
  const available = pending.data.length;
  let ne = cmd.ne;
  const maxLe = ne === 65536 || (ne === 256 && !cmd.extended);
  if (ne > available) {
    if (ctx.protocol === 'T=0' || !maxLe) throw new StatusWordError(swWrongLe(Math.min(available, 256)), 'wrong Le');
    ne = available;
  }
  const chunk = pending.data.subarray(0, ne);
  const rest = pending.data.subarray(ne);
  if (rest.length > 0) {
    ctx.pendingResponse = { data: rest, sw: pending.sw };
    return { data: chunk, sw: swBytesAvailable(Math.min(rest.length, 256)) };
  }
  ctx.pendingResponse = undefined;
  return { data: chunk, sw: pending.sw };
}
