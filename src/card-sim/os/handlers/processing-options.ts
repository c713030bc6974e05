import { SW, StatusWordError, parseBerTlv } from '../../../apdu/index.js';
import type { CardCommand, CardContext, HandlerResult } from '../context.js';

/**
 * GET PROCESSING OPTIONS `80 A8 00 00 Lc 83 L <PDOL data> 00` (PBOC / EMV): in an application
 * personalized with processing options (the PBOC debit/credit application of a financial card),
 * answers them, e.g. response format 2 `77 { 82 AIP, 94 AFL }`; the terminal then reads the
 * records the AFL names. Elsewhere 6985. Not an EMV kernel: the PDOL data is checked for its
 * template (83) only, and nothing on the card changes.
 */
export function getProcessingOptions(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00)
    throw new StatusWordError(SW.INCORRECT_P1P2, 'GET PROCESSING OPTIONS takes P1-P2 0000');
  let template;
  try {
    template = parseBerTlv(cmd.data);
  } catch {
    throw new StatusWordError(SW.WRONG_DATA, 'the command data is not a BER-TLV template');
  }
  if (template.length !== 1 || template[0]?.tag !== 0x83) {
    throw new StatusWordError(SW.WRONG_DATA, 'the command data must be the PDOL template 83');
  }
  const options = ctx.currentApplication?.processingOptions;
  if (options === undefined)
    throw new StatusWordError(SW.CONDITIONS_NOT_SATISFIED, 'no processing options in this application');
  return { data: options };
}
