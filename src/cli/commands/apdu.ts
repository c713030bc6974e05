import type { Command } from 'commander';
import { ApduParseError, SscardError, encodeResponse, fromHex } from '../../apdu/index.js';
import { closeCardImage, openCardImage } from '../../card-sim/index.js';
import { openCardFromOptions } from '../card-source.js';
import type { CardSourceOptions } from '../card-source.js';
import { printExchange, printNotice } from '../output.js';
import { ExchangeTracer } from '../trace-output.js';

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

function runApdus(apdus: string[], opts: { card: string; trace?: boolean }): void {
  const commands = parseApdus(apdus);
  // Every durable change (PIN try, record write) is saved to the image before the card answers;
  // the image is locked against other processes from loading to the last save.
  const card = openCardImage(opts.card, { onNotice: printNotice });
  try {
    card.powerOn();
    const tracer = opts.trace === true ? new ExchangeTracer(`image ${opts.card}`) : undefined;
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
async function runApdusOnReader(apdus: string[], opts: CardSourceOptions): Promise<void> {
  const commands = parseApdus(apdus);
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

export function registerApduCommand(program: Command): void {
  program
    .command('apdu')
    .description('send command APDUs (hex) to a card image (which keeps every change) or a PC/SC reader')
    .option('--card <image>', 'card image file')
    .option('--reader <name|index>', 'PC/SC reader (name, or index as `sscard readers` numbers them)')
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)')
    .argument('<hex...>', "command APDUs in hex, one per argument (spaces allowed inside quotes: '00 A4 04 00 ...')")
    .action((apdus: string[], opts: CardSourceOptions) =>
      // Without --card (or with both) the card source gives the clear "exactly one" error.
      opts.card === undefined || opts.reader !== undefined
        ? runApdusOnReader(apdus, opts)
        : runApdus(apdus, { ...opts, card: opts.card }),
    );
}
