import { SscardError, encodeGbk, fromHex } from '../../apdu/index.js';
import { PinPolicyError, definePinPolicy } from '../../pin/index.js';
import {
  ABO_CODES,
  DEFAULT_CONTRAINDICATION_CAPACITY,
  DEFAULT_MEDICAL_HISTORY_CAPACITY,
  HEALTH_FLAGS,
  HEALTH_WARNING_LENGTH,
  INSURANCE_STATUS_CODES,
  INSURANCE_TYPES,
  NOT_INSURED,
  RH_CODES,
  SSC_NAME_EXTENSION_LENGTH,
  SSC_NAME_LENGTH,
  WORK_RECORD_COUNT,
} from '../../records/index.js';
import type {
  AboCode,
  Contraindication,
  HealthFlagName,
  HealthFlags,
  InsuranceParticipation,
  InsuranceStatusCode,
  InsuranceType,
  MedicalHistoryEntry,
  RhCode,
  WorkRecord,
} from '../../records/index.js';
import { SSC_KEY_NAMES } from '../../keys/index.js';
import type { SscKeyName } from '../../keys/index.js';
import { citizenIdBirthDate, citizenIdProblem, citizenIdSex, isRegionCode, isValidPan } from '../../records/index.js';

/*
 * The personalization document: everything an issuer decides about one card, as JSON. It is
 * checked by hand rather than with a schema library because almost every rule is domain-specific
 * (check characters, GBK byte lengths, dates that must agree with the ID number) and each error
 * must name the exact field, e.g. `person.idNumber: check digit should be X`; the TypeScript types
 * below already give the shape.
 */

/** A personalization document that cannot make a card; `path` names the offending field. */
export class PersonalizationError extends SscardError {
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('PERSONALIZATION_INVALID', `${path}: ${problem}`, options);
    this.path = path;
  }
}

export type SpecVersion = '2.00' | '3.00';

export interface PersonData {
  /** Full name in Chinese (GBK); over 30 bytes it continues in the name extension (tag 4E), 50 bytes at most. */
  name: string;
  /** 'SURNAME/GIVEN' for the bank application's cardholder name (5F20); ASCII, 2..26 characters. */
  latinName?: string;
  /** 18-character citizen ID number, also the social security number (EF06 tag 08). */
  idNumber: string;
  /** '1' male, '2' female; must agree with the ID number's 17th digit. */
  sex: '1' | '2';
  /** GB 3304 two-digit code ('01' 汉族 ...). */
  ethnicity: string;
  /** 6-digit region code of the birthplace. */
  birthplace: string;
  /** 'YYYY-MM-DD'; must agree with the ID number. */
  birthDate: string;
}

export interface CardData {
  /** Card number (卡号), 9 characters of digits and capital letters. */
  number: string;
  /** Card identifier (卡识别码), 16..32 digits starting with the issuing region code. */
  identifier: string;
  /** Card type, one character. */
  type: string;
  issueDate: string;
  expiryDate: string;
  /** Initializing organisation number, up to 24 digits (12 bytes cn). */
  initializingOrg: string;
  /** PAN of the bank application; required on financial cards. */
  pan?: string;
}

export interface PinSettings {
  initial?: string;
  tryLimit?: number;
  forbidReturnToInitial?: boolean;
}

export interface BankPinSettings {
  initial?: string;
  tryLimit?: number;
}

export interface HealthData {
  abo?: AboCode;
  rh?: RhCode;
  flags?: Partial<Record<HealthFlagName, boolean>>;
  warning?: string;
  /** Newest first (record 1 of the cyclic file). */
  contraindications?: Contraindication[];
  /** Newest first (record 1 of the cyclic file). */
  history?: MedicalHistoryEntry[];
  /** Record counts of the cyclic files (default 10 each). */
  capacity?: { contraindications?: number; history?: number };
}

