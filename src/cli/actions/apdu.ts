import { encodeResponse } from '../../apdu/index.js';
// From the image module itself, not the area's barrel: the barrel is an entry point of the package,
// and importing it would bring personalization and the other profiles into this command's chunk.
import { closeCardImage, openCardImage } from '../../card-sim/image.js';
import type { CardSourceOptions } from '../card-source.js';
import { printExchange, printNotice } from '../output.js';

// The SDK (the reader's card source, the trace) loads only when a command asks for it: a card image
// needs the card OS alone.

/** Sends `commands` (parsed by apdu-args.ts) to the card image `opts.card`. */
export async function runApdus(
  commands: readonly Uint8Array[],
  opts: { card: string; trace?: boolean },
): Promise<void> {
  const tracer =
    opts.trace === true ? new (await import('../trace-output.js')).ExchangeTracer(`image ${opts.card}`) : undefined;
  // Every durable change (PIN try, record write) is saved to the image before the card answers;
  // the image is locked against other processes from loading to the last save.
  const card = openCardImage(opts.card, { onNotice: printNotice });
  try {
    card.powerOn();
    const send = (command: Uint8Array): Uint8Array => card.transmit(command);
    for (const command of commands)
      printExchange(command, tracer === undefined ? send(command) : tracer.exchange(command, send));
  } finally {
    closeCardImage(card);
  }
}

/**
 * The same list sent to a PC/SC reader through the terminal SDK's CardChannel. The channel answers
 * 61xx and 6Cxx itself (GET RESPONSE, resend with the right Le) as a terminal does, so a T=0 card
 * shows the final responses a card image shows.
 */
export async function runApdusOnReader(commands: readonly Uint8Array[], opts: CardSourceOptions): Promise<void> {
  const { openCardFromOptions } = await import('../card-source.js');
  const source = await openCardFromOptions(opts);
  try {
    for (const command of commands) {
      const response = await source.channel.transmit(command);
      printExchange(command, encodeResponse(response.data, response.sw));
    }
  } finally {
    await source.close();
  }
}
