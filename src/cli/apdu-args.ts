import { ApduParseError, SscardError, fromHex } from '../apdu/index.js';

/*
 * The APDU arguments of `sscard apdu`, checked before the command's action (and with it the card
 * OS or the SDK) is loaded: a typo is refused at the cost of the APDU codecs alone.
 */

/**
 * Parses every APDU argument before anything is sent, so a typo in the third does not half-run the
 * list. An error names the argument by its number and says what is wrong (a bad character and its
 * position, an odd digit count), never the argument itself: it may be a VERIFY with PIN digits.
 */
export function parseApdus(args: readonly string[]): Uint8Array[] {
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