export interface PersonalizationDocument {
  specVersion?: SpecVersion;
  financial?: boolean;
  pin?: PinSettings;
  bankPin?: BankPinSettings;
  /**
   * Financial cards: the bank application's state at issue. 'inactive' personalizes it
   * temporarily blocked (APPLICATION BLOCK state) until a bank activates it with APPLICATION
   * UNBLOCK under BANK_APP_CONTROL; default 'active'.
   */
  bankApplication?: { state?: 'active' | 'inactive' };
  person: PersonData;
  card: CardData;
  /** Newest first, at most 4. */
  workRecords?: WorkRecord[];
  health?: HealthData;
  insurance?: Partial<Record<InsuranceType, InsuranceParticipation>>;
  /** Issuer master keys (32 hex digits each) replacing the published test keys. */
  keys?: { masters?: Partial<Record<SscKeyName, string>> };
}

/** A checked document with every default filled in; what the card builder consumes. */
export interface ResolvedPersonalization {
  specVersion: SpecVersion;
  financial: boolean;
  pin: { initial: string; tryLimit: number; forbidReturnToInitial: boolean };
  /** null on non-financial cards. */
  bankPin: { initial: string; tryLimit: number } | null;
  /** null on non-financial cards. */
  bankApplication: { state: 'active' | 'inactive' } | null;
  person: Omit<PersonData, 'latinName'> & { latinName: string | null };
  card: Omit<CardData, 'pan'> & { pan: string | null };
  workRecords: WorkRecord[];
  health: {
    abo: AboCode;
    rh: RhCode;
    flags: HealthFlags;
    warning: string;
    contraindications: Contraindication[];
    history: MedicalHistoryEntry[];
    capacity: { contraindications: number; history: number };
  };
  insurance: Record<InsuranceType, InsuranceParticipation>;
  /** Only the masters the document overrides; the others are the published test keys. */
  masterKeys: Partial<Record<SscKeyName, Uint8Array>>;
}

/** Defaults of the personalization (project choices, see card profile §1, §4, §5). */
export const PERSONALIZATION_DEFAULTS = Object.freeze({
  specVersion: '3.00' as SpecVersion,
  appPin: '123456',
  appPinTryLimit: 3,
  /** Project choice: a bank sets the PIN at the branch; the simulator starts every bank PIN at this test value. */
  bankPin: '888888',
  bankPinTryLimit: 3,
  /** No health data given: blood types "not tested". */
  abo: '6' as AboCode,
  rh: '4' as RhCode,
});

// ---------------------------------------------------------------------------------------------
// Field readers: each takes the value and its path, and throws PersonalizationError naming it.

function fail(path: string, problem: string): never {
  throw new PersonalizationError(path, problem);
}

/**
 * Fields whose values are secrets: the initial PINs and the master keys (and the objects holding
 * them, in case a PIN or key is given in their place). Their errors say what is wrong but never
 * show the value, since error messages end up in terminals, logs and CI output.
 */
const SECRET_FIELD = /^(?:(?:pin|bankPin)(?:\.initial)?|keys(?:\.masters(?:\.[A-Za-z0-9_]+)?)?)$/;

function isSecretField(path: string): boolean {
  return SECRET_FIELD.test(path);
}

