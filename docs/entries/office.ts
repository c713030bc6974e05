/**
 * The issuer's back office: the card registry on PostgreSQL (embedded PGlite or a shared server),
 * its operations with their rules and append-only history.
 *
 * @module sscard/office
 */
export * from '../../src/office/index.js';
