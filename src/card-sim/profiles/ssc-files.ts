import { concatBytes } from '../../apdu/index.js';
import { SSC_KEYS, generateSm2KeyPair } from '../../keys/index.js';
import {
  PKI_CERT_ADF_NAME,
  PKI_DF_NAME,
  SSC_DF01_FILES,
  SSC_DF01_TRANSPARENT,
  SSC_DF03_FILES,
  SSC_DF04_FILES,
  SSC_EF0D,
  SSC_FIDS,
  SSC_PINS,
  encodeSscRecord,
  sscRecordLength,
  type SscTlvFile,
} from '../../records/index.js';
import { ALWAYS, NEVER, afterKey, afterPinAndKey, afterPinOrKey, type AccessCondition } from '../fs/access.js';
import { CardTreeError } from '../errors.js';
import type { DedicatedFile, MasterFile } from '../fs/nodes.js';
import type { ResolvedPersonalization } from './personalization.js';
import { sampleItemValues } from './ssc-item-values.js';

/*
 * The SSSE files real reader programs read beyond EF05/EF06 (card profile §7), and the PKI
 * application of 3.00 cards. Access conditions (project choices where the profile is silent):
 * - SSSE/EF0D (3.00 cards): read after EXTERNAL AUTHENTICATE with key 0D (RKEF0D); written, like
 *   EF05/EF06, after the issuance key (04).
 * - DF01 and DF03 record files, DF04/EF05: read after the application PIN or RKSSSE, as the
 *   profile says of DF01..DF04; DF01 EF16..EF1A: free read. DF04/EF06 (the medical account):
 *   after the PIN and external authentication with the DF04 key (SSC_KEYS.DF04_KEY, held by
 *   DF04). All are written after UKSSSE, like the DF02 work record.
 * - The PKI application (DF name "PKI.社会保障") holds the certificate ADF "SS.CERT.ADF1" with
 *   the transparent EF 0012: the card's SM2 signing public key, free read, never written.
 */

/** Records of `f` with their values, and their lengths (one fixed length per record). */
function tlvEf(f: SscTlvFile, values: Record<string, string>, read: AccessCondition, write: AccessCondition) {
  return {
    fid: f.fid,
    sfi: f.sfi,
    label: f.path.split('/').pop() as string,
    structure: 'linear-variable' as const,
    recordLengths: f.records.map((r) => sscRecordLength(r)),
    records: f.records.map((r) => encodeSscRecord(r, values)),
    read,
    write,
  };
}

function childDf(parent: DedicatedFile, fid: number): DedicatedFile {
  const node = parent.child(fid);
  if (node?.kind !== 'df') throw new CardTreeError(`SSSE has no DF ${fid.toString(16).toUpperCase()}`);
  return node;
}

/** EF0D (3.00 cards) and the DF01, DF03, DF04 files, in `ssse` whose DF01..DF04 exist already. */
export function addSsseTlvFiles(ssse: DedicatedFile, p: ResolvedPersonalization): void {
  const values = sampleItemValues(p);
  const of = (f: SscTlvFile): Record<string, string> => values[f.path] ?? {};
  const issuance = afterKey(SSC_KEYS.ISSUANCE.kid);
  const readAfterPinOrKey = afterPinOrKey(SSC_PINS.app.id, SSC_KEYS.RKSSSE.kid);
  const updateAfterKey = afterKey(SSC_KEYS.UKSSSE.kid);
  if (p.specVersion === '3.00') ssse.addEf(tlvEf(SSC_EF0D, of(SSC_EF0D), afterKey(SSC_KEYS.RKEF0D.kid), issuance));

  const df01 = childDf(ssse, SSC_FIDS.DF01);
  for (const f of SSC_DF01_FILES) df01.addEf(tlvEf(f, of(f), readAfterPinOrKey, updateAfterKey));
  for (const fid of SSC_DF01_TRANSPARENT.fids) {
    df01.addEf({
      fid,
      sfi: fid & 0x1f,
      label: `EF${fid.toString(16).toUpperCase().slice(2)}`,
      structure: 'transparent',
      size: SSC_DF01_TRANSPARENT.size,
      data: new Uint8Array(SSC_DF01_TRANSPARENT.size),
      read: ALWAYS,
      write: updateAfterKey,
    });
  }
  const df03 = childDf(ssse, SSC_FIDS.DF03);
  for (const f of SSC_DF03_FILES) df03.addEf(tlvEf(f, of(f), readAfterPinOrKey, updateAfterKey));
  const df04 = childDf(ssse, SSC_FIDS.DF04);
  const [ef05, ef06] = SSC_DF04_FILES as [SscTlvFile, SscTlvFile];
  df04.addEf(tlvEf(ef05, of(ef05), readAfterPinOrKey, updateAfterKey));
  df04.addEf(tlvEf(ef06, of(ef06), afterPinAndKey(SSC_PINS.app.id, SSC_KEYS.DF04_KEY.kid), updateAfterKey));
}

/** Key number of the PKI application's SM2 signing key (project choice). */
export const PKI_SIGN_KEY_ID = 0x01;

/**
 * The PKI application of a 3.00 card with a fresh SM2 key pair (generated here, per card, with
 * node:crypto): the private key stays in the card, as a key of the certificate ADF (usage 'sign',
 * saved in the card image with the other card keys); EF 0012 holds the public key, 66 bytes:
 * `00 40` (project choice: the 2-byte length of what follows) || X || Y. Reader programs read it
 * with `00 B0 00 00 42` and drop the first 2 bytes.
 */
export function addPkiApplication(mf: MasterFile): void {
  const pki = mf.addDf({ fid: SSC_FIDS.PKI, dfName: PKI_DF_NAME, label: 'PKI' });
  const adf = pki.addDf({ fid: SSC_FIDS.PKI_CERT_ADF, dfName: PKI_CERT_ADF_NAME, label: 'SS.CERT.ADF1' });
  const { privateKey, publicKey } = generateSm2KeyPair();
  try {
    adf.addKey({ id: PKI_SIGN_KEY_ID, algorithm: 'sm2', usage: 'sign', key: privateKey });
  } finally {
    privateKey.fill(0);
  }
  const contents = concatBytes(Uint8Array.of(0x00, publicKey.length), publicKey);
  adf.addEf({
    fid: SSC_FIDS.PKI_SIGN_PUBLIC_KEY,
    label: 'EF0012',
    structure: 'transparent',
    size: contents.length,
    data: contents,
    read: ALWAYS,
    write: NEVER,
  });
}
