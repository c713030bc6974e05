/**
 * The SSC's record layouts (work record, insurance, health, contraindications, medical history),
 * the EF05/EF06 item tables, the file and PIN identifiers, and the citizen ID / PAN checks, shared
 * by the card simulator and the terminal SDK.
 *
 * @module sscard/records
 */
export * from '../../src/records/index.js';
