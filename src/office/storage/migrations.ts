import { SchemaTooNewError } from '../errors.js';
import { V4_QUERY_PASSWORDS } from '../password/schema.js';
import type { Database } from './database.js';
import { V2_LOSS } from '../loss/schema.js';

/*
 * Versioned migrations, applied when a registry opens. Each runs once, in its own transaction,
 * under an advisory lock so that processes opening a fresh server at the same moment apply it
 * once between them. A database whose schema is newer than this code is refused.
 *
 * The same SQL runs on PGlite and on a PostgreSQL server. The tables:
 *   - persons: one row per citizen ID number.
 *   - cards: the social-security side's state and the bank side's state in two columns; the bank
 *     side is NULL on a card without the financial application. At most one live card per person
 *     (a partial unique index), replacement links old and new cards.
 *   - personalizations: every version of each card's personalization document (JSONB); a
 *     correction adds a version, nothing is overwritten.
 *   - issuer_scripts: commands queued for a card's next online contact.
 *   - history: append-only; a trigger refuses UPDATE, DELETE and TRUNCATE.
 *   - query_passwords (5): the information-query passwords' verifiers and counters (password/schema.ts).
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Arbitrary constant: the advisory lock key migrations take (ASCII 'SSCO'). */
const MIGRATION_LOCK_KEY = 0x5353434f;

const V1_REGISTRY = `
CREATE TABLE persons (
  id_number   text PRIMARY KEY CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
  name        text NOT NULL CHECK (name <> ''),
  latin_name  text,
  sex         text NOT NULL CHECK (sex IN ('1', '2')),
  birth_date  date NOT NULL,
  ethnicity   text NOT NULL CHECK (ethnicity ~ '^[0-9]{2}$'),
  birthplace  text NOT NULL CHECK (birthplace ~ '^[0-9]{6}$'),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- Serial numbers of new cards: the card number and the card identifier are both made from it.
CREATE SEQUENCE card_serial START 1 NO CYCLE;

CREATE TABLE cards (
  card_number      text PRIMARY KEY CHECK (card_number ~ '^[0-9A-Z]{9}$'),
  card_identifier  text NOT NULL UNIQUE CHECK (card_identifier ~ '^[0-9]{16,32}$'),
  id_number        text NOT NULL REFERENCES persons (id_number),
  spec_version     text NOT NULL CHECK (spec_version IN ('2.00', '3.00')),
  financial        boolean NOT NULL,
  issue_date       date NOT NULL,
  expiry_date      date NOT NULL CHECK (expiry_date > issue_date),
  ssc_status       text NOT NULL CHECK (ssc_status IN ('active', 'pin_locked', 'lost_temporary', 'lost_written', 'replaced', 'blocked')),
  bank_status      text CHECK (bank_status IN ('inactive', 'active', 'pin_locked', 'lost_temporary', 'lost_written', 'replaced', 'blocked')),
  pin_initial      boolean NOT NULL,
  replaces         text UNIQUE REFERENCES cards (card_number),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CONSTRAINT bank_side_iff_financial CHECK (financial = (bank_status IS NOT NULL)),
  -- A replaced card is replaced on both sides: no card is active on one and replaced on the other.
  CONSTRAINT replaced_on_both_sides CHECK (bank_status IS NULL OR (ssc_status = 'replaced') = (bank_status = 'replaced'))
);
CREATE INDEX cards_by_person ON cards (id_number);
CREATE UNIQUE INDEX one_live_card_per_person ON cards (id_number) WHERE ssc_status NOT IN ('replaced', 'blocked');

CREATE TABLE personalizations (
  card_number  text NOT NULL REFERENCES cards (card_number),
  version      integer NOT NULL CHECK (version >= 1),
  document     jsonb NOT NULL,
  reason       text NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (card_number, version)
);

CREATE TABLE issuer_scripts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  card_number text NOT NULL REFERENCES cards (card_number),
  kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz,
  state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'expired', 'cancelled')),
  settled_at  timestamptz,
  CONSTRAINT settled_iff_not_pending CHECK ((state = 'pending') = (settled_at IS NULL))
);
CREATE INDEX issuer_scripts_pending ON issuer_scripts (card_number, id) WHERE state = 'pending';

CREATE TABLE history (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL,
  terminal_id  text NOT NULL,
  role         text NOT NULL CHECK (role IN ('window', 'bank', 'hotline', 'pos', 'portal', 'admin')),
  channel      text NOT NULL,
  operation    text NOT NULL,
  card_number  text,
  id_number    text,
  result       text NOT NULL CHECK (result IN ('ok', 'refused')),
  reason       text,
  details      jsonb NOT NULL DEFAULT '{}',
  CONSTRAINT reason_iff_refused CHECK ((result = 'refused') = (reason IS NOT NULL))
);
CREATE INDEX history_by_card ON history (card_number, id);
CREATE INDEX history_by_person ON history (id_number, id);

CREATE FUNCTION history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'history is append-only: % is refused', TG_OP USING ERRCODE = 'SS001';
END
$$;
CREATE TRIGGER history_no_update_or_delete BEFORE UPDATE OR DELETE ON history
  FOR EACH ROW EXECUTE FUNCTION history_is_append_only();
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
  FOR EACH STATEMENT EXECUTE FUNCTION history_is_append_only();
`;