/** The kind of a value, and the value itself unless the field `path` holds a secret. */
function describeType(v: unknown, path?: string): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (path !== undefined && isSecretField(path)) return typeof v === 'string' ? `a string of ${v.length} characters` : `a ${typeof v}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function object(v: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, `must be an object, got ${describeType(v, path)}`);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) fail(join(path, key), `unknown field (expected one of ${allowed.join(', ')})`);
  }
  return o;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `must be a string, got ${describeType(v, path)}`);
  return v;
}

function boolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, `must be true or false, got ${describeType(v, path)}`);
  return v;
}

function integer(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(path, `must be an integer from ${min} to ${max}, got ${describeType(v, path)}`);
  }
  return v;
}

function array(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, `must be an array, got ${describeType(v, path)}`);
  if (v.length > max) fail(path, `has ${v.length} entries, at most ${max} fit`);
  return v;
}

function pattern(v: unknown, path: string, re: RegExp, what: string): string {
  const s = string(v, path);
  if (!re.test(s)) fail(path, `must be ${what}, got ${describeType(s, path)}`);
  return s;
}

/** Text for an `an` field: GBK-encodable, at most `maxBytes`, no pad characters at the end. */
function gbkText(v: unknown, path: string, maxBytes: number, opts: { required: boolean }): string {
  const s = string(v, path);
  if (opts.required && s.length === 0) fail(path, 'must not be empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) fail(path, 'must not contain control characters');
  if (/\s$/.test(s)) fail(path, 'must not end with a space (the card strips trailing pad bytes)');
  let bytes: number;
  try {
    bytes = encodeGbk(s).length;
  } catch {
    fail(path, `has characters GBK cannot represent: ${JSON.stringify(s)}`);
  }
  if (bytes > maxBytes) fail(path, `is ${bytes} GBK bytes, at most ${maxBytes} fit`);
  return s;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;

/** A calendar date as 'YYYY-MM-DD' (also accepts 'YYYYMMDD'); returned in ISO form. */
function date(v: unknown, path: string): string {
  const s = string(v, path);
  const m = ISO_DATE.exec(s) ?? COMPACT_DATE.exec(s);
  if (m === null) fail(path, `must be a date 'YYYY-MM-DD', got ${JSON.stringify(s)}`);
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (days === undefined || day < 1 || day > days || year < 1900) {
    fail(path, `${JSON.stringify(s)} is not a calendar date from 1900 on`);
  }
  return `${y}-${mo}-${d}`;
}

function optional<T>(o: Record<string, unknown>, key: string, read: (v: unknown) => T): T | undefined {
  return o[key] === undefined ? undefined : read(o[key]);
}

function required<T>(o: Record<string, unknown>, path: string, key: string, read: (v: unknown, p: string) => T): T {
  if (o[key] === undefined) fail(join(path, key), 'is required');
  return read(o[key], join(path, key));
}

// ---------------------------------------------------------------------------------------------

const TOP_FIELDS = [
  'specVersion', 'financial', 'pin', 'bankPin', 'bankApplication', 'person', 'card', 'workRecords', 'health', 'insurance', 'keys',
] as const;

/**
 * Checks a personalization document (parsed JSON or an object literal) and fills in defaults.
 * Throws PersonalizationError (code 'PERSONALIZATION_INVALID') naming the first bad field.
 */
export function validatePersonalization(input: unknown): ResolvedPersonalization {
  const doc = object(input, '', TOP_FIELDS);
  const specVersion =
    optional(doc, 'specVersion', (v) => {
      if (v !== '2.00' && v !== '3.00') fail('specVersion', `must be "2.00" or "3.00", got ${describeType(v)}`);
      return v;
    }) ?? PERSONALIZATION_DEFAULTS.specVersion;
  const financial = optional(doc, 'financial', (v) => boolean(v, 'financial')) ?? false;
  const pin = readAppPin(doc['pin']);
  if (!financial && doc['bankPin'] !== undefined) fail('bankPin', 'only a financial card has a bank PIN');
  const bankPin = financial ? readBankPin(doc['bankPin']) : null;
  if (!financial && doc['bankApplication'] !== undefined) fail('bankApplication', 'only a financial card has a bank application');
  const bankApplication = financial ? readBankApplication(doc['bankApplication']) : null;
  const person = required(doc, '', 'person', readPerson);
  const card = required(doc, '', 'card', (v, p) => readCard(v, p, financial));
  if (card.issueDate < person.birthDate) fail('card.issueDate', `is before the birth date ${person.birthDate}`);
  const workRecords = doc['workRecords'] === undefined ? [] : readWorkRecords(doc['workRecords']);
  const health = readHealth(doc['health']);
  const insurance = readInsurance(doc['insurance']);
  const masterKeys = readKeys(doc['keys']);
  return { specVersion, financial, pin, bankPin, bankApplication, person, card, workRecords, health, insurance, masterKeys };
}

/**
 * Where a JSON syntax error is, without the excerpt of the text that JSON.parse puts in some of
 * its messages: in a personalization document that excerpt may be an initial PIN or a master key.
 */
export function jsonSyntaxProblem(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (/end of JSON input/.test(message)) return 'the text ends too early (truncated?)';
  const at = /at position (\d+)/.exec(message);
  if (at === null) return 'syntax error';
  const position = Number(at[1]);
  const before = text.slice(0, position).split('\n');
  return `syntax error at line ${before.length}, column ${(before[before.length - 1] as string).length + 1}`;
}

/**
 * Parses JSON text and validates it; a JSON syntax error is a PersonalizationError too (saying
 * where, never quoting the text).
 */
export function parsePersonalizationJson(text: string): ResolvedPersonalization {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PersonalizationError('(document)', `is not valid JSON: ${jsonSyntaxProblem(text, err)}`);
  }
  return validatePersonalization(parsed);
}

const PIN_POLICY_FIELD_PATHS: Readonly<Record<string, string>> = {
  initialPin: 'initial',
  tryLimit: 'tryLimit',
  forbidReturnToInitial: 'forbidReturnToInitial',
};

/** PIN settings checked by the PIN engine's own policy rules, errors re-pathed to the document. */
function pinPolicy(path: string, given: { initialPin?: unknown; tryLimit?: unknown; forbidReturnToInitial?: unknown }) {
  const partial: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) if (v !== undefined) partial[k] = v;
  try {
    return definePinPolicy(partial);
  } catch (err) {
    if (err instanceof PinPolicyError) {
      const field = PIN_POLICY_FIELD_PATHS[err.field] ?? err.field;
      // The policy message names its own field ("PIN policy initialPin must ..."); keep only the rule.
      const rule = err.message.replace(/^PIN policy \S+ /, '');
      throw new PersonalizationError(join(path, field), rule, { cause: err });
    }
    throw err;
  }
}

function readAppPin(v: unknown): ResolvedPersonalization['pin'] {
  const o = v === undefined ? {} : object(v, 'pin', ['initial', 'tryLimit', 'forbidReturnToInitial']);
  if (o['initial'] !== undefined) string(o['initial'], 'pin.initial');
  const policy = pinPolicy('pin', {
    initialPin: o['initial'] ?? PERSONALIZATION_DEFAULTS.appPin,
    tryLimit: o['tryLimit'] ?? PERSONALIZATION_DEFAULTS.appPinTryLimit,
    forbidReturnToInitial: o['forbidReturnToInitial'] ?? false,
  });
  return { initial: policy.initialPin, tryLimit: policy.tryLimit, forbidReturnToInitial: policy.forbidReturnToInitial };
}

function readBankPin(v: unknown): { initial: string; tryLimit: number } {
  const o = v === undefined ? {} : object(v, 'bankPin', ['initial', 'tryLimit']);
  if (o['initial'] !== undefined) string(o['initial'], 'bankPin.initial');
  const policy = pinPolicy('bankPin', {
    initialPin: o['initial'] ?? PERSONALIZATION_DEFAULTS.bankPin,
    tryLimit: o['tryLimit'] ?? PERSONALIZATION_DEFAULTS.bankPinTryLimit,
  });
  return { initial: policy.initialPin, tryLimit: policy.tryLimit };
}

function readBankApplication(v: unknown): { state: 'active' | 'inactive' } {
  const o = v === undefined ? {} : object(v, 'bankApplication', ['state']);
  const state = o['state'] ?? 'active';
  if (state !== 'active' && state !== 'inactive') fail('bankApplication.state', `must be "active" or "inactive", got ${describeType(state)}`);
  return { state };
}

/** GB 3304 codes 01..56 are the 56 ethnic groups; 97 other, 98 foreign-born Chinese citizens. */
function ethnicity(v: unknown, path: string): string {
  const s = pattern(v, path, /^[0-9]{2}$/, 'a two-digit GB 3304 code');
  const n = Number(s);
  if (!((n >= 1 && n <= 56) || n === 97 || n === 98)) fail(path, `${s} is not a GB 3304 code (01..56, 97, 98)`);
  return s;
}

function regionCode(v: unknown, path: string): string {
  const s = pattern(v, path, /^[0-9]{6}$/, 'a 6-digit region code');
  if (!isRegionCode(s)) fail(path, `${s} does not start with a province code`);
  return s;
}

function readPerson(v: unknown, path: string): ResolvedPersonalization['person'] {
  const o = object(v, path, ['name', 'latinName', 'idNumber', 'sex', 'ethnicity', 'birthplace', 'birthDate']);
  const name = required(o, path, 'name', (x, p) =>
    gbkText(x, p, SSC_NAME_LENGTH + SSC_NAME_EXTENSION_LENGTH, { required: true }),
  );
  const latinName =
    optional(o, 'latinName', (x) => pattern(x, join(path, 'latinName'), /^[A-Z][A-Z /.'-]{1,25}$/, "2..26 capital ASCII letters like 'ZHANG/WEI'")) ??
    null;
  const idNumber = required(o, path, 'idNumber', (x, p) => {
    const s = string(x, p);
    const problem = citizenIdProblem(s);
    if (problem !== undefined) fail(p, problem);
    return s;
  });
  const sex = required(o, path, 'sex', (x, p) => {
    if (x !== '1' && x !== '2') fail(p, `must be "1" (male) or "2" (female), got ${describeType(x)}`);
    return x;
  });
  const idSex = citizenIdSex(idNumber);
  if (sex !== idSex) {
    fail(join(path, 'sex'), `must be "${idSex}": the ID number's 17th digit is ${idSex === '1' ? 'odd (male)' : 'even (female)'}`);
  }
  const eth = required(o, path, 'ethnicity', ethnicity);
  const birthplace = required(o, path, 'birthplace', regionCode);
  const birthDate = required(o, path, 'birthDate', date);
  const idBirth = citizenIdBirthDate(idNumber);
  if (birthDate !== idBirth) fail(join(path, 'birthDate'), `must be ${idBirth}, the birth date in the ID number`);
  return { name, latinName, idNumber, sex, ethnicity: eth, birthplace, birthDate };
}

