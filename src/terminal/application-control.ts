import {
  INS,
  SW,
  applicationBlock,
  applicationUnblock,
  getChallenge,
  selectByName,
  type CommandApdu,
} from '../apdu/index.js';
import type { KeyAlgorithm, SscKeyName } from '../keys/index.js';
import { BANK_AID, SSSE_DF_NAME } from '../records/index.js';
import type { CardChannel, CardSession } from './channel.js';
import { ApplicationBlockedError, CardDataError, InvalidArgumentError, errorForStatus } from './errors.js';
import { IssuerKeyMissingError, issuerCommandError } from './issuer/errors.js';
import type { SecureModule } from './psam.js';
import type { SscCard } from './ssc-card.js';
import { sessionOf, type SscSession } from './ssc/session.js';
import { commandName } from './trace.js';

/*
 * The lifecycle commands a terminal sends to one application of the card (card profile §4):
 * APPLICATION BLOCK `84 1E 00 {00|01} 04 MAC4` and APPLICATION UNBLOCK `84 18 00 00 04 MAC4`, each
 * after its own GET CHALLENGE (the MAC's IV), the MAC made by the terminal's secure module with
 * the application's control key: APP_CONTROL for the SSSE, BANK_APP_CONTROL for the bank
 * application. Who uses them:
 *   - a POS that finds the card on the blacklist blocks the application on the spot (temporary);
 *   - a bank branch activates a new card's bank application, personalized blocked (unblock);
 *   - a service window lifts a POS's block when a loss report is withdrawn (unblock).
 * The SELECT of a blocked application answers 6A81 (temporary) or 9303 (permanent) but makes it
 * current, so GET CHALLENGE and APPLICATION UNBLOCK can follow; that is why a blocked SSSE can be
 * unblocked over a bare channel (ApplicationControl.forChannel) with the card identifier and the
 * algorithm from the issuer's records, since the card's own EF05 is unreadable while blocked.
 */

/** An application of the card, as the lifecycle commands address it. */
export type CardApplicationName = 'ssse' | 'bank';

/** The control key of each application. */
export const APPLICATION_CONTROL_KEYS: Readonly<Record<CardApplicationName, SscKeyName>> = {
  ssse: 'APP_CONTROL',
  bank: 'BANK_APP_CONTROL',
};

const APPLICATION_NAMES: Readonly<Record<CardApplicationName, Uint8Array>> = { ssse: SSSE_DF_NAME, bank: BANK_AID };

const CHALLENGE_LENGTH = 8;

/** What APPLICATION UNBLOCK found: the application was blocked and is now usable, or was not blocked. */
export type UnblockOutcome = 'unblocked' | 'not_blocked';

/** The card's keys input when no SscCard is open (the identifier and algorithm from the issuer's records). */
export interface ApplicationControlCard {
  /** EF05 tag 01, the key diversification input. */
  cardIdentifier: string;
  algorithm: KeyAlgorithm;
}

interface Target {
  /** Runs `fn` as one exclusive block on the card. */
  run<T>(fn: (s: CardSession, card: ApplicationControlCard) => Promise<T>): Promise<T>;
}

/**
 * Blocks and unblocks the card's applications with the terminal's secure module:
 *
 * ```ts
 * const control = ApplicationControl.forCard(card, SoftwarePsam.withTestKeys(['BANK_APP_CONTROL']));
 * await control.unblock('bank'); // activation of a new card's bank application
 * ```
 *
 * Refusals are typed: IssuerKeyMissingError (the module lacks the control key; nothing sent),
 * ApplicationBlockedError (permanently blocked application: 9303), IssuerMacRejectedError (6988),
 * IssuerKeyBlockedError (6983), CardKeyMissingError (6A88: a card made before the key existed);
 * a card without the application answers FileNotFoundError to its SELECT.
 */
export class ApplicationControl {
  private readonly psam: SecureModule;
  private readonly target: Target;

  private constructor(psam: SecureModule, target: Target) {
    if (typeof psam?.commandMac !== 'function' || typeof psam.hasKey !== 'function') {
      throw new InvalidArgumentError('ApplicationControl needs a secure module (hasKey and commandMac)');
    }
    this.psam = psam;
    this.target = target;
  }

  /** For an open SscCard: the identifier and algorithm come from the card; its session is kept right. */
  static forCard(card: SscCard, psam: SecureModule): ApplicationControl {
    const session = sessionOf(card);
    return new ApplicationControl(psam, {
      run: (fn) =>
        session.exclusive(async (s) => {
          const algorithm = card.algorithm;
          if (algorithm === undefined)
            throw new CardDataError('the card did not announce its algorithm; its keys cannot be derived');
          try {
            return await fn(s, { cardIdentifier: await session.identifier(s), algorithm });
          } finally {
            // The commands select other applications behind the session's back.
            session.forgetLocation();
          }
        }),
    });
  }

  /**
   * For a bare channel, e.g. a card whose SSSE is blocked (SscCard.open fails on it): the card
   * identifier and algorithm come from the issuer's records (the registry).
   */
  static forChannel(channel: CardChannel, psam: SecureModule, card: ApplicationControlCard): ApplicationControl {
    if (typeof card?.cardIdentifier !== 'string' || !/^[0-9]{16,32}$/.test(card.cardIdentifier)) {
      throw new InvalidArgumentError('cardIdentifier must be the card identifier (16 to 32 digits)');
    }
    if (card.algorithm !== '3des' && card.algorithm !== 'sm4')
      throw new InvalidArgumentError("algorithm must be '3des' or 'sm4'");
    const known = { cardIdentifier: card.cardIdentifier, algorithm: card.algorithm };
    return new ApplicationControl(psam, { run: (fn) => channel.exclusive((s) => fn(s, known)) });
  }

