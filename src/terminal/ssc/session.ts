import { selectByFid, selectByName } from '../../apdu/index.js';
import type { KeyAlgorithm } from '../../keys/index.js';
import { BANK_AID, SSC_EF05_ITEMS, SSC_FIDS, SSC_SFIS, SSSE_DF_NAME } from '../../records/index.js';
import type { AbortOptions } from '../abort.js';
import type { CardChannel, CardSession } from '../channel.js';
import { InvalidArgumentError } from '../errors.js';
import type { SecureModule } from '../psam.js';
import { algorithmFromFci } from './fci.js';
import { readItem, sscItem } from './records.js';

/*
 * What the terminal remembers about one open card between commands: where the card stands (the
 * current application and DF, so a read does not re-select what is already selected) and the
 * card identifier (read once, the key diversification input). Internal to the SDK: the
 * application parts (pin, cardholder, employment, health, bank) share one session per card.
 */

/** The places the SDK selects; a new application or DF is one more route. */
export type Location = 'ssse' | 'df02' | 'df03' | 'df10' | 'bank';

interface Route {
  /** DF name (or AID) of the application, selected by name. */
  readonly application: Uint8Array;
  /** A DF inside the application, selected by FID from the application's root. */
  readonly df?: number;
}

const ROUTES: Readonly<Record<Location, Route>> = {
  ssse: { application: SSSE_DF_NAME },
  df02: { application: SSSE_DF_NAME, df: SSC_FIDS.DF02 },
  df03: { application: SSSE_DF_NAME, df: SSC_FIDS.DF03 },
  df10: { application: SSSE_DF_NAME, df: SSC_FIDS.DF10 },
  bank: { application: BANK_AID },
};

export class SscSession {
  readonly channel: CardChannel;
  /** From the SSSE FCI; undefined when the card did not announce a known one. */
  readonly algorithm: KeyAlgorithm | undefined;
  readonly psam: SecureModule | undefined;
  /** EF05 tag 03 as read by start(): '2.00' or '3.00' on the cards the SDK knows. */
  readonly specVersion: string;
  private location: Location | undefined;
  private locationGeneration: number;
  private cardIdentifier: string | undefined;

  private constructor(
    channel: CardChannel,
    algorithm: KeyAlgorithm | undefined,
    psam: SecureModule | undefined,
    specVersion: string,
  ) {
    this.channel = channel;
    this.algorithm = algorithm;
    this.psam = psam;
    this.specVersion = specVersion;
    this.location = 'ssse';
    this.locationGeneration = channel.generation;
  }

  /**
   * Starts the session inside the caller's exclusive block: selects SSSE (learning the crypto
   * algorithm from its FCI) and reads the spec version from EF05.
   */
  static async start(
    s: CardSession,
    channel: CardChannel,
    psam: SecureModule | undefined,
  ): Promise<{ session: SscSession; specVersion: string }> {
    const fci = await s.send(selectByName(SSSE_DF_NAME));
    const specVersion = await readItem(s, SSC_SFIS.EF05, 3, sscItem(SSC_EF05_ITEMS, 'specVersion'));
    const session = new SscSession(channel, algorithmFromFci(fci), psam, specVersion);
    return { session, specVersion };
  }

  /**
   * Runs `fn` as one atomic block on the card (no other caller's commands in between); `signal`
   * aborts the wait for the card and the block before each further command.
   */
  exclusive<T>(fn: (s: CardSession) => Promise<T>, opts?: AbortOptions): Promise<T> {
    return this.channel.exclusive(fn, opts);
  }

  /**
   * Makes `target` the card's current DF unless it is known to be there already (same card
   * generation: no reset, removal or insertion since it was selected).
   */
  async goTo(s: CardSession, target: Location): Promise<void> {
    if (this.locationGeneration !== this.channel.generation) this.location = undefined;
    const from = this.location;
    if (from === target) return;
    // Until the selects below succeed, where the card stands is unknown.
    this.location = undefined;
    const route = ROUTES[target];
    // A DF inside an application is selected from the application's root; from anywhere else the
    // application is selected by name first (re-selecting the same application keeps its
    // security state).
    const atRoot =
      from !== undefined && ROUTES[from].df === undefined && ROUTES[from].application === route.application;
    if (route.df === undefined || !atRoot) await s.send(selectByName(route.application));
    if (route.df !== undefined) await s.send(selectByFid(route.df));
    this.location = target;
    this.locationGeneration = this.channel.generation;
  }

  /** After a failed command sequence: where the card stands is unknown, the next goTo re-selects. */
  forgetLocation(): void {
    this.location = undefined;
  }

  /** The card identifier (EF05 tag 01), read once; leaves the current DF where it was. */
  async identifier(s: CardSession): Promise<string> {
    if (this.cardIdentifier !== undefined) return this.cardIdentifier;
    const back = this.location;
    await this.goTo(s, 'ssse');
    this.cardIdentifier = await readItem(s, SSC_SFIS.EF05, 1, sscItem(SSC_EF05_ITEMS, 'cardIdentifier'));
    if (back !== undefined) await this.goTo(s, back);
    return this.cardIdentifier;
  }

  /** Keeps the card identifier a full EF05 read found, so no later step reads it again. */
  rememberIdentifier(cardIdentifier: string): void {
    this.cardIdentifier = cardIdentifier;
  }
}

/* The session of each SscCard, reachable from SDK code that is handed the card (BankApplication,
 * issuer operations) without making the session part of SscCard's public surface. */
const SESSIONS = new WeakMap<object, SscSession>();

/** Ties `session` to the object that fronts it (an SscCard). */
export function bindSession(owner: object, session: SscSession): void {
  SESSIONS.set(owner, session);
}

/** The session behind an SscCard; a card that was not opened by SscCard.open has none (a bug). */
export function sessionOf(owner: object): SscSession {
  const session = SESSIONS.get(owner);
  if (session === undefined) throw new InvalidArgumentError('not an SscCard opened with SscCard.open');
  return session;
}