function readCard(v: unknown, path: string, financial: boolean): ResolvedPersonalization['card'] {
  const o = object(v, path, ['number', 'identifier', 'type', 'issueDate', 'expiryDate', 'initializingOrg', 'pan']);
  const number = required(o, path, 'number', (x, p) => pattern(x, p, /^[0-9A-Z]{9}$/, '9 digits or capital letters'));
  const identifier = required(o, path, 'identifier', (x, p) => {
    const s = pattern(x, p, /^[0-9]{16,32}$/, '16 to 32 digits');
    if (!isRegionCode(s.slice(0, 6))) fail(p, `must start with the issuing region code; ${s.slice(0, 6)} is not one`);
    return s;
  });
  const type = required(o, path, 'type', (x, p) => pattern(x, p, /^[0-9A-Z]$/, 'one digit or capital letter'));
  const issueDate = required(o, path, 'issueDate', date);
  const expiryDate = required(o, path, 'expiryDate', date);
  if (expiryDate <= issueDate) fail(join(path, 'expiryDate'), `must be after the issue date ${issueDate}`);
  const initializingOrg = required(o, path, 'initializingOrg', (x, p) => pattern(x, p, /^[0-9]{1,24}$/, '1 to 24 digits'));
  const pan =
    optional(o, 'pan', (x) => {
      const p = join(path, 'pan');
      const s = pattern(x, p, /^[0-9]{13,19}$/, '13 to 19 digits');
      if (!isValidPan(s)) fail(p, 'Luhn check digit is wrong');
      return s;
    }) ?? null;
  if (financial && pan === null) fail(join(path, 'pan'), 'is required on a financial card');
  if (!financial && pan !== null) fail(join(path, 'pan'), 'only a financial card has a PAN');
  return { number, identifier, type, issueDate, expiryDate, initializingOrg, pan };
}

