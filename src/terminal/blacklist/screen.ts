import type { KeyAlgorithm } from '../../keys/index.js';
import { SSC_EF05_ITEMS, SSC_SFIS } from '../../records/index.js';
import { APPLICATION_CONTROL_KEYS, blockInSession, type CardApplicationName } from '../application-control.js';
import type { CardSession } from '../channel.js';
import type { SecureModule } from '../psam.js';
import { readItem, sscItem } from '../ssc/records.js';
import type { SscSession } from '../ssc/session.js';
import { CardBlacklistedError } from './errors.js';
import type { BlacklistEntry, BlacklistSide, BlacklistSource } from './source.js';

/*
 * The blacklist check of SscCard.open, inside its first exclusive block, before any PIN can be
 * taken: the card number and identifier are read from EF05 (free read), the source is asked,
 * and
 *   - a listed social-security side refuses the card (CardBlacklistedError, with the reason);
 *   - a listed bank side is remembered, and the bank application refuses its PIN VERIFY;
 *   - with `block`, the terminal first blocks each listed side's application on the chip
 *     (APPLICATION BLOCK, temporary, MAC under its control key) when its secure module holds that
 *     key (a pharmacy holds the SSSE's, a bank branch the bank application's), and reports it to
 *     the source (the registry, online); from then on the card answers as a blocked application
 *     does, on every terminal, online or not.
 * A failed block (MAC refused, card key missing) does not let the card through: the refusal says
 * the application was not blocked and carries the failure as its cause.
 */

export interface ScreeningOptions {
  source: BlacklistSource;
  block: boolean;
  psam: SecureModule | undefined;
  algorithm: KeyAlgorithm | undefined;
}

const APPLICATION_OF: Readonly<Record<BlacklistSide, CardApplicationName>> = { ssc: 'ssse', bank: 'bank' };

/** Bank-side listings of an open card, for BankApplication (per session, so per open card). */
const BANK_LISTINGS = new WeakMap<
  SscSession,
  { cardNumber: string; entries: readonly BlacklistEntry[]; blocked: boolean; source: string }
>();

export async function screenCard(session: SscSession, s: CardSession, opts: ScreeningOptions): Promise<void> {
  const cardIdentifier = await readItem(s, SSC_SFIS.EF05, 1, sscItem(SSC_EF05_ITEMS, 'cardIdentifier'));
  const cardNumber = await readItem(s, SSC_SFIS.EF05, 7, sscItem(SSC_EF05_ITEMS, 'cardNumber'));
  session.rememberIdentifier(cardIdentifier);
  const entries = [...(await opts.source.lookup({ cardNumber, cardIdentifier }))].sort((a, b) =>
    a.side === b.side ? 0 : a.side === 'ssc' ? -1 : 1,
  );
  if (entries.length === 0) return;

  const blocked = new Set<BlacklistSide>();
  let reported = false;
  let failure: unknown;
  const { psam, algorithm } = opts;
  if (opts.block && psam !== undefined && algorithm !== undefined) {
    for (const entry of entries) {
      const application = APPLICATION_OF[entry.side];
      // A side whose control key this terminal lacks (a pharmacy's bank side) stays as it is.
      if (blocked.has(entry.side) || !psam.hasKey(APPLICATION_CONTROL_KEYS[application])) continue;
      try {
        await blockInSession(session, s, psam, application, { cardIdentifier, algorithm });
        blocked.add(entry.side);
      } catch (err) {
        failure ??= err;
        continue;
      }
      if (opts.source.reportBlocked !== undefined) {
        try {
          await opts.source.reportBlocked({ cardNumber, cardIdentifier, side: entry.side, reason: entry.reason });
          reported = true;
        } catch (err) {
          // The card is blocked on the chip whatever the registry says; the refusal tells the terminal.
          failure ??= err;
          reported = false;
        }
      }
    }
  }
  const bank = entries.filter((e) => e.side === 'bank');
  if (bank.length > 0)
    BANK_LISTINGS.set(session, {
      cardNumber,
      entries: bank,
      blocked: blocked.has('bank'),
      source: opts.source.description,
    });
  const ssc = entries.filter((e) => e.side === 'ssc');
  if (ssc.length > 0) {
    throw new CardBlacklistedError(
      cardNumber,
      entries,
      { applicationBlocked: blocked.has('ssc'), reported, source: opts.source.description },
      failure === undefined ? undefined : { cause: failure },
    );
  }
}

/** Refuses the bank application's PIN when the open card's bank side is listed. */
export function refuseListedBank(session: SscSession): void {
  const listing = BANK_LISTINGS.get(session);
  if (listing === undefined) return;
  throw new CardBlacklistedError(listing.cardNumber, listing.entries, {
    applicationBlocked: listing.blocked,
    reported: false,
    source: listing.source,
  });
}
