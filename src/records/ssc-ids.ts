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
/** DF name of the PBOC payment system environment (PSE), ASCII "1PAY.SYS.DDF01" (financial cards). */
export const PSE_DF_NAME: Uint8Array = fromHex('315041592E5359532E4444463031');
/** GBK bytes of "PKI.社会保障": the PKI application of 3.00 cards (card profile §7). */
export const PKI_DF_NAME: Uint8Array = fromHex('504B492EC9E7BBE1B1A3D5CF');
/** ASCII "SS.CERT.ADF1": the certificate ADF inside the PKI application. */
export const PKI_CERT_ADF_NAME: Uint8Array = fromHex('53532E434552542E41444631');

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
  /** DF03/EF05: the items of card profile §7 (before: the insurance participation, now DF03_INSURANCE). */
  DF03_EF05: 0xef05,
  BANK: 0xa001,
  /** Bank record file, SFI 1. */
  BANK_EF01: 0xef01,
  /** 3.00 cards: SSSE/EF0D (人员识别号, 初次申请地代码), SFI 0D. */
  EF0D: 0xef0d,
  /**
   * DF03 insurance participation (project layout, see records/insurance.ts). It was DF03/EF05
   * until DF03/EF05..EF07 took the items real reader programs read there (card profile §7).
   */
  DF03_INSURANCE: 0xef08,
  /** PKI application (3.00 cards) and its certificate ADF: FIDs are project choices ("PK", AD F1). */
  PKI: 0x504b,
  PKI_CERT_ADF: 0xadf1,
  /** The signing public key EF under SS.CERT.ADF1: `00 B0 00 00 42`. */
  PKI_SIGN_PUBLIC_KEY: 0x0012,
  /** PBOC payment system environment DF (project choice of FID) and its directory file (SFI 1). */
  PSE: 0xdd01,
  PSE_DIRECTORY: 0xef01,
  /** PBOC application records named by the AFL: SFI 2 (PAN, track 2, ...) and SFI 3. */
  BANK_EF02: 0xef02,
  BANK_EF03: 0xef03,
});

/**
 * Short file ids (READ RECORD P2 = SFI<<3 | mode), relative to the DF that holds the file:
 * SSSE/EF05 issuer data, SSSE/EF06 cardholder, SSSE/EF0D (3.00), DF02/EF07 work record, DF03/EF05
 * (§7 items), DF03/EF08 insurance participation, DF10/EF05 health basics, DF10/EF07
 * contraindications, DF10/EF08 medical history, bank EF01, the PSE directory, bank SFI 2 and 3.
 */
export const SSC_SFIS = Object.freeze({
  EF05: 5,
  EF06: 6,
  EF07: 7,
  EF08: 8,
  EF0D: 0x0d,
  DF03_EF05: 5,
  DF03_INSURANCE: 8,
  BANK_EF01: 1,
  PSE_DIRECTORY: 1,
  BANK_EF02: 2,
  BANK_EF03: 3,
});

/** PIN ids and VERIFY P2 references: the SSSE application PIN (P2 00) and the bank PIN (P2 80). */
export const SSC_PINS = Object.freeze({
  app: { id: 'app', reference: 0x00 },
  bank: { id: 'bank', reference: 0x80 },
});