/*
 * Version 3, the hotline's PIN change scripts (docs/hotline.md):
 *   - issuer_scripts.state gains 'failed' (the card refused the script, e.g. a wrong current PIN);
 *   - outcome: how a settled script ended (the card's answer, the script that replaced it, expiry);
 *   - holder_told_at: when the hotline told the holder of a failed or expired change;
 *   - cards are found by the digits of their number (callers type it without its letter).
 */
const V3_HOTLINE_SCRIPTS = `
ALTER TABLE issuer_scripts DROP CONSTRAINT issuer_scripts_state_check;
ALTER TABLE issuer_scripts ADD CONSTRAINT issuer_scripts_state_check
  CHECK (state IN ('pending', 'applied', 'expired', 'cancelled', 'failed'));
ALTER TABLE issuer_scripts ADD COLUMN outcome jsonb;
ALTER TABLE issuer_scripts ADD COLUMN holder_told_at timestamptz;
CREATE INDEX issuer_scripts_by_kind ON issuer_scripts (card_number, kind, id);
CREATE INDEX cards_by_number_digits ON cards ((regexp_replace(card_number, '[^0-9]', '', 'g')));
`;

/*
 * Version 5, card identifiers as real cards carry them: besides 16 to 32 digits, the 32-character
 * form region code || D156000005 (the MOHRSS RID) || serial digits || F padding (the same rule as
 * isCardIdentifier in sscard/keys).
 */
const V5_RID_CARD_IDENTIFIERS = `
ALTER TABLE cards DROP CONSTRAINT cards_card_identifier_check;
ALTER TABLE cards ADD CONSTRAINT cards_card_identifier_check CHECK (
  card_identifier ~ '^[0-9]{16,32}$'
  OR (length(card_identifier) = 32 AND card_identifier ~ '^[0-9]{6}D156000005[0-9]{1,16}F*$')
);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'registry', sql: V1_REGISTRY },
  { version: 2, name: 'loss', sql: V2_LOSS },
  { version: 3, name: 'hotline scripts', sql: V3_HOTLINE_SCRIPTS },
  { version: 4, name: 'query_passwords', sql: V4_QUERY_PASSWORDS },
  { version: 5, name: 'rid card identifiers', sql: V5_RID_CARD_IDENTIFIERS },
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** SQLSTATE the history trigger raises. */
export const HISTORY_APPEND_ONLY_SQLSTATE = 'SS001';

export interface MigrationReport {
  /** Version before opening (0 = a fresh database). */
  from: number;
  to: number;
  applied: number[];
}

/** Applies the pending migrations of `list` (default: all of this code's). */
export async function migrate(db: Database, list: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  const latest = list.length === 0 ? 0 : list[list.length - 1]!.version;
  const applied: number[] = [];
  let from: number | undefined;
  for (;;) {
    const step = await db.transaction('read committed', async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const r = await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      const current = r.rows[0]?.v ?? 0;
      from ??= current;
      if (current > latest) throw new SchemaTooNewError(current, latest);
      const next = list.find((m) => m.version > current);
      if (next === undefined) return undefined;
      await tx.exec(next.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [next.version, next.name]);
      return next.version;
    });
    if (step === undefined) break;
    applied.push(step);
  }
  return { from: from ?? 0, to: latest, applied };
}

/** The schema version a database is at (0 when never migrated). */
export async function schemaVersion(db: Database): Promise<number> {
  const exists = await db.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (exists.rows[0]?.t == null) return 0;
  const r = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return r.rows[0]?.v ?? 0;
}
