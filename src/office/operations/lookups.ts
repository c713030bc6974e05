import type { PersonalizationJson } from '../document.js';
import { OfficeArgumentError, PersonNotFoundError } from '../errors.js';
import type { Queryable } from '../storage/database.js';
import type { HistoryEntry, Person, PersonalizationVersion } from '../types.js';

/*
 * The registry's read-only lookups: persons, personalization versions and the history. They
 * record nothing and take no lock; the operations that change things are in their own files.
 */

/** Which history entries to read. */
export interface HistoryQuery {
  /** At most this many entries, newest last (default 1000). */
  limit?: number;
  /** Only entries after this id (paging). */
  afterId?: number;
}

interface HistoryRow {
  id: string | number;
  at: Date | string;
  terminal_id: string;
  role: HistoryEntry['role'];
  channel: HistoryEntry['channel'];
  operation: string;
  card_number: string | null;
  id_number: string | null;
  result: HistoryEntry['result'];
  reason: string | null;
  details: Record<string, unknown>;
}

const HISTORY_COLUMNS =
  'id, at, terminal_id, role, channel, operation, card_number, id_number, result, reason, details';

function toHistory(r: HistoryRow): HistoryEntry {
  return {
    id: Number(r.id),
    at: asDate(r.at),
    terminalId: r.terminal_id,
    role: r.role,
    channel: r.channel,
    operation: r.operation,
    cardNumber: r.card_number,
    idNumber: r.id_number,
    result: r.result,
    reason: r.reason,
    details: r.details,
  };
}

/** Drivers differ: a timestamptz comes back as a Date (pg) or as text. */
function asDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

function positiveLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new OfficeArgumentError('history limit must be a positive integer');
  return limit;
}

/** The person with this ID number; PersonNotFoundError when there is none. */
export async function findPerson(db: Queryable, idNumber: string): Promise<Person> {
  const r = await db.query<{
    id_number: string;
    name: string;
    latin_name: string | null;
    sex: '1' | '2';
    birth_date: string;
    ethnicity: string;
    birthplace: string;
  }>(
    'SELECT id_number, name, latin_name, sex, birth_date::text AS birth_date, ethnicity, birthplace FROM persons WHERE id_number = $1',
    [idNumber],
  );
  const p = r.rows[0];
  if (p === undefined) throw new PersonNotFoundError(idNumber);
  return {
    idNumber: p.id_number,
    name: p.name,
    latinName: p.latin_name,
    sex: p.sex,
    birthDate: p.birth_date,
    ethnicity: p.ethnicity,
    birthplace: p.birthplace,
  };
}

interface PersonalizationRow {
  version: number;
  reason: string;
  document: PersonalizationJson;
  created_at: Date | string;
}

function toVersion(cardNumber: string, row: PersonalizationRow): PersonalizationVersion {
  return {
    cardNumber,
    version: row.version,
    reason: row.reason,
    document: row.document,
    createdAt: asDate(row.created_at),
  };
}

/** A personalization version of the card (default: the newest); undefined when there is none. */
export async function personalizationVersion(
  db: Queryable,
  cardNumber: string,
  version?: number,
): Promise<PersonalizationVersion | undefined> {
  const r = await db.query<PersonalizationRow>(
    version === undefined
      ? 'SELECT version, reason, document, created_at FROM personalizations WHERE card_number = $1 ORDER BY version DESC LIMIT 1'
      : 'SELECT version, reason, document, created_at FROM personalizations WHERE card_number = $1 AND version = $2',
    version === undefined ? [cardNumber] : [cardNumber, version],
  );
  const row = r.rows[0];
  return row === undefined ? undefined : toVersion(cardNumber, row);
}

/** Every personalization version of the card, oldest first. */
export async function personalizationVersions(db: Queryable, cardNumber: string): Promise<PersonalizationVersion[]> {
  const r = await db.query<PersonalizationRow>(
    'SELECT version, reason, document, created_at FROM personalizations WHERE card_number = $1 ORDER BY version',
    [cardNumber],
  );
  return r.rows.map((row) => toVersion(cardNumber, row));
}

/** History entries by card number or by ID number, oldest first, paged by id. */
export async function historyWhere(
  db: Queryable,
  column: 'card_number' | 'id_number',
  value: string,
  query: HistoryQuery,
): Promise<HistoryEntry[]> {
  const limit = positiveLimit(query.limit ?? 1000);
  const r = await db.query<HistoryRow>(
    `SELECT ${HISTORY_COLUMNS} FROM history WHERE ${column} = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [value, query.afterId ?? 0, limit],
  );
  return r.rows.map(toHistory);
}

/** The card's newest `limit` history entries, oldest first (the portal's view). */
export async function latestHistoryOf(db: Queryable, cardNumber: string, limit: number): Promise<HistoryEntry[]> {
  const r = await db.query<HistoryRow>(
    `SELECT ${HISTORY_COLUMNS} FROM history WHERE card_number = $1 ORDER BY id DESC LIMIT $2`,
    [cardNumber, positiveLimit(limit)],
  );
  return r.rows.map(toHistory).reverse();
}
