import { storableDocument, viewDocument } from '../document.js';
import { CardStateError, DocumentInvalidError, OfficeArgumentError } from '../errors.js';
import { isFinalState } from '../states.js';
import type { CorrectionInput, PersonalizationVersion } from '../types.js';
import { lockCard } from './cards.js';
import { runValidate, upsertPerson } from './issue.js';
import { cardOutcome } from './runner.js';
import type { OperationSpec } from './runner.js';

/*
 * A correction: data printed or stored wrongly on a card is fixed in a new version of its
 * personalization document (the card then goes back through the issuer and is re-made from it).
 * The earlier versions stay. The card keeps its number, identifier and dates; the holder's ID
 * number cannot change by a correction (a different person needs a different card).
 */

export const correctPersonalizationOperation: OperationSpec<CorrectionInput, PersonalizationVersion> = {
  name: 'correct_personalization',
  roles: ['window', 'admin'],
  subject: (i) => ({ cardNumber: i.cardNumber }),
  async run(tx, env, input) {
    if (typeof input.reason !== 'string' || input.reason.trim() === '' || input.reason.length > 200) {
      throw new OfficeArgumentError('a correction needs a reason of 1..200 characters');
    }
    const card = await lockCard(tx, input.cardNumber);
    if (isFinalState(card.ssc)) throw new CardStateError(card.cardNumber, 'ssc', card.ssc, 'correct_personalization');
    const doc = storableDocument(input.document);
    const view = viewDocument(doc);
    if (view.person.idNumber !== card.idNumber) {
      throw new DocumentInvalidError('person.idNumber', "cannot change by a correction (it is the holder's identity)");
    }
    if (view.financial !== card.financial) throw new DocumentInvalidError('financial', 'cannot change by a correction');
    // The card's own numbers and dates are the registry's; the document is made to agree.
    const part = (doc['card'] ?? {}) as Record<string, unknown>;
    doc['card'] = {
      ...part,
      number: card.cardNumber,
      identifier: card.cardIdentifier,
      issueDate: card.issueDate,
      expiryDate: card.expiryDate,
    };
    runValidate(input.validate, doc);
    await upsertPerson(tx, view.person, env.now);
    if (view.specVersion !== card.specVersion) {
      await tx.query('UPDATE cards SET spec_version = $2, updated_at = $3::timestamptz WHERE card_number = $1', [
        card.cardNumber,
        view.specVersion,
        env.now.toISOString(),
      ]);
    }
    const version = card.personalizationVersion + 1;
    const reason = `correction: ${input.reason.trim()}`;
    await tx.query(
      `INSERT INTO personalizations (card_number, version, document, reason, created_at) VALUES ($1, $2, $3::jsonb, $4, $5::timestamptz)`,
      [card.cardNumber, version, JSON.stringify(doc), reason, env.now.toISOString()],
    );
    return cardOutcome(
      card,
      { cardNumber: card.cardNumber, version, reason, document: doc, createdAt: env.now },
      { version, reason: input.reason.trim() },
    );
  },
};
