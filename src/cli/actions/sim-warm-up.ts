import { fromHex } from '../../apdu/index.js';
import { warmUpVpcdAnswersInTurns } from '../../bridge/index.js';
import type { VpcdWarmUp, VpcdWarmUpOptions } from '../../bridge/index.js';
import { SimulatedCard, importState } from '../../card-sim/index.js';

/*
 * While `sim serve` waits for pcscd to take up its card (pcscd polls every ~0.4 s), the bridge's
 * answer path is run a few thousand times on a scratch copy of the card (src/bridge/warm-up.ts
 * says why), so that pcscd's first APDUs are answered by optimised code. The commands are a
 * terminal's usual first reads, each taking another path through the card OS: SELECT by FID and
 * by name, READ RECORD, GET CHALLENGE, and two error answers (6A88, 6A82). No PIN command: the
 * copy holds the PIN references, and a try on it would be spent for nothing.
 */
export const SIM_WARM_UP_COMMANDS: readonly Uint8Array[] = [
  '00A4000C023F00', // SELECT MF
  '00A404000F7378312E73682EC9E7BBE1B1A3D5CF00', // SELECT the SSSE application by name
  '00B2072C00', // READ RECORD
  '0084000008', // GET CHALLENGE
  '00CA000000', // GET DATA of nothing: 6A88
  '00A40000023F0100', // SELECT a file that is not there: 6A82
].map((hex) => fromHex(hex));

/** Starts warming the answer path on a copy of `card`'s contents; `card` itself is not touched. */
export function warmUpServedCard(card: SimulatedCard, options?: VpcdWarmUpOptions): VpcdWarmUp {
  const scratch = new SimulatedCard({ tree: importState(card.exportState()), transmission: card.transmission });
  return warmUpVpcdAnswersInTurns(scratch, SIM_WARM_UP_COMMANDS, options);
}
