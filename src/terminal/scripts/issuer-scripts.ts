import { SW, SscardError, concatBytes, getChallenge, swInfo, type CommandApdu } from '../../apdu/index.js';
import { CardDataError, CardStatusError, InvalidArgumentError } from '../errors.js';
import type { SscCard } from '../ssc-card.js';
import { sessionOf } from '../ssc/session.js';

/*
 * Issuer scripts: commands the issuer queued for a card (a PIN change given to the hotline, …)
 * that the next terminal with the card online sends. The terminal knows no office: it talks to an
 * IssuerHost, a small interface the issuer's side implements (the back office's adapter, or a
 * network client of it). Per script:
 *
 *   host.scriptsFor(card)      the pending commands, without their MACs
 *   GET CHALLENGE              the card's single-use challenge
 *   host.macFor(script, ch)    the issuer's secure module MACs the command over that challenge
 *   the command || MAC         sent to the card, which checks the MAC and acts
 *   host.report(script, ...)   what the card answered
 *
 * The terminal never holds the issuer's keys, and a script cannot be replayed without a fresh MAC
 * from the host. A card lost mid-command leaves the script unreported (still pending at the
 * host); the scripts the project makes are idempotent on the card, so sending one again is safe.
 */

/** The card as the terminal tells the host which card it has. */
export interface ScriptCard {
  /** EF05 card number. */
  cardNumber: string;
  /** EF05 tag 01 card identifier (the host checks it against its record: the keys derive from it). */
  cardIdentifier: string;
}

/** One queued command as the host hands it to a terminal. */
export interface IssuerScriptCommand {
  /** The host's reference, given back in macFor and report. */
  readonly id: string;
  /** What the script does, e.g. 'pin_change' (for display). */
  readonly kind: string;
  /** The application it is sent in. */
  readonly application: 'ssse' | 'bank';
  /** The command without its MAC, CLA as sent (secure messaging, e.g. 84); the MAC covers its header. */
  readonly command: CommandApdu;
}

/** Why the card refused a script (from its status word; see scriptOutcome). */
export type ScriptFailureReason =
  | 'mac_rejected'
  | 'key_blocked'
  | 'key_missing'
  | 'data_rejected'
  | 'new_pin_refused'
  | 'application_blocked'
  | 'card_refused';

/** What the card answered to one script. */
export type ScriptOutcome =
  | { result: 'applied' }
  /** 63Cx: the current PIN in the script was wrong; `triesLeft` 0 means the PIN is now blocked. */
  | { result: 'failed'; reason: 'pin_incorrect'; triesLeft: number }
  | { result: 'failed'; reason: ScriptFailureReason; sw: number };

/** The issuer's side, as a terminal online sees it. */
export interface IssuerHost {
  /** The card's pending scripts, oldest first (none when the card is unknown or its identifier differs). */
  scriptsFor(card: ScriptCard): Promise<IssuerScriptCommand[]>;
  /** The 4-byte MAC of `script.command` bound to the card's `challenge` (the issuer's secure module). */
  macFor(script: IssuerScriptCommand, challenge: Uint8Array): Promise<Uint8Array>;
  /** Records what the card answered. */
  report(script: IssuerScriptCommand, outcome: ScriptOutcome): Promise<void>;
}

/** One script of a run. */
export interface ScriptRunEntry {
  id: string;
  kind: string;
  /** What the card answered; undefined when the script never reached an answer (see error). */
  outcome?: ScriptOutcome;
  /** Whether the host recorded the outcome. */
  reported: boolean;
  /** Why the script stopped short of an answer or a report (host unreachable, card removed, …). */
  error?: SscardError;
}

/** What applying a card's pending scripts did. */
export interface ScriptRun {
  /** False when the host could not be asked for scripts (the terminal then works offline). */
  online: boolean;
  entries: ScriptRunEntry[];
  /** Why the host could not be asked. */
  hostError?: SscardError;
}

/** Challenge length asked for the MAC's IV (either algorithm pads it to its block). */
const CHALLENGE_LENGTH = 8;

