import type { Command } from 'commander';
import { ApduParseError, SscardError, fromHex } from '../../apdu/index.js';
import { closeCardImage, openCardImage } from '../../card-sim/index.js';
import { ExchangeTracer, printExchange } from '../output.js';

/**
 * Parses every APDU argument before anything is sent, so a typo in the third does not half-run the
 * list. An error names the argument by its number and says what is wrong (a bad character and its
 * position, an odd digit count), never the argument itself: it may be a VERIFY with PIN digits.
 */
function parseApdus(args: readonly string[]): Uint8Array[] {
  return args.map((text, i) => {
    try {
      const bytes = fromHex(text);
      if (bytes.length < 4) throw new ApduParseError(`${bytes.length} bytes is too short for a command (at least CLA INS P1 P2)`);
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
  const card = openCardImage(opts.card);
  try {
    card.powerOn();
    const tracer = opts.trace === true ? new ExchangeTracer(`image ${opts.card}`) : undefined;
    const send = (command: Uint8Array): Uint8Array => card.transmit(command);
    for (const command of commands) printExchange(command, tracer === undefined ? send(command) : tracer.exchange(command, send));
  } finally {
    closeCardImage(card);
  }
}

export function registerApduCommand(program: Command): void {
  program
    .command('apdu')
    .description('send command APDUs (hex) to a card image; the image keeps every change')
    .requiredOption('--card <image>', 'card image file')
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)')
    .argument('<hex...>', "command APDUs in hex, one per argument (spaces allowed inside quotes: '00 A4 04 00 ...')")
    .action((apdus: string[], opts: { card: string; trace?: boolean }) => runApdus(apdus, opts));
}