function readWorkRecords(v: unknown): WorkRecord[] {
  const list = array(v, 'workRecords', WORK_RECORD_COUNT);
  const out = list.map((item, i): WorkRecord => {
    const path = `workRecords[${i}]`;
    const o = object(item, path, ['employerCode', 'startDate', 'endDate', 'employerName']);
    const employerCode = required(o, path, 'employerCode', (x, p) =>
      pattern(x, p, /^[0-9A-Za-z]{1,7}$/, '1 to 7 ASCII letters or digits'),
    );
    const startDate = required(o, path, 'startDate', date);
    const endDate = o['endDate'] === undefined || o['endDate'] === null ? null : date(o['endDate'], join(path, 'endDate'));
    if (endDate !== null && endDate < startDate) fail(join(path, 'endDate'), `is before the start date ${startDate}`);
    const employerName = required(o, path, 'employerName', (x, p) => gbkText(x, p, 70, { required: true }));
    return { employerCode, startDate, endDate, employerName };
  });
  for (let i = 1; i < out.length; i++) {
    if ((out[i] as WorkRecord).startDate > (out[i - 1] as WorkRecord).startDate) {
      fail(`workRecords[${i}].startDate`, 'is later than the record before it; list the newest record first');
    }
  }
  return out;
}

const HEALTH_FLAG_KEYS = HEALTH_FLAGS.map((f) => f.key);

