/*
 * Migration 4: the information-query passwords. One row per card, made the first time the
 * password is used (sign-in, change or reset): until then the card has its initial password (the
 * last six characters of its card number) and a full counter, and the row is made with a verifier
 * of that initial value. `verifier` is a scrypt verifier (password/hash.ts), never the password;
 * `tries_left` follows the PIN engine's counter (0 = locked); `try_limit` is fixed when the row
 * is made or reset, like a PIN record's.
 */
export const V4_QUERY_PASSWORDS = `
CREATE TABLE query_passwords (
  card_number  text PRIMARY KEY REFERENCES cards (card_number),
  verifier     text NOT NULL CHECK (verifier LIKE '$scrypt$%'),
  initial      boolean NOT NULL,
  try_limit    integer NOT NULL CHECK (try_limit BETWEEN 1 AND 15),
  tries_left   integer NOT NULL CHECK (tries_left BETWEEN 0 AND try_limit),
  set_at       timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
`;
