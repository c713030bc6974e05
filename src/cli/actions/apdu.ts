import { ApduParseError, SscardError, encodeResponse, fromHex } from '../../apdu/index.js';
// From the image module itself, not the area's barrel: the barrel is an entry point of the package,
// and importing it would bring personalization and the other profiles into this command's chunk.
import { closeCardImage, openCardImage } from '../../card-sim/image.js';
import type { CardSourceOptions } from '../card-source.js';
import { printExchange, printNotice } from '../output.js';

/**
 * Parses every APDU argument before anything is sent, so a typo in the third does not half-run the
 * list. An error names the argument by its number and says what is wrong (a bad character and its
 * position, an odd digit count), never the argument itself: it may be a VERIFY with PIN digits.
 */
function parseApdus(args: readonly string[]): Uint8Array[] {
  return args.map((text, i) => {
    try {
      const bytes = fromHex(text);
      if (bytes.length < 4)
        throw new ApduParseError(`${bytes.length} bytes is too short for a command (at least CLA INS P1 P2)`);
      return bytes;
    } catch (err) {
      if (err instanceof SscardError) {
        throw new SscardError(err.code, `APDU ${i + 1}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  });
}

// The SDK (the reader's card source, the trace) loads only when a command asks for it: a card image
// needs the card OS alone.

export async function runApdus(apdus: string[], opts: { card: string; trace?: boolean }): Promise<void> {
  const commands = parseApdus(apdus);
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
export async function runApdusOnReader(apdus: string[], opts: CardSourceOptions): Promise<void> {
  const commands = parseApdus(apdus);
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
