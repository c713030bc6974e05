import { fromHex } from '../apdu/index.js';

/*
 * The identifiers of the SSC's files and PINs (card profile §2, §3, §5), shared by the simulator
 * (which builds the tree with them) and the terminal SDK (which selects and reads with them), so
 * both sides use the same numbers and bytes.
 */

/** GBK bytes of "sx1.sh.社会保障", the SSSE DF name (card profile §2). */
export const SSSE_DF_NAME: Uint8Array = fromHex('7378312E73682EC9E7BBE1B1A3D5CF');
/** AID of the bank (financial) application on financial cards (card profile §5). */
export const BANK_AID: Uint8Array = fromHex('A000000333010101');

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

/**
 * Short file ids (READ RECORD P2 = SFI<<3 | mode), relative to the DF that holds the file:
 * SSSE/EF05 issuer data, SSSE/EF06 cardholder, DF02/EF07 work record, DF03/EF05 insurance,
 * DF10/EF05 health basics, DF10/EF07 contraindications, DF10/EF08 medical history, bank EF01.
 */
export const SSC_SFIS = Object.freeze({
  EF05: 5,
  EF06: 6,
  EF07: 7,
  EF08: 8,
  DF03_EF05: 5,
  BANK_EF01: 1,
});

/** PIN ids and VERIFY P2 references: the SSSE application PIN (P2 00) and the bank PIN (P2 80). */
export const SSC_PINS = Object.freeze({
  app: { id: 'app', reference: 0x00 },
  bank: { id: 'bank', reference: 0x80 },
});
