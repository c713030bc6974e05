/*
 * What a terminal asks before it takes a card: is it on the issuer's blacklist? Two sources
 * answer, behind one interface: a signed blacklist file the terminal holds offline (file.ts), and
 * the back office registry online (an adapter in sscard/office). SscCard.open takes either as its
 * `blacklist` option.
 */

/** The side of the card an entry concerns: the social-security application, or the bank application. */
export type BlacklistSide = 'ssc' | 'bank';
export const BLACKLIST_SIDES: readonly BlacklistSide[] = ['ssc', 'bank'];

/** Why that side is listed: reported lost, replaced by a new card, or blocked by the issuer. */
export type BlacklistReason = 'lost' | 'replaced' | 'blocked';
export const BLACKLIST_REASONS: readonly BlacklistReason[] = ['lost', 'replaced', 'blocked'];

/** One listing of a card. */
export interface BlacklistEntry {
  side: BlacklistSide;
  reason: BlacklistReason;
}

/** The card as the terminal reads it from the chip (EF05 tags 07 and 01). */
export interface BlacklistQuery {
  cardNumber: string;
  cardIdentifier: string;
}

/** A terminal's report that it blocked a listed card's application on the spot. */
export interface ApplicationBlockReport extends BlacklistQuery {
  side: BlacklistSide;
  reason: BlacklistReason;
}

export interface BlacklistSource {
  /** What the source is, for messages ('blacklist file version 7 of 2027-01-05T02:00:00.000Z', 'registry …'). */
  readonly description: string;
  /**
   * The listings of the card (matched by card number or card identifier), none when it is clear.
   * A source that cannot answer (a stale file, an unreachable registry) throws: a terminal that
   * cannot check does not take the card.
   */
  lookup(card: BlacklistQuery): Promise<readonly BlacklistEntry[]>;
  /**
   * Tells the issuer that the terminal blocked the application (online sources; an offline file
   * has no one to tell and leaves it out).
   */
  reportBlocked?(report: ApplicationBlockReport): Promise<void>;
}
