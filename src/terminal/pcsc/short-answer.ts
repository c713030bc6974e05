import type { SscardError } from '../../apdu/index.js';
import { CardRemovedError, TransportError } from '../errors.js';
import { sleep } from './sleep.js';

/**
 * The error for a "successful" transmit that returned fewer than 2 bytes. vpcd (and drivers like
 * it) report success with 0 bytes when the card vanished after taking the command; pcscd marks the
 * slot empty on its next presence poll. `cardLeft` waits for that (bounded), so a card pulled
 * mid-command is CardRemovedError and a card that stays but answers nothing is a TransportError.
 */
export async function shortAnswerError(
  length: number,
  reader: string,
  probeMs: number,
  cardLeft: () => boolean,
): Promise<SscardError> {
  const what = `the card in '${reader}' answered ${length} byte(s), not an R-APDU (SW1 SW2 at least)`;
  const deadline = performance.now() + probeMs;
  for (;;) {
    if (cardLeft()) {
      return new CardRemovedError(`card removed during transmit on reader '${reader}' (${what} and left the reader)`, {
        cause: new TransportError(what),
      });
    }
    if (performance.now() >= deadline) break;
    await sleep(Math.min(50, Math.max(1, deadline - performance.now())));
  }
  return new TransportError(`${what}; it may have failed in the middle of the command`);
}