/** The outcome a script's status word means (the card OS's answers to `84 5E 01`, see card-sim handlers/pin). */
export function scriptOutcome(sw: number): ScriptOutcome {
  if (sw === SW.OK) return { result: 'applied' };
  const triesLeft = swInfo(sw).triesLeft;
  if (triesLeft !== undefined) return { result: 'failed', reason: 'pin_incorrect', triesLeft };
  const reasons: Record<number, ScriptFailureReason> = {
    [SW.SM_INCORRECT]: 'mac_rejected',
    [SW.AUTH_METHOD_BLOCKED]: 'key_blocked',
    [SW.REFERENCED_DATA_NOT_FOUND]: 'key_missing',
    [SW.WRONG_DATA]: 'data_rejected',
    [SW.WRONG_LENGTH]: 'data_rejected',
    [SW.CONDITIONS_NOT_SATISFIED]: 'new_pin_refused',
    [SW.FUNCTION_NOT_SUPPORTED]: 'application_blocked',
    [SW.APP_PERMANENTLY_BLOCKED]: 'application_blocked',
  };
  return { result: 'failed', reason: reasons[sw] ?? 'card_refused', sw };
}

function asError(error: unknown, what: string): SscardError {
  if (error instanceof SscardError) return error;
  return new SscardError('ISSUER_HOST', `${what}: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

/**
 * Applies the card's pending issuer scripts: asks the host, sends each with the host's MAC over
 * a fresh challenge, and reports each answer. A host that cannot be reached is no error (the
 * terminal works offline: `online` false); nor is a failed report (the outcome is kept in the
 * entry, the script stays pending at the host and will be sent again, harmlessly). The card
 * going away is: it is thrown, after the scripts answered so far were reported.
 */
export async function applyIssuerScripts(card: SscCard, host: IssuerHost): Promise<ScriptRun> {
  if (
    typeof host?.scriptsFor !== 'function' ||
    typeof host.macFor !== 'function' ||
    typeof host.report !== 'function'
  ) {
    throw new InvalidArgumentError('applyIssuerScripts needs an IssuerHost (scriptsFor, macFor, report)');
  }
  const info = await card.readCardInfo();
  let scripts: IssuerScriptCommand[];
  try {
    scripts = await host.scriptsFor({ cardNumber: info.cardNumber, cardIdentifier: info.cardIdentifier });
  } catch (error) {
    return { online: false, entries: [], hostError: asError(error, 'the issuer host did not answer') };
  }
  const entries: ScriptRunEntry[] = [];
  for (const script of scripts) {
    const entry: ScriptRunEntry = { id: script.id, kind: script.kind, reported: false };
    entries.push(entry);
    let answered: number | undefined;
    try {
      answered = await sendScript(card, host, script);
    } catch (error) {
      if (error instanceof HostError) {
        entry.error = error.error;
        break;
      }
      throw error;
    }
    entry.outcome = scriptOutcome(answered);
    try {
      await host.report(script, entry.outcome);
      entry.reported = true;
    } catch (error) {
      entry.error = asError(error, 'the issuer host did not take the report');
    }
  }
  return { online: true, entries };
}

/** A failure of the host in the middle of a script (nothing was sent to the card after it). */
class HostError extends Error {
  constructor(readonly error: SscardError) {
    super(error.message);
  }
}

/** GET CHALLENGE, the host's MAC, the command; returns the card's status word. */
async function sendScript(card: SscCard, host: IssuerHost, script: IssuerScriptCommand): Promise<number> {
  const session = sessionOf(card);
  return session.exclusive(async (s) => {
    try {
      await session.goTo(s, script.application);
      const challenge = await s.send(getChallenge(CHALLENGE_LENGTH));
      if (challenge.length !== CHALLENGE_LENGTH)
        throw new CardDataError(`GET CHALLENGE answered ${challenge.length} bytes, expected ${CHALLENGE_LENGTH}`);
      let mac: Uint8Array;
      try {
        mac = await host.macFor(script, challenge);
      } catch (error) {
        throw new HostError(asError(error, 'the issuer host gave no MAC'));
      }
      if (!(mac instanceof Uint8Array) || mac.length !== 4)
        throw new HostError(new InvalidArgumentError('the issuer host gave a MAC that is not 4 bytes'));
      const data = concatBytes(script.command.data, mac);
      const response = await s.transmit({ ...script.command, data });
      // A failed script may leave the card elsewhere than the session thinks (a blocked application).
      if (response.sw !== SW.OK) session.forgetLocation();
      return response.sw;
    } catch (error) {
      session.forgetLocation();
      // The card refused the way in (a blocked application answers SELECT or GET CHALLENGE so):
      // that is the script's answer too.
      if (error instanceof CardStatusError) return error.sw;
      throw error;
    }
  });
}
