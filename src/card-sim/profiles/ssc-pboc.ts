import { concatBytes, encodeBcd, encodeBerTlv, encodeGbk } from '../../apdu/index.js';
import { BANK_AID, PSE_DF_NAME, SSC_FIDS, SSC_SFIS } from '../../records/index.js';
import { ALWAYS, NEVER } from '../fs/access.js';
import type { DedicatedFile, DfOptions, MasterFile } from '../fs/nodes.js';
import type { ResolvedPersonalization } from './personalization.js';

/*
 * The bank side of a financial card as a PBOC (UnionPay) debit application, enough for a program
 * that reads the PAN from a UnionPay card to read it here (card profile §7); not an EMV kernel:
 * no GENERATE AC, no offline data authentication, static ATC values.
 *
 * - PSE `1PAY.SYS.DDF01` (FID DD01, project choice): FCI `6F { 84 name, A5 { 88 01 01, 5F2D 02 "zh" } }`,
 *   its directory (SFI 1) record 1 `70 { 61 { 4F AID, 50 label, 87 01 01 } }`.
 * - The application A000000333010101: FCI `6F { 84 AID, A5 { 50 label, 87 01 01, 5F2D 02 "zh",
 *   9F11 01 01 } }` (no PDOL: GPO data is `83 00`); GET PROCESSING OPTIONS answers response format 2
 *   `77 { 82 AIP 7C00, 94 AFL 10 01 02 00 18 01 01 00 }`: SFI 2 records 1-2 and SFI 3 record 1.
 * - SFI 2 record 1: `70 { 57 track 2, 5A PAN, 5F20 name, 5F24 expiry, 5F25 effective date,
 *   5F28 0156, 5F34 01 }`; record 2 the risk management data (CDOL1, CDOL2, CVM list, AUC, IACs);
 *   SFI 3 record 1 the application version, service code 220, currency 0156.
 * - GET DATA: 9F17 (the bank PIN try counter), 9F36 ATC 0010 and 9F13 last online ATC 000E
 *   (invented values), as PBOC cards answer them.
 * The bank PIN VERIFY, its keys and the record of SFI 1 (card profile §5) stay as they were.
 * Label "PBOC DEBIT", track-2 discretionary data, AIP, CDOLs, CVM list and ATCs are invented.
 */

const LABEL = new Uint8Array(Buffer.from('PBOC DEBIT', 'ascii'));
const LANGUAGE_ZH = Uint8Array.of(0x7a, 0x68);

/** EMV date YYMMDD (3 bytes BCD) of an ISO date. */
function emvDate(iso: string): Uint8Array {
  return encodeBcd(iso.slice(2).replaceAll('-', ''));
}

/**
 * The cardholder name of tag 5F20: the Latin 'SURNAME/GIVEN' form when the document has one,
 * else the GBK name cut at a character boundary to EMV's 26 bytes (project choice: some domestic
 * cards print Chinese there).
 */
export function bankHolderName(p: ResolvedPersonalization): Uint8Array {
  if (p.person.latinName !== null) return new Uint8Array(Buffer.from(p.person.latinName, 'ascii'));
  let text = '';
  for (const ch of Array.from(p.person.name)) {
    if (encodeGbk(text + ch).length > 26) break;
    text += ch;
  }
  return encodeGbk(text);
}

/** Track 2 equivalent data (57): PAN D YYMM 220 discretionary (10 digits) [F], as nibbles. */
function track2(pan: string, expiry: string): Uint8Array {
  let nibbles = `${pan}D${expiry.slice(2, 4)}${expiry.slice(5, 7)}2200000000000`;
  if (nibbles.length % 2 !== 0) nibbles += 'F';
  return Uint8Array.from(nibbles.match(/../g) as string[], (h) => parseInt(h, 16));
}

function template70(...parts: Uint8Array[]): Uint8Array {
  return encodeBerTlv(0x70, concatBytes(...parts));
}

/** DF options of the bank application that make it a PBOC application (FCI, GPO answer, GET DATA). */
export function pbocApplicationOptions(): Pick<DfOptions, 'fciProprietary' | 'processingOptions' | 'dataObjects'> {
  return {
    fciProprietary: concatBytes(
      encodeBerTlv(0x50, LABEL),
      encodeBerTlv(0x87, Uint8Array.of(0x01)),
      encodeBerTlv(0x5f2d, LANGUAGE_ZH),
      encodeBerTlv(0x9f11, Uint8Array.of(0x01)),
    ),
    processingOptions: encodeBerTlv(
      0x77,
      concatBytes(
        encodeBerTlv(0x82, Uint8Array.of(0x7c, 0x00)),
        encodeBerTlv(0x94, Uint8Array.of(0x10, 0x01, 0x02, 0x00, 0x18, 0x01, 0x01, 0x00)),
      ),
    ),
    dataObjects: concatBytes(
      encodeBerTlv(0x9f36, Uint8Array.of(0x00, 0x10)),
      encodeBerTlv(0x9f13, Uint8Array.of(0x00, 0x0e)),
    ),
  };
}

