import { addYears, chinaDate } from '../clock.js';
import { storableDocument, viewDocument } from '../document.js';
import type { PersonalizationJson } from '../document.js';
import { CardNumberTakenError, DocumentInvalidError, OperationRefusedError, PersonHasCardError } from '../errors.js';
import { sqlState } from '../storage/database.js';
import type { Queryable } from '../storage/database.js';
import type { IssueCardInput, IssuedCard, Person } from '../types.js';
import { findCard } from './cards.js';
import { storeInvariant } from './runner.js';
import type { OperationSpec } from './runner.js';

/*
 * Issuing a card: the person is created or updated from the document, a card number and a card
 * identifier are allocated from one sequence, the card starts active (the bank side inactive
 * until the holder activates it at the bank), the application PIN is the initial one, and the
 * document is stored as personalization version 1.
 *
 * Formats, as the sample cards have them: card number = one capital letter and 8 digits of the
 * serial; card identifier = issuing region code (6 digits), '9', 9 digits of the serial.
 * One live card per person: a second issue is refused with PERSON_HAS_CARD (a new card for a
 * lost one is a replacement). The person's row is locked first, so two windows issuing to the
 * same person at once are ordered and the second is refused.
 */

export const DEFAULT_VALID_YEARS = 10;
const DEFAULT_PREFIX = 'S';

/** Card number and identifier from a serial number. */
export function cardNumbersFor(serial: number, prefix: string, region: string): { number: string; identifier: string } {
  return {
    number: `${prefix}${String(serial).padStart(8, '0')}`,
    identifier: `${region}9${String(serial).padStart(9, '0')}`,
  };
}

function cardPart(doc: PersonalizationJson): Record<string, unknown> {
  const card = doc['card'];
  if (card === undefined) {
    const fresh: Record<string, unknown> = {};
    doc['card'] = fresh;
    return fresh;
  }
  return card as Record<string, unknown>;
}

/** Runs the caller's full check of a document; its failure refuses the operation. */
export function runValidate(
  validate: ((doc: Record<string, unknown>) => void) | undefined,
  doc: PersonalizationJson,
): void {
  if (validate === undefined) return;
  try {
    validate(structuredClone(doc));
  } catch (err) {
    if (err instanceof OperationRefusedError) throw err;
    const path = typeof (err as { path?: unknown }).path === 'string' ? (err as { path: string }).path : '';
    const message = err instanceof Error ? err.message : String(err);
    throw new DocumentInvalidError(path, message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message, {
      cause: err,
    });
  }
}

/** Inserts or updates the person from a document's view; returns the person. Locks their row. */
export async function upsertPerson(tx: Queryable, person: Person, now: Date): Promise<void> {
  await tx.query(
    `INSERT INTO persons (id_number, name, latin_name, sex, birth_date, ethnicity, birthplace, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8::timestamptz, $8::timestamptz)
     ON CONFLICT (id_number) DO UPDATE SET name = EXCLUDED.name, latin_name = EXCLUDED.latin_name, sex = EXCLUDED.sex,
       birth_date = EXCLUDED.birth_date, ethnicity = EXCLUDED.ethnicity, birthplace = EXCLUDED.birthplace,
       updated_at = EXCLUDED.updated_at`,
    [
      person.idNumber,
      person.name,
      person.latinName,
      person.sex,
      person.birthDate,
      person.ethnicity,
      person.birthplace,
      now.toISOString(),
    ],
  );
}

