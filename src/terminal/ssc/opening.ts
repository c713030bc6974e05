import { CardBlacklistedError } from '../blacklist/errors.js';
import { screenCard } from '../blacklist/screen.js';
import { CardChannel } from '../channel.js';
import { applyIssuerScripts, type ScriptRun } from '../scripts/issuer-scripts.js';
import type { SscCard, SscCardOptions } from '../ssc-card.js';
import type { Transport } from '../transport.js';
import { SscSession } from './session.js';

/** What opening found, for the SscCard made from it. */
export interface OpenedCard {
  session: SscSession;
  ownsChannel: boolean;
  atr: Uint8Array;
  specVersion: string;
}

/**
 * Connects to the card in one block (ATR, SELECT SSSE, EF05, the blacklist screen), makes the
 * SscCard with `make`, then applies the issuer's pending scripts when `opts.issuerHost` is given.
 * A card the blacklist refuses is not kept: a channel made here is closed (the card powered off).
 */
export async function openSscCard(
  transport: Transport | CardChannel,
  opts: SscCardOptions,
  make: (opened: OpenedCard) => SscCard,
): Promise<{ card: SscCard; issuerScripts: ScriptRun | undefined }> {
  const ownsChannel = !(transport instanceof CardChannel);
  const channel = transport instanceof CardChannel ? transport : new CardChannel(transport, opts);
  if (opts.trace !== undefined) channel.subscribe(opts.trace);
  let card: SscCard;
  try {
    card = await channel.exclusive(
      async (s) => {
        const atr = channel.atr();
        const { session, specVersion } = await SscSession.start(s, channel, opts.psam);
        if (opts.blacklist !== undefined) {
          await screenCard(session, s, {
            source: opts.blacklist,
            block: opts.blockBlacklisted === true,
            psam: opts.psam,
            algorithm: session.algorithm,
          });
        }
        return make({ session, ownsChannel, atr, specVersion });
      },
      { signal: opts.signal },
    );
  } catch (error) {
    if (ownsChannel && error instanceof CardBlacklistedError) await channel.close();
    throw error;
  }
  const issuerScripts = opts.issuerHost === undefined ? undefined : await applyIssuerScripts(card, opts.issuerHost);
  return { card, issuerScripts };
}