  /**
   * For code already inside an exclusive block of the card (its CardSession), e.g. the blacklist
   * check of SscCard.open; the caller tells its own session where the card stands afterwards.
   */
  static forSession(s: CardSession, psam: SecureModule, card: ApplicationControlCard): ApplicationControl {
    return new ApplicationControl(psam, { run: (fn) => fn(s, card) });
  }

  /** Whether the secure module holds the control key of `application`. */
  canControl(application: CardApplicationName): boolean {
    return this.psam.hasKey(APPLICATION_CONTROL_KEYS[application]);
  }

  /**
   * APPLICATION BLOCK: temporary by default (APPLICATION UNBLOCK lifts it), permanent with
   * `permanent: true` (final). An application already blocked as asked (or for good) is left as
   * it is, with only its SELECT sent.
   */
  async block(application: CardApplicationName, opts: { permanent?: boolean } = {}): Promise<void> {
    const key = this.keyFor(application, 'APPLICATION BLOCK');
    const permanent = opts.permanent === true;
    return this.target.run(async (s, card) => {
      const state = await selectApplication(s, application);
      if (state === 'permanent' || (state === 'temporary' && !permanent)) return;
      await this.sendWithMac(s, card, key, (mac) => applicationBlock(permanent, mac));
    });
  }

  /**
   * APPLICATION UNBLOCK of a temporarily blocked application. An application that is not
   * blocked is left alone ('not_blocked', nothing but the SELECT sent); a permanently blocked
   * one is ApplicationBlockedError.
   */
  async unblock(application: CardApplicationName): Promise<UnblockOutcome> {
    const key = this.keyFor(application, 'APPLICATION UNBLOCK');
    return this.target.run(async (s, card) => {
      const state = await selectApplication(s, application);
      if (state === 'usable') return 'not_blocked';
      if (state === 'permanent')
        throw new ApplicationBlockedError(SW.APP_PERMANENTLY_BLOCKED, { command: 'SELECT', ins: INS.SELECT });
      await this.sendWithMac(s, card, key, (mac) => applicationUnblock(mac));
      return 'unblocked';
    });
  }

  private keyFor(application: CardApplicationName, operation: string): SscKeyName {
    if (application !== 'ssse' && application !== 'bank')
      throw new InvalidArgumentError("application must be 'ssse' or 'bank'");
    const key = APPLICATION_CONTROL_KEYS[application];
    if (!this.psam.hasKey(key)) throw new IssuerKeyMissingError(key, operation);
    return key;
  }

  private async sendWithMac(
    s: CardSession,
    card: ApplicationControlCard,
    key: SscKeyName,
    build: (mac: Uint8Array) => CommandApdu,
  ): Promise<void> {
    const challenge = await s.send(getChallenge(CHALLENGE_LENGTH));
    if (challenge.length !== CHALLENGE_LENGTH) {
      throw new CardDataError(`GET CHALLENGE answered ${challenge.length} bytes, expected ${CHALLENGE_LENGTH}`);
    }
    // The MAC covers the header with Lc = 04 and no data (the MAC is the whole data).
    const template = build(new Uint8Array(4));
    const header = Uint8Array.of(template.cla, template.ins, template.p1, template.p2);
    const mac = await this.psam.commandMac({ key, ...card, header, data: new Uint8Array(0), challenge });
    const command = build(mac);
    const response = await s.transmit(command);
    if (response.sw !== SW.OK) {
      throw issuerCommandError(response.sw, {
        command: commandName(command.cla, command.ins, command.p1),
        ins: command.ins,
      });
    }
  }
}

/**
 * SELECT of the application, accepting the answers of a blocked one (6A81 temporary, 9303
 * permanent), which still make it current; returns its lifecycle state.
 */
async function selectApplication(
  s: CardSession,
  application: CardApplicationName,
): Promise<'usable' | 'temporary' | 'permanent'> {
  const command = selectByName(APPLICATION_NAMES[application]);
  const response = await s.transmit(command);
  if (response.sw === SW.OK) return 'usable';
  if (response.sw === SW.FUNCTION_NOT_SUPPORTED) return 'temporary';
  if (response.sw === SW.APP_PERMANENTLY_BLOCKED) return 'permanent';
  throw errorForStatus(response.sw, { command: 'SELECT', ins: command.ins });
}

/** Used by SscCard.open's blacklist screening, which already runs inside the card's session. */
export async function blockInSession(
  session: SscSession,
  s: CardSession,
  psam: SecureModule,
  application: CardApplicationName,
  card: ApplicationControlCard,
): Promise<void> {
  const key = APPLICATION_CONTROL_KEYS[application];
  if (!psam.hasKey(key)) throw new IssuerKeyMissingError(key, 'APPLICATION BLOCK');
  const control = ApplicationControl.forSession(s, psam, card);
  try {
    await control.block(application);
  } finally {
    session.forgetLocation();
  }
}