export const issueCardOperation: OperationSpec<IssueCardInput, IssuedCard> = {
  name: 'issue_card',
  roles: ['window', 'admin'],
  subject(input) {
    const person = (input.document as { person?: { idNumber?: unknown } } | null)?.person;
    return { idNumber: typeof person?.idNumber === 'string' ? person.idNumber : null };
  },
  async run(tx, env, input) {
    const doc = storableDocument(input.document);
    const view = viewDocument(doc);
    const person: Person = view.person;
    // A financial card's bank application starts inactive on the chip too (personalized blocked),
    // as the bank side does here, until a bank activates it (loss/activation.ts).
    if (view.financial && doc['bankApplication'] === undefined) doc['bankApplication'] = { state: 'inactive' };
    // The person's row first: it orders concurrent issues to the same person.
    await upsertPerson(tx, person, env.now);
    await tx.query('SELECT 1 FROM persons WHERE id_number = $1 FOR UPDATE', [person.idNumber]);
    const live = await tx.query<{ card_number: string }>(
      `SELECT card_number FROM cards WHERE id_number = $1 AND ssc_status NOT IN ('replaced', 'blocked')`,
      [person.idNumber],
    );
    if (live.rows[0] !== undefined) throw new PersonHasCardError(person.idNumber, live.rows[0].card_number);

    const card = cardPart(doc);
    let number: string;
    let identifier: string;
    if (input.keepNumbers === true) {
      if (view.card.number === null)
        throw new DocumentInvalidError('card.number', 'is required to keep the card number');
      if (view.card.identifier === null)
        throw new DocumentInvalidError('card.identifier', 'is required to keep the card identifier');
      number = view.card.number;
      identifier = view.card.identifier;
    } else {
      const prefix =
        input.prefix ??
        (view.card.number !== null && /^[A-Z]/.test(view.card.number) ? view.card.number[0]! : DEFAULT_PREFIX);
      if (!/^[A-Z]$/.test(prefix)) throw new DocumentInvalidError('prefix', 'must be one capital letter');
      const region =
        input.region ?? (view.card.identifier !== null ? view.card.identifier.slice(0, 6) : person.birthplace);
      if (!/^[0-9]{6}$/.test(region)) throw new DocumentInvalidError('region', 'must be a 6-digit region code');
      const serial = await tx.query<{ n: string | number }>("SELECT nextval('card_serial') AS n");
      ({ number, identifier } = cardNumbersFor(Number(serial.rows[0]!.n), prefix, region));
    }
    const issueDate = chinaDate(env.now);
    const years = input.validYears ?? DEFAULT_VALID_YEARS;
    const expiryDate = addYears(issueDate, years);
    Object.assign(card, { number, identifier, issueDate, expiryDate });
    runValidate(input.validate, doc);

    const inserted = await tx.query(
      `INSERT INTO cards (card_number, card_identifier, id_number, spec_version, financial, issue_date, expiry_date,
                          ssc_status, bank_status, pin_initial, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, 'active', $8, true, $9::timestamptz, $9::timestamptz)
       ON CONFLICT DO NOTHING`,
      [
        number,
        identifier,
        person.idNumber,
        view.specVersion,
        view.financial,
        issueDate,
        expiryDate,
        view.financial ? 'inactive' : null,
        env.now.toISOString(),
      ],
    );
    if (inserted.rowCount === 0) {
      const taken = await tx.query('SELECT 1 FROM cards WHERE card_number = $1', [number]);
      throw taken.rows.length > 0
        ? new CardNumberTakenError('card number', number)
        : new CardNumberTakenError('card identifier', identifier);
    }
    try {
      await tx.query(
        `INSERT INTO personalizations (card_number, version, document, reason, created_at) VALUES ($1, 1, $2::jsonb, 'issue', $3::timestamptz)`,
        [number, JSON.stringify(doc), env.now.toISOString()],
      );
    } catch (err) {
      if (sqlState(err) === '23505') throw new CardNumberTakenError('card number', number);
      throw err;
    }
    const status = await findCard(tx, number);
    storeInvariant(status !== undefined, `card ${number} vanished inside its own issue`);
    return {
      value: { card: status, document: doc },
      cardNumber: number,
      idNumber: person.idNumber,
      details: {
        cardIdentifier: identifier,
        specVersion: view.specVersion,
        financial: view.financial,
        issueDate,
        expiryDate,
      },
    };
  },
};
