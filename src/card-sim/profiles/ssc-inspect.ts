import { decodeBcd, decodeGbk, findTlv, parseBerTlv } from '../../apdu/index.js';
import {
  INSURANCE_TYPES,
  SSC_EF05_ITEMS,
  SSC_EF06_ITEMS,
  decodeContraindication,
  decodeHealthBasics,
  decodeInsuranceParticipation,
  decodeMedicalHistory,
  decodeSscItem,
  decodeWorkRecord,
} from '../../records/index.js';
import type {
  Contraindication,
  HealthBasics,
  InsuranceParticipation,
  InsuranceType,
  MedicalHistoryEntry,
  SscEf05Key,
  SscEf06Key,
  SscItem,
  WorkRecord,
} from '../../records/index.js';
import type { ElementaryFile } from '../fs/elementary-files.js';
import type { DedicatedFile, MasterFile } from '../fs/nodes.js';
import { BANK_AID, SSC_FIDS, SSC_PINS, SSSE_DF_NAME } from '../../records/index.js';

/*
 * Reading an SSC card's contents straight from its file tree (no APDUs, no access conditions):
 * for `sscard card show` and for checking images. A record that does not decode is reported as a
 * problem naming the file and record, not thrown, so one bad record does not hide the rest.
 */

export interface PinReport {
  triesLeft: number;
  tryLimit: number;
  blocked: boolean;
  /** The PIN is still the initial value set at personalization. */
  initial: boolean;
}

export interface SscCardReport {
  spec: '2.00' | '3.00' | null;
  issuer: Partial<Record<SscEf05Key, string>>;
  holder: Partial<Record<SscEf06Key, string>> & { fullName?: string };
  appPin: PinReport | null;
  bankPin: PinReport | null;
  workRecords: WorkRecord[];
  insurance: Partial<Record<InsuranceType, InsuranceParticipation>>;
  health: { basics: HealthBasics | null; contraindications: Contraindication[]; history: MedicalHistoryEntry[] };
  bank: { pan: string; holder: string } | null;
  /**
   * Lifecycle of the applications (APPLICATION BLOCK state; the bank's is null on a card without
   * it): 'usable', or blocked 'temporary' / 'permanent'. A new financial card's inactive bank
   * application shows as 'temporary' until the bank activates it.
   */
  applications: {
    ssse: 'usable' | 'temporary' | 'permanent' | null;
    bank: 'usable' | 'temporary' | 'permanent' | null;
  };
  /** Record capacity of the cyclic files (null when the file is missing). */
  capacity: { workRecords: number | null; contraindications: number | null; history: number | null };
  /** Records that could not be decoded, e.g. "SSSE/EF06 record 2: ...". */
  problems: string[];
}

function ef(df: DedicatedFile | undefined, fid: number): ElementaryFile | undefined {
  return df?.childEf(fid);
}