/** One read-only record file of the bank application (records fixed at personalization). */
function addRecords(df: DedicatedFile, fid: number, sfi: number, label: string, records: Uint8Array[]): void {
  df.addEf({
    fid,
    sfi,
    label,
    structure: 'linear-variable',
    recordLength: Math.max(...records.map((r) => r.length)),
    maxRecords: records.length,
    records,
    read: ALWAYS,
    write: NEVER,
  });
}

/** The records the AFL names (SFI 2 and 3), in the bank application `bank`. */
export function addPbocRecords(bank: DedicatedFile, p: ResolvedPersonalization): void {
  const pan = p.card.pan ?? '';
  addRecords(bank, SSC_FIDS.BANK_EF02, SSC_SFIS.BANK_EF02, 'EF02', [
    template70(
      encodeBerTlv(0x57, track2(pan, p.card.expiryDate)),
      encodeBerTlv(0x5a, encodeBcd(pan)),
      encodeBerTlv(0x5f20, bankHolderName(p)),
      encodeBerTlv(0x5f24, emvDate(p.card.expiryDate)),
      encodeBerTlv(0x5f25, emvDate(p.card.issueDate)),
      encodeBerTlv(0x5f28, Uint8Array.of(0x01, 0x56)),
      encodeBerTlv(0x5f34, Uint8Array.of(0x01)),
    ),
    template70(
      encodeBerTlv(
        0x8c,
        Uint8Array.of(
          0x9f,
          0x02,
          0x06,
          0x9f,
          0x03,
          0x06,
          0x9f,
          0x1a,
          0x02,
          0x95,
          0x05,
          0x5f,
          0x2a,
          0x02,
          0x9a,
          0x03,
          0x9c,
          0x01,
          0x9f,
          0x37,
          0x04,
        ),
      ),
      encodeBerTlv(0x8d, Uint8Array.of(0x8a, 0x02, 0x9f, 0x02, 0x06, 0x9f, 0x37, 0x04)),
      encodeBerTlv(0x8e, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0x42, 0x03, 0x1e, 0x03, 0x1f, 0x00)),
      encodeBerTlv(0x9f07, Uint8Array.of(0xff, 0x00)),
      encodeBerTlv(0x9f0d, Uint8Array.of(0xd8, 0x60, 0x04, 0xa8, 0x00)),
      encodeBerTlv(0x9f0e, Uint8Array.of(0x00, 0x10, 0x98, 0x00, 0x00)),
      encodeBerTlv(0x9f0f, Uint8Array.of(0xd8, 0x68, 0x04, 0xf8, 0x00)),
    ),
  ]);
  addRecords(bank, SSC_FIDS.BANK_EF03, SSC_SFIS.BANK_EF03, 'EF03', [
    template70(
      encodeBerTlv(0x9f08, Uint8Array.of(0x00, 0x30)),
      encodeBerTlv(0x5f30, Uint8Array.of(0x02, 0x20)),
      encodeBerTlv(0x9f42, Uint8Array.of(0x01, 0x56)),
      encodeBerTlv(0x9f44, Uint8Array.of(0x02)),
    ),
  ]);
}

/** The payment system environment `1PAY.SYS.DDF01` under the MF, naming the bank application. */
export function addPse(mf: MasterFile): void {
  const pse = mf.addDf({
    fid: SSC_FIDS.PSE,
    dfName: PSE_DF_NAME,
    label: 'PSE',
    fciProprietary: concatBytes(
      encodeBerTlv(0x88, Uint8Array.of(SSC_SFIS.PSE_DIRECTORY)),
      encodeBerTlv(0x5f2d, LANGUAGE_ZH),
    ),
  });
  const entry = encodeBerTlv(
    0x61,
    concatBytes(encodeBerTlv(0x4f, BANK_AID), encodeBerTlv(0x50, LABEL), encodeBerTlv(0x87, Uint8Array.of(0x01))),
  );
  addRecords(pse, SSC_FIDS.PSE_DIRECTORY, SSC_SFIS.PSE_DIRECTORY, 'EF01', [template70(entry)]);
}
