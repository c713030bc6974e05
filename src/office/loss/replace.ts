import type { PersonalizationJson } from '../document.js';
import { CardStateError, WrittenReportRequiredError } from '../errors.js';
import { findCard, checkHolder, lockCard } from '../operations/cards.js';
import { issueCardOperation } from '../operations/issue.js';
import { storeInvariant } from '../operations/runner.js';
import type { OperationSpec } from '../operations/runner.js';
import { nextState } from '../states.js';
import type { BankState } from '../states.js';
import { cardHolderSubject, documentOf, proxyOf } from './checks.js';
import { appendHistory, settleOpenReports } from './store.js';
import type { ReplaceCardInput, ReplacedCard } from './types.js';

/*
 * Replacement (补卡) of a lost card, at a service window, only after a written loss report:
 *   - the social-security side must be lost_written; on a financial card the bank side too,
 *     unless it was never activated (inactive: nothing to report, it is simply replaced);
 *   - the old card becomes replaced on both sides in one statement (the schema keeps a replaced
 *     card replaced on both), its open reports are settled as 'replaced', and terminals learn it
 *     from the blacklist;
 *   - the new card is issued from the registry's newest personalization version of the old card
 *     (the holder, the last known health and work records; terminals do not report record
 *     updates to the registry, so that version is the newest the office knows), with a new card
 *     number and identifier from the one serial, the initial application PIN, and on a financial
 *     card the bank application inactive, on the chip too (bankApplication.state 'inactive'):
 *     the holder activates it at a bank within the activation window (activation.ts);
 *   - a proxy brings both IDs; the kind of the holder's document is recorded.
 * Both cards' histories get the entry. The CLI writes the new card's image from the returned
 * document, as `office issue` does.
 */

export const replaceCardOperation: OperationSpec<ReplaceCardInput, ReplacedCard> = {
  name: 'replace_card',
  roles: ['window', 'admin'],
  subject: cardHolderSubject,
  async run(tx, env, input) {
    const card = await lockCard(tx, input.cardNumber);
    const document = documentOf(input.document);
    const proxyIdNumber = proxyOf(card, 'written', env.ctx.channel, input.proxyIdNumber, 'a replacement');
    checkHolder(card, input.idNumber);

    if (card.ssc === 'replaced' || card.ssc === 'blocked')
      throw new CardStateError(card.cardNumber, 'ssc', card.ssc, 'replace_card');
    if (card.ssc !== 'lost_written') throw new WrittenReportRequiredError(card.cardNumber, 'ssc', card.ssc);
    let bankTo: BankState | null = null;
    if (card.bank !== null) {
      if (card.bank === 'replaced' || card.bank === 'blocked')
        throw new CardStateError(card.cardNumber, 'bank', card.bank, 'replace_card');
      const event = card.bank === 'inactive' ? 'replace_inactive' : 'replace';
      const to = nextState('bank', event, card.bank);
      if (to === undefined) throw new WrittenReportRequiredError(card.cardNumber, 'bank', card.bank);
      bankTo = to as BankState;
    }
    const sscTo = nextState('ssc', 'replace', card.ssc);
    storeInvariant(sscTo === 'replaced', 'the transition table lost lost_written -> replaced');

    const latest = await tx.query<{ version: number; document: PersonalizationJson }>(
      'SELECT version, document FROM personalizations WHERE card_number = $1 ORDER BY version DESC LIMIT 1',
      [card.cardNumber],
    );
    const source = latest.rows[0];
    storeInvariant(source !== undefined, `card ${card.cardNumber} has no personalization to replace it from`);

    // Both sides at once: the schema refuses a card replaced on one side only.
    await tx.query(
      `UPDATE cards SET ssc_status = $2, bank_status = $3, updated_at = $4::timestamptz WHERE card_number = $1`,
      [card.cardNumber, sscTo, bankTo, env.now.toISOString()],
    );
    await settleOpenReports(tx, card.cardNumber, 'both', 'replaced', env.now);

    const doc = structuredClone(source.document);
    if (card.financial) doc['bankApplication'] = { state: 'inactive' };
    // The old card's number and identifier stay in the document only to give the new ones their
    // prefix and region; the issue replaces them (and the dates) with newly allocated ones.
    const issued = await issueCardOperation.run(tx, env, {
      document: doc,
      ...(input.validate === undefined ? {} : { validate: input.validate }),
    });
    const newNumber = issued.value.card.cardNumber;
    await tx.query('UPDATE cards SET replaces = $2 WHERE card_number = $1', [newNumber, card.cardNumber]);
    const fresh = await findCard(tx, newNumber);
    const old = await findCard(tx, card.cardNumber);
    storeInvariant(fresh !== undefined && old !== undefined, 'a card vanished inside its own replacement');

    const shared = {
      document,
      ...(proxyIdNumber === null ? {} : { proxyIdNumber }),
      fromVersion: source.version,
    };
    await appendHistory(tx, env.now, env.ctx, {
      operation: 'replace_card',
      cardNumber: newNumber,
      idNumber: card.idNumber,
      details: {
        ...shared,
        replaces: card.cardNumber,
        cardIdentifier: fresh.cardIdentifier,
        issueDate: fresh.issueDate,
        expiryDate: fresh.expiryDate,
      },
    });
    const value: ReplacedCard = { old, card: fresh, document: issued.value.document };
    return {
      value,
      cardNumber: card.cardNumber,
      idNumber: card.idNumber,
      details: {
        ...shared,
        replacedBy: newNumber,
        ssc: { from: card.ssc, to: sscTo },
        ...(card.bank === null ? {} : { bank: { from: card.bank, to: bankTo } }),
      },
    };
  },
};