function df(parent: DedicatedFile | undefined, fid: number): DedicatedFile | undefined {
  return parent?.childDf(fid);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The SSSE application DF of a card tree, or undefined. */
export function findSsse(tree: MasterFile): DedicatedFile | undefined {
  return tree.findByDfName(SSSE_DF_NAME);
}

/** Spec version held in SSSE/EF05 tag 03, or null when the card has none (or it is unreadable). */
export function sscSpecOf(tree: MasterFile): '2.00' | '3.00' | null {
  const file = ef(findSsse(tree), SSC_FIDS.EF05);
  const item = SSC_EF05_ITEMS.find((i) => i.key === 'specVersion') as SscItem;
  const n = file?.findRecordByTag(item.tag);
  if (file === undefined || n === undefined) return null;
  try {
    const v = decodeSscItem(item, file.record(n) as Uint8Array);
    return v === '2.00' || v === '3.00' ? v : null;
  } catch {
    return null;
  }
}

function pinReport(owner: DedicatedFile | undefined, id: string): PinReport | null {
  const pin = owner?.pin(id);
  if (pin === undefined) return null;
  const s = pin.pin.status();
  return { triesLeft: s.triesLeft, tryLimit: s.tryLimit, blocked: s.blocked, initial: s.initial };
}

function lifecycleOf(app: DedicatedFile | undefined): 'usable' | 'temporary' | 'permanent' | null {
  return app === undefined ? null : (app.blocked ?? 'usable');
}

/** Decodes every SSC record of `tree` it can find. */
export function inspectSscTree(tree: MasterFile): SscCardReport {
  const problems: string[] = [];
  const ssse = findSsse(tree);
  const report: SscCardReport = {
    spec: sscSpecOf(tree),
    issuer: {},
    holder: {},
    appPin: pinReport(ssse, SSC_PINS.app.id),
    bankPin: null,
    workRecords: [],
    insurance: {},
    health: { basics: null, contraindications: [], history: [] },
    bank: null,
    applications: { ssse: lifecycleOf(ssse), bank: lifecycleOf(tree.findByDfName(BANK_AID)) },
    capacity: { workRecords: null, contraindications: null, history: null },
    problems,
  };
  if (ssse === undefined) {
    problems.push('no SSSE application (DF name sx1.sh.社会保障)');
    return report;
  }

  const readItems = <K extends string>(
    file: ElementaryFile | undefined,
    where: string,
    items: readonly (SscItem & { key: K })[],
    byTag: boolean,
  ) => {
    const out: Partial<Record<K, string>> = {};
    if (file === undefined) {
      problems.push(`${where}: file missing`);
      return out;
    }
    for (const item of items) {
      const n = byTag ? file.findRecordByTag(item.tag) : item.record;
      const record = n === undefined ? undefined : file.record(n);
      if (record === undefined) {
        problems.push(
          `${where}: no record for tag ${item.tag.toString(16).toUpperCase().padStart(2, '0')} (${item.key})`,
        );
        continue;
      }
      try {
        out[item.key] = decodeSscItem(item, record);
      } catch (err) {
        problems.push(`${where} record ${n}: ${message(err)}`);
      }
    }
    return out;
  };
  report.issuer = readItems(ef(ssse, SSC_FIDS.EF05), 'SSSE/EF05', SSC_EF05_ITEMS, true);
  const holder: SscCardReport['holder'] = readItems(ef(ssse, SSC_FIDS.EF06), 'SSSE/EF06', SSC_EF06_ITEMS, false);
  if (holder.name !== undefined) holder.fullName = holder.name + (holder.nameExtension ?? '');
  report.holder = holder;

  const records = <T>(file: ElementaryFile | undefined, where: string, decode: (b: Uint8Array) => T): T[] => {
    if (file === undefined) {
      problems.push(`${where}: file missing`);
      return [];
    }
    const out: T[] = [];
    file.records().forEach((r, i) => {
      try {
        out.push(decode(r));
      } catch (err) {
        problems.push(`${where} record ${i + 1}: ${message(err)}`);
      }
    });
    return out;
  };
  const workFile = ef(df(ssse, SSC_FIDS.DF02), SSC_FIDS.EF07);
  report.workRecords = records(workFile, 'DF02/EF07', decodeWorkRecord);
  report.capacity.workRecords = workFile?.maxRecords ?? null;
  // Images made before the §7 items took DF03/EF05 hold the participation there.
  const df03 = df(ssse, SSC_FIDS.DF03);
  const insuranceFile = ef(df03, SSC_FIDS.DF03_INSURANCE);
  const insurance =
    insuranceFile !== undefined
      ? records(insuranceFile, 'DF03/EF08', decodeInsuranceParticipation)
      : records(ef(df03, SSC_FIDS.DF03_EF05), 'DF03/EF05', decodeInsuranceParticipation);
  INSURANCE_TYPES.forEach((t, i) => {
    const p = insurance[i];
    if (p !== undefined) report.insurance[t.key] = p;
  });

  const df10 = df(ssse, SSC_FIDS.DF10);
  const basics = ef(df10, SSC_FIDS.EF05);
  if (basics === undefined) {
    problems.push('DF10/EF05: file missing');
  } else {
    try {
      report.health.basics = decodeHealthBasics(basics.records());
    } catch (err) {
      problems.push(`DF10/EF05: ${message(err)}`);
    }
  }
  const contraFile = ef(df10, SSC_FIDS.EF07);
  const historyFile = ef(df10, SSC_FIDS.EF08);
  report.health.contraindications = records(contraFile, 'DF10/EF07', decodeContraindication);
  report.health.history = records(historyFile, 'DF10/EF08', decodeMedicalHistory);
  report.capacity.contraindications = contraFile?.maxRecords ?? null;
  report.capacity.history = historyFile?.maxRecords ?? null;

  const bank = tree.findByDfName(BANK_AID);
  if (bank !== undefined) {
    report.bankPin = pinReport(bank, SSC_PINS.bank.id);
    const record = bank.efBySfi(1)?.record(1);
    if (record === undefined) {
      problems.push('BANK SFI 1: no record 1');
    } else {
      try {
        const tlvs = parseBerTlv(record);
        const pan = findTlv(tlvs, 0x5a);
        const name = findTlv(tlvs, 0x5f20);
        if (pan === undefined || name === undefined) problems.push('BANK SFI 1 record 1: template 70 lacks 5A or 5F20');
        else report.bank = { pan: decodeBcd(pan.value), holder: decodeGbk(name.value) };
      } catch (err) {
        problems.push(`BANK SFI 1 record 1: ${message(err)}`);
      }
    }
  }
  return report;
}
