// Value names from the record layouts, not the SDK's barrel: `card show --json` builds this report
// without loading the terminal SDK.
import { INSURANCE_STATUS_CODES, INSURANCE_TYPES, healthInfoOf } from '../records/index.js';
import type {
  Contraindication,
  HealthFlags,
  HealthInfo,
  InsuranceType,
  MedicalHistoryEntry,
  WorkRecord,
} from '../records/index.js';
import type { PinReport, SscCardReport } from '../card-sim/index.js';
import type { CardInfo, Cardholder } from '../terminal/index.js';

/*
 * The one JSON shape of a card that `card show --json` (a card image, read straight from its file
 * tree) and `read --json` (any card, read through the terminal SDK as a POS does) print. It is
 * described by schema/card-report.schema.json, shipped in the package; the names and decoded values
 * are the SDK's (CardInfo, Cardholder, HealthInfo), never raw value-set codes alone.
 */

export const CARD_REPORT_FORMAT = 'sscard-card-report';
export const CARD_REPORT_VERSION = 1;

export type CardReportSource =
  /** `created` and `saved` are the image's own timestamps, given by `card show`. */
  { kind: 'image'; path: string; created?: string; saved?: string } | { kind: 'reader'; name: string };

/** A card image may lack a record (a hand-edited image): that field is then null, and `problems` says why. */
type Nullable<T> = { [K in keyof T]: T[K] | null };

export interface InsuranceEntry {
  /** Decoded status: 'not insured' | 'participating' | 'suspended' | 'terminated'. */
  status: (typeof INSURANCE_STATUS_CODES)[keyof typeof INSURANCE_STATUS_CODES];
  /** The value-set code ('0'..'3'). */
  statusCode: keyof typeof INSURANCE_STATUS_CODES;
  since: string | null;
  region: string;
}

export interface CardReport {
  format: typeof CARD_REPORT_FORMAT;
  version: typeof CARD_REPORT_VERSION;
  source: CardReportSource;
  /** ATR in hex. */
  atr: string;
  /** The card's algorithm: '3des' (spec 2.00) or 'sm4' (spec 3.00); null when unknown. */
  algorithm: '3des' | 'sm4' | null;
  card: Nullable<CardInfo>;
  cardholder: Nullable<Cardholder>;
  /*
   * The rest is what a card image shows in full (`card show`); `read` leaves it out, since a
   * terminal reads it only with keys or after the PIN.
   */
  pins?: { application: PinReport | null; bank: PinReport | null };
  /** Lifecycle of the applications: usable, or blocked 'temporary' / 'permanent'; null when absent. */
  applications?: SscCardReport['applications'];
  workRecords?: WorkRecord[];
  insurance?: Partial<Record<InsuranceType, InsuranceEntry>>;
  health?: {
    /** null when DF10/EF05 is missing or does not decode. */
    basics: (Omit<HealthInfo, 'conditions'> & { conditions: HealthFlags }) | null;
    contraindications: Contraindication[];
    history: MedicalHistoryEntry[];
  };
  /** The bank application's PAN and cardholder name; null on a card that is not financial. */
  bank?: { pan: string; holder: string } | null;
  /** Record capacity of the cyclic files (null when the file is missing). */
  capacity?: { workRecords: number | null; contraindications: number | null; history: number | null };
  /** Records that could not be decoded, e.g. "SSSE/EF06 record 2: ..."; empty when all decoded. */
  problems: string[];
}

function sexOf(code: string | null): Cardholder['sex'] | null {
  if (code === null) return null;
  return code === '1' ? 'male' : code === '2' ? 'female' : 'unknown';
}

/** The report of a card image, from its decoded file tree. */
export function cardReportFromImage(
  source: Extract<CardReportSource, { kind: 'image' }>,
  atr: string,
  r: SscCardReport,
): CardReport {
  const i = r.issuer;
  const h = r.holder;
  const insurance: CardReport['insurance'] = {};
  for (const t of INSURANCE_TYPES) {
    const p = r.insurance[t.key];
    if (p !== undefined)
      insurance[t.key] = {
        status: INSURANCE_STATUS_CODES[p.status],
        statusCode: p.status,
        since: p.since,
        region: p.region,
      };
  }
  const b = r.health.basics;
  return {
    format: CARD_REPORT_FORMAT,
    version: CARD_REPORT_VERSION,
    source,
    atr,
    algorithm: r.spec === null ? null : r.spec === '2.00' ? '3des' : 'sm4',
    card: {
      cardNumber: i.cardNumber ?? null,
      cardIdentifier: i.cardIdentifier ?? null,
      regionCode: i.cardIdentifier?.slice(0, 6) ?? null,
      cardType: i.cardType ?? null,
      specVersion: i.specVersion ?? null,
      initializingOrg: i.initializingOrg ?? null,
      issueDate: i.issueDate ?? null,
      expiryDate: i.expiryDate ?? null,
    },
    cardholder: {
      idNumber: h.socialSecurityNumber ?? null,
      name: h.fullName ?? null,
      sex: sexOf(h.sex ?? null),
      sexCode: h.sex ?? null,
      ethnicity: h.ethnicity ?? null,
      birthplace: h.birthplace ?? null,
      birthDate: h.birthDate ?? null,
    },
    pins: { application: r.appPin, bank: r.bankPin },
    applications: r.applications,
    workRecords: r.workRecords,
    insurance,
    health: {
      basics: b === null ? null : healthInfoOf(b),
      contraindications: r.health.contraindications,
      history: r.health.history,
    },
    bank: r.bank,
    capacity: r.capacity,
    problems: r.problems,
  };
}

/** The report of what a terminal read through the SDK without a PIN. */
export function cardReportFromTerminal(
  source: Extract<CardReportSource, { kind: 'reader' | 'image' }>,
  atr: string,
  algorithm: string | null,
  card: CardInfo,
  cardholder: Cardholder,
): CardReport {
  return {
    format: CARD_REPORT_FORMAT,
    version: CARD_REPORT_VERSION,
    source,
    atr,
    algorithm: algorithm === '3des' || algorithm === 'sm4' ? algorithm : null,
    // Spelt out so both commands print the fields in one order.
    card: {
      cardNumber: card.cardNumber,
      cardIdentifier: card.cardIdentifier,
      regionCode: card.regionCode,
      cardType: card.cardType,
      specVersion: card.specVersion,
      initializingOrg: card.initializingOrg,
      issueDate: card.issueDate,
      expiryDate: card.expiryDate,
    },
    cardholder: {
      idNumber: cardholder.idNumber,
      name: cardholder.name,
      sex: cardholder.sex,
      sexCode: cardholder.sexCode,
      ethnicity: cardholder.ethnicity,
      birthplace: cardholder.birthplace,
      birthDate: cardholder.birthDate,
    },
    problems: [],
  };
}
