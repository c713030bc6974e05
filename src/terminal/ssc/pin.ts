import { SW, changePin, commandName, swInfo, verify, verifyStatus, type CommandApdu } from '../../apdu/index.js';
import {
  DEFAULT_PIN_POLICY,
  PinFormatError,
  encodeChangePinData,
  encodePinBcd,
  samePin,
  validatePinFormat,
  type PinLengthRules,
  type PinPolicy,
} from '../../pin/index.js';
import { SSC_PINS } from '../../records/index.js';
import type { AbortOptions } from '../abort.js';
import type { CardSession } from '../channel.js';
import { InitialPinInEffectError, NewPinRejectedError, SecurityStatusError, errorForStatus } from '../errors.js';
import type { SscSession } from './session.js';

export interface PinStatus {
  /** Tries left; null while the PIN is verified (the card then answers 9000, not a count). */
  triesLeft: number | null;
  verified: boolean;
  blocked: boolean;
}

/** Sends a command whose data carries a PIN, and wipes that data afterwards, also on failure. */
export async function sendPinCommand(s: CardSession, command: CommandApdu): Promise<Uint8Array> {
  try {
    return await s.send(command);
  } finally {
    command.data.fill(0);
  }
}

/** The hint of a 6982 answering a read of a PIN-protected file (DF02, DF03, DF10). */
export const VERIFY_PIN_FIRST = 'verify the PIN first (SscCard.verifyPin)';

/**
 * Terminal policy for a new PIN entered twice: the two entries match, the PIN has the policy's
 * format (6 digits by default), and it is not the initial PIN. Throws NewPinRejectedError with
 * `problem` 'mismatch' | 'format' | 'initial'; messages never contain digits.
 */
export function validateNewPin(
  newPin: string | Uint8Array,
  confirm: string | Uint8Array,
  policy: PinPolicy = DEFAULT_PIN_POLICY,
): void {
  if (!samePin(newPin, confirm)) {
    throw new NewPinRejectedError('mismatch', 'the two entries of the new PIN differ');
  }
  checkNewPin(newPin, policy);
}

/** A new PIN must have the rules' length and digits only (NewPinRejectedError 'format'); the issuer's terminal checks this too. */
export function checkNewPinFormat(newPin: string | Uint8Array, rules: PinLengthRules): void {
  try {
    validatePinFormat(newPin, rules);
  } catch (error) {
    if (error instanceof PinFormatError)
      throw new NewPinRejectedError('format', `new PIN refused: ${error.message}`, { cause: error });
    throw error;
  }
}

function checkNewPin(newPin: string | Uint8Array, policy: PinPolicy): void {
  checkNewPinFormat(newPin, policy);
  if (samePin(newPin, policy.initialPin)) {
    throw new NewPinRejectedError('initial', 'new PIN refused: it may not be the initial PIN');
  }
}

/**
 * The SSSE application PIN as the terminal handles it: state, VERIFY, CHANGE PIN, and the
 * initial-PIN policy that gates every PIN-protected read and write (see SscCard.verifyPin).
 */
export class ApplicationPin {
  private initialPin = false;

  constructor(
    private readonly session: SscSession,
    private readonly policy: PinPolicy,
    private readonly refuseInitialPin: boolean,
  ) {}

  /** True after verify() found the initial PIN in effect, until change() succeeds. */
  get initialPinInEffect(): boolean {
    return this.initialPin;
  }

  /** Empty VERIFY: the PIN's state without spending a try. */
  status(opts?: AbortOptions): Promise<PinStatus> {
    return this.session.exclusive(async (s) => {
      await this.session.goTo(s, 'ssse');
      const command = verifyStatus(SSC_PINS.app.reference);
      const r = await s.transmit(command);
      if (r.sw === SW.OK) return { triesLeft: null, verified: true, blocked: false };
      if (r.sw === SW.AUTH_METHOD_BLOCKED) return { triesLeft: 0, verified: false, blocked: true };
      const triesLeft = swInfo(r.sw).triesLeft;
      if (triesLeft !== undefined) return { triesLeft, verified: false, blocked: triesLeft === 0 };
      throw errorForStatus(r.sw, { command: commandName(command.cla, command.ins, command.p1), ins: command.ins });
    }, opts);
  }

  /** VERIFY `00 20 00 00` with the BCD PIN; then the initial-PIN check (constant-time, after the card accepted). */
  verify(pin: string | Uint8Array, opts?: AbortOptions): Promise<void> {
    return this.session.exclusive(async (s) => {
      await this.session.goTo(s, 'ssse');
      await sendPinCommand(s, verify(SSC_PINS.app.reference, encodePinBcd(pin)));
      this.initialPin = samePin(pin, this.policy.initialPin);
      if (this.initialPin && this.refuseInitialPin) throw new InitialPinInEffectError();
    }, opts);
  }

  /** Terminal policy for a new PIN entered twice, with this card's policy. */
  validateNewPin(newPin: string | Uint8Array, confirm: string | Uint8Array): void {
    validateNewPin(newPin, confirm, this.policy);
  }

  /** CHANGE PIN `80 5E 01 00 old || FF || new`, after the terminal's check of the new PIN. */
  async change(oldPin: string | Uint8Array, newPin: string | Uint8Array, opts?: AbortOptions): Promise<void> {
    checkNewPin(newPin, this.policy);
    await this.session.exclusive(async (s) => {
      await this.session.goTo(s, 'ssse');
      await sendPinCommand(s, changePin(encodeChangePinData(oldPin, newPin)));
      this.initialPin = false;
    }, opts);
  }

  /** Runs `fn` as one block on the card unless the initial-PIN policy refuses transactions. */
  protectedBlock<T>(fn: (s: CardSession) => Promise<T>, opts?: AbortOptions): Promise<T> {
    return this.session.exclusive(async (s) => {
      if (this.initialPin && this.refuseInitialPin) throw new InitialPinInEffectError();
      return fn(s);
    }, opts);
  }

  /**
   * A read of a file the card opens after the application PIN (DF02, DF03, DF10): protectedBlock,
   * with the card's 6982 carrying the hint to verify the PIN first.
   */
  async protectedRead<T>(fn: (s: CardSession) => Promise<T>, opts?: AbortOptions): Promise<T> {
    try {
      return await this.protectedBlock(fn, opts);
    } catch (error) {
      if (!(error instanceof SecurityStatusError) || error.hint !== undefined) throw error;
      throw new SecurityStatusError(error.sw, { command: error.command ?? 'READ RECORD', hint: VERIFY_PIN_FIRST });
    }
  }
}
