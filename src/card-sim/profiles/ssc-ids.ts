// The SSSE DF name and the bank AID are shared with the terminal SDK through src/records.
export { SSSE_DF_NAME, BANK_AID } from '../../records/index.js';

/*
 * FIDs the card profile leaves open (project choices): the SSSE DF is 5353 ("SS") and the bank
 * application DF is A001; both are normally selected by name. Everything else is from the profile.
 */
export const SSC_FIDS = Object.freeze({
  SSSE: 0x5353,
  EF05: 0xef05,
  EF06: 0xef06,
  DF01: 0xdf01,
  DF02: 0xdf02,
  DF03: 0xdf03,
  DF04: 0xdf04,
  DF10: 0xdf10,
  /** Work record under DF02, health files under DF10. */
  EF07: 0xef07,
  EF08: 0xef08,
  /** DF03 insurance participation (project choice). */
  DF03_EF05: 0xef05,
  BANK: 0xa001,
  /** Bank record file, SFI 1. */
  BANK_EF01: 0xef01,
});

/** PIN ids and VERIFY P2 references: the SSSE application PIN (P2 00) and the bank PIN (P2 80). */
export const SSC_PINS = Object.freeze({
  app: { id: 'app', reference: 0x00 },
  bank: { id: 'bank', reference: 0x80 },
});
