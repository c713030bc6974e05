/*
 * Migration 2 (loss reporting, replacement, bank activation, blacklist):
 *   - loss_reports: every loss report per card and side, with its channel (self, manual,
 *     written), the holder's document shown, a proxy's ID number, and what became of it. At most
 *     one open report per card and side.
 *   - cards.bank_activation_from: the day the bank activation window opened, when it is not the
 *     issue date (a recorded hand-over, or a re-opening at the bank).
 *   - cards.ssc_application_blocked / bank_application_blocked: a terminal blocked that
 *     application on the chip (APPLICATION BLOCK) and reported it; cleared when a window or bank
 *     unblocks it.
 *   - blacklist_version: the version number of each exported blacklist file.
 */
export const V2_LOSS = `
CREATE TABLE loss_reports (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  card_number      text NOT NULL REFERENCES cards (card_number),
  side             text NOT NULL CHECK (side IN ('ssc', 'bank')),
  channel          text NOT NULL CHECK (channel IN ('self', 'manual', 'written')),
  document         text CHECK (document IN ('id', 'household', 'residence', 'employer')),
  proxy_id_number  text CHECK (proxy_id_number ~ '^[0-9]{17}[0-9X]$'),
  reported_at      timestamptz NOT NULL,
  state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'superseded', 'withdrawn', 'lapsed', 'replaced')),
  settled_at       timestamptz,
  CONSTRAINT written_names_document CHECK ((channel = 'written') = (document IS NOT NULL)),
  CONSTRAINT proxy_reports_in_writing CHECK (proxy_id_number IS NULL OR channel = 'written'),
  CONSTRAINT settled_iff_not_open CHECK ((state = 'open') = (settled_at IS NULL))
);
CREATE UNIQUE INDEX one_open_loss_report ON loss_reports (card_number, side) WHERE state = 'open';
CREATE INDEX loss_reports_temporary_open ON loss_reports (reported_at) WHERE state = 'open' AND channel <> 'written';

ALTER TABLE cards ADD COLUMN bank_activation_from date;
ALTER TABLE cards ADD COLUMN ssc_application_blocked boolean NOT NULL DEFAULT false;
ALTER TABLE cards ADD COLUMN bank_application_blocked boolean NOT NULL DEFAULT false;

CREATE SEQUENCE blacklist_version START 1 NO CYCLE;
`;