function readHealth(v: unknown): ResolvedPersonalization['health'] {
  const o = v === undefined ? {} : object(v, 'health', ['abo', 'rh', 'flags', 'warning', 'contraindications', 'history', 'capacity']);
  const abo =
    optional(o, 'abo', (x) => {
      if (typeof x !== 'string' || !(x in ABO_CODES)) fail('health.abo', `must be one of ${codeList(ABO_CODES)}, got ${describeType(x)}`);
      return x as AboCode;
    }) ?? PERSONALIZATION_DEFAULTS.abo;
  const rh =
    optional(o, 'rh', (x) => {
      if (typeof x !== 'string' || !(x in RH_CODES)) fail('health.rh', `must be one of ${codeList(RH_CODES)}, got ${describeType(x)}`);
      return x as RhCode;
    }) ?? PERSONALIZATION_DEFAULTS.rh;
  const flagInput = o['flags'] === undefined ? {} : object(o['flags'], 'health.flags', HEALTH_FLAG_KEYS);
  const flags = {} as HealthFlags;
  for (const key of HEALTH_FLAG_KEYS) {
    flags[key] = flagInput[key] === undefined ? false : boolean(flagInput[key], `health.flags.${key}`);
  }
  const warning = o['warning'] === undefined ? '' : gbkText(o['warning'], 'health.warning', HEALTH_WARNING_LENGTH, { required: false });
  const cap = o['capacity'] === undefined ? {} : object(o['capacity'], 'health.capacity', ['contraindications', 'history']);
  // A cyclic file's record number is one byte and FF is reserved, so 254 records at most.
  const capacity = {
    contraindications:
      optional(cap, 'contraindications', (x) => integer(x, 'health.capacity.contraindications', 1, 254)) ??
      DEFAULT_CONTRAINDICATION_CAPACITY,
    history: optional(cap, 'history', (x) => integer(x, 'health.capacity.history', 1, 254)) ?? DEFAULT_MEDICAL_HISTORY_CAPACITY,
  };
  const contraindications = (
    o['contraindications'] === undefined ? [] : array(o['contraindications'], 'health.contraindications', capacity.contraindications)
  ).map((item, i): Contraindication => {
    const path = `health.contraindications[${i}]`;
    const c = object(item, path, ['substance', 'reaction']);
    return {
      substance: required(c, path, 'substance', (x, p) => gbkText(x, p, 20, { required: true })),
      reaction: c['reaction'] === undefined ? '' : gbkText(c['reaction'], join(path, 'reaction'), 100, { required: false }),
    };
  });
  const history = (o['history'] === undefined ? [] : array(o['history'], 'health.history', capacity.history)).map(
    (item, i): MedicalHistoryEntry => {
      const path = `health.history[${i}]`;
      const h = object(item, path, ['date', 'icd10', 'diagnosis', 'institution']);
      return {
        date: required(h, path, 'date', date),
        // ICD-10: letter, two digits, optional dot and up to 4 more characters (national clinical edition, e.g. I10.x00).
        icd10: required(h, path, 'icd10', (x, p) => pattern(x, p, /^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,4})?$/, "an ICD-10 code like 'J45.900' (8 characters at most)")),
        diagnosis: required(h, path, 'diagnosis', (x, p) => gbkText(x, p, 60, { required: true })),
        institution: required(h, path, 'institution', (x, p) => pattern(x, p, /^[0-9A-Za-z-]{1,24}$/, '1 to 24 ASCII letters, digits or -')),
      };
    },
  );
  // The list is the cyclic file from record 1 on, and record 1 is the newest entry.
  for (let i = 1; i < history.length; i++) {
    if ((history[i] as MedicalHistoryEntry).date > (history[i - 1] as MedicalHistoryEntry).date) {
      fail(`health.history[${i}].date`, 'is later than the entry before it; list the newest entry first');
    }
  }
  return { abo, rh, flags, warning, contraindications, history, capacity };
}

