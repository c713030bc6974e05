import { SscardError } from '../../apdu/index.js';
import { DEFAULT_PIN_POLICY, PinFormatError, validatePinFormat } from '../../pin/index.js';
// From the SDK's errors module, not its barrel (an entry point of the package: it would bring the
// PC/SC transports and the issuer terminal into every PIN command).
import { PinBlockedError, PinIncorrectError } from '../../terminal/errors.js';
import { withSscCard } from '../card-source.js';
import type { CardSourceOptions } from '../card-source.js';
import { readPins } from '../pin-input.js';
import type { CliIo } from '../pin-input.js';
import { colors, printLine } from '../output.js';
import { withBlacklist } from '../blacklist-check.js';
import type { BlacklistCliOptions } from '../blacklist-options.js';

/*
 * `sscard pin verify | change | status`: the application PIN (社保应用密码) as the cardholder uses
 * it at a terminal. PINs come from a prompt without echo or from stdin lines (--pin-stdin), never
 * from the command line, and never appear in output, errors or traces.
 */

export interface PinOptions extends CardSourceOptions, BlacklistCliOptions {
  pinStdin?: boolean;
  /** Set when someone wrote --pin <value>: refused, see refusePinArgument. */
  pin?: string;
}

/** The same error, with what the cardholder should do next; the card's status word stays the cause. */
function explainPinFailure(error: unknown, what: string): unknown {
  if (error instanceof PinIncorrectError) {
    return new SscardError(
      'PIN_INCORRECT',
      `wrong ${what}: ${error.triesLeft} ${error.triesLeft === 1 ? 'try' : 'tries'} left`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof PinBlockedError) {
    const how = error.justBlocked ? `wrong ${what}; the PIN is now blocked` : 'the PIN is blocked';
    return new SscardError('PIN_BLOCKED', `${how}: only the issuer can reset or unblock it, at a service window`, {
      cause: error,
    });
  }
  return error;
}

/**
 * The card's PIN rule (6 digits: the SDK's default policy, which every sscard card image uses and
 * social security cards follow) checked before anything is sent, so a PIN of the wrong length is
 * refused like one with letters, with PIN_FORMAT, instead of reaching the card as a 6700.
 */
function checkPinFormat(pin: string, what: string): void {
  try {
    validatePinFormat(pin, DEFAULT_PIN_POLICY);
  } catch (error) {
    if (error instanceof PinFormatError) throw new PinFormatError(error.problem, error.message.replace(/^PIN\b/, what));
    throw error;
  }
}

export async function verify(opts: PinOptions, io: CliIo): Promise<void> {
  // The command reports whether the PIN is right, so the terminal's initial-PIN refusal is off
  // here; the initial PIN is reported as a note instead. A listed card is refused when it is
  // opened, before the PIN is asked for (--blacklist, --db).
  await withBlacklist(opts, (blacklist) =>
    withSscCard(
      opts,
      async (card) => {
        // Asked once the card is open, so a missing image or card is reported before anyone types.
        const [pin = ''] = await readPins(['PIN: '], opts.pinStdin === true, io);
        checkPinFormat(pin, 'PIN');
        try {
          await card.verifyPin(pin);
        } catch (error) {
          throw explainPinFailure(error, 'PIN');
        }
        const c = colors();
        printLine(c.green('PIN correct'));
        if (card.initialPinInEffect) {
          printLine(
            c.yellow(
              'note: this is still the initial PIN; POS terminals refuse it until it is changed (sscard pin change)',
            ),
          );
        }
      },
      { ...blacklist, refuseInitialPin: false },
    ),
  );
}

export async function change(opts: PinOptions, io: CliIo): Promise<void> {
  await withSscCard(opts, async (card) => {
    const [oldPin = '', newPin = '', again = ''] = await readPins(
      ['current PIN: ', 'new PIN: ', 'new PIN again: '],
      opts.pinStdin === true,
      io,
    );
    // Terminal policy first (current PIN's format; new entries match, 6 digits, not the initial
    // PIN): nothing reaches the card otherwise.
    checkPinFormat(oldPin, 'current PIN');
    card.validateNewPin(newPin, again);
    try {
      await card.changePin(oldPin, newPin);
    } catch (error) {
      throw explainPinFailure(error, 'current PIN');
    }
    printLine(colors().green('PIN changed'));
  });
}

export async function status(opts: PinOptions): Promise<void> {
  await withSscCard(opts, async (card) => {
    const s = await card.pinStatus();
    const c = colors();
    if (s.blocked) printLine(`application PIN: ${c.red('blocked')} (only the issuer can reset or unblock it)`);
    else if (s.verified) printLine(`application PIN: ${c.green('verified')}`);
    else printLine(`application PIN: ${s.triesLeft ?? '?'} ${s.triesLeft === 1 ? 'try' : 'tries'} left`);
  });
}