function codeList(codes: Record<string, string>): string {
  return Object.entries(codes)
    .map(([k, v]) => `"${k}" (${v})`)
    .join(', ');
}

function readInsurance(v: unknown): Record<InsuranceType, InsuranceParticipation> {
  const keys = INSURANCE_TYPES.map((t) => t.key);
  const o = v === undefined ? {} : object(v, 'insurance', keys);
  const out = {} as Record<InsuranceType, InsuranceParticipation>;
  for (const key of keys) {
    const path = `insurance.${key}`;
    if (o[key] === undefined) {
      out[key] = { ...NOT_INSURED };
      continue;
    }
    const p = object(o[key], path, ['status', 'since', 'region']);
    const status = required(p, path, 'status', (x, q) => {
      if (typeof x !== 'string' || !(x in INSURANCE_STATUS_CODES)) {
        fail(q, `must be one of ${codeList(INSURANCE_STATUS_CODES)}, got ${describeType(x)}`);
      }
      return x as InsuranceStatusCode;
    });
    if (status === '0') {
      if (p['since'] !== undefined && p['since'] !== null) fail(join(path, 'since'), 'must be absent when not insured');
      if (p['region'] !== undefined && p['region'] !== '') fail(join(path, 'region'), 'must be absent when not insured');
      out[key] = { ...NOT_INSURED };
    } else {
      out[key] = { status, since: required(p, path, 'since', date), region: required(p, path, 'region', regionCode) };
    }
  }
  return out;
}

function readKeys(v: unknown): Partial<Record<SscKeyName, Uint8Array>> {
  if (v === undefined) return {};
  const o = object(v, 'keys', ['masters']);
  if (o['masters'] === undefined) return {};
  const m = object(o['masters'], 'keys.masters', SSC_KEY_NAMES);
  const out: Partial<Record<SscKeyName, Uint8Array>> = {};
  for (const name of SSC_KEY_NAMES) {
    if (m[name] === undefined) continue;
    out[name] = fromHex(pattern(m[name], `keys.masters.${name}`, /^[0-9A-Fa-f]{32}$/, '32 hex digits (a 16-byte key)'));
  }
  return out;
}
