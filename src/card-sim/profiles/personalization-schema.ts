import * as v from 'valibot';
import { fromHex } from '../../apdu/index.js';
import { PinPolicyError, definePinPolicy, type PinPolicy } from '../../pin/index.js';
import {
  ABO_CODES,
  CONTRAINDICATION_LAYOUT,
  DEFAULT_CONTRAINDICATION_CAPACITY,
  DEFAULT_MEDICAL_HISTORY_CAPACITY,
  HEALTH_FLAGS,
  HEALTH_WARNING_LENGTH,
  INSURANCE_STATUS_CODES,
  INSURANCE_TYPES,
  MEDICAL_HISTORY_LAYOUT,
  NOT_INSURED,
  RH_CODES,
  SSC_EF05_ITEMS,
  SSC_NAME_EXTENSION_LENGTH,
  SSC_NAME_LENGTH,
  WORK_RECORD_COUNT,
  WORK_RECORD_LAYOUT,
} from '../../records/index.js';
import type {
  AboCode,
  HealthFlags,
  InsuranceParticipation,
  InsuranceStatusCode,
  InsuranceType,
  RhCode,
} from '../../records/index.js';
import { SSC_KEY_NAMES, isCardIdentifier } from '../../keys/index.js';
import type { SscKeyName } from '../../keys/index.js';
import { citizenIdBirthDate, citizenIdProblem, citizenIdSex, isRegionCode, isValidPan } from '../../records/index.js';
import {
  ascii,
  code,
  date,
  ethnicity,
  fail,
  flag,
  gbkText,
  got,
  integer,
  listOf,
  newestFirst,
  object,
  pattern,
  regionCode,
  rule,
  text,
} from './personalization-fields.js';

/*
 * The personalization document as a valibot schema: each field's form, its domain rules (check
 * characters, GBK byte lengths, dates that must agree with the ID number) and the defaults. Its
 * input type is the document, its output the resolved personalization the card builder consumes.
 * Messages say what a field must be and, at most, the kind and size of what it holds: never its
 * text (a document holds PINs, keys and personal data).
 */

/** Defaults of the personalization (project choices, see card profile §1, §4, §5). */
export const PERSONALIZATION_DEFAULTS = Object.freeze({
  specVersion: '3.00' as '2.00' | '3.00',
  appPin: '123456',
  appPinTryLimit: 3,
  /** Project choice: a bank sets the PIN at the branch; the simulator starts every bank PIN at this test value. */
  bankPin: '888888',
  bankPinTryLimit: 3,
  /** No health data given: blood types "not tested". */
  abo: '6' as AboCode,
  rh: '4' as RhCode,
});

// ---- PINs ------------------------------------------------------------------------------------

const PIN_POLICY_FIELD_PATHS: Readonly<Record<string, string>> = {
  initialPin: 'initial',
  tryLimit: 'tryLimit',
  forbidReturnToInitial: 'forbidReturnToInitial',
};

/** PIN settings checked by the PIN engine's own policy rules, problems re-pathed to the document. */
function pinSettings<const E extends v.ObjectEntries>(entries: E, defaults: Partial<PinPolicy>) {
  return v.pipe(
    object(entries),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const given = dataset.value as {
        initial?: string;
        tryLimit?: number;
        forbidReturnToInitial?: boolean;
        zeroIvReload?: boolean;
      };
      const partial: Partial<PinPolicy> = { ...defaults };
      if (given.initial !== undefined) partial.initialPin = given.initial;
      if (given.tryLimit !== undefined) partial.tryLimit = given.tryLimit;
      if (given.forbidReturnToInitial !== undefined) partial.forbidReturnToInitial = given.forbidReturnToInitial;
      try {
        return { ...definePinPolicy(partial), zeroIvReload: given.zeroIvReload === true };
      } catch (err) {
        if (!(err instanceof PinPolicyError)) throw err;
        // The policy message names its own field ("PIN policy initialPin must ..."); keep only the rule.
        const field = PIN_POLICY_FIELD_PATHS[err.field] ?? err.field;
        fail(addIssue, dataset.value, field, err.message.replace(/^PIN policy \S+ /, ''));
        return NEVER;
      }
    }),
  );
}

const appPin = v.pipe(
  pinSettings(
    {
      initial: v.optional(text),
      tryLimit: v.optional(v.number()),
      forbidReturnToInitial: v.optional(flag),
      /**
       * RELOAD PIN in the PBOC zero-IV form (no challenge; replayable) is accepted. Default false:
       * the card wants the challenge-bound form (see os/handlers/pin-pboc.ts).
       */
      zeroIvReload: v.optional(flag),
    },
    {
      initialPin: PERSONALIZATION_DEFAULTS.appPin,
      tryLimit: PERSONALIZATION_DEFAULTS.appPinTryLimit,
      forbidReturnToInitial: false,
    },
  ),
  v.transform((p) => ({
    initial: p.initialPin,
    tryLimit: p.tryLimit,
    forbidReturnToInitial: p.forbidReturnToInitial,
    zeroIvReload: p.zeroIvReload,
  })),
);

const bankPin = v.pipe(
  pinSettings(
    { initial: v.optional(text), tryLimit: v.optional(v.number()) },
    { initialPin: PERSONALIZATION_DEFAULTS.bankPin, tryLimit: PERSONALIZATION_DEFAULTS.bankPinTryLimit },
  ),
  v.transform((p) => ({ initial: p.initialPin, tryLimit: p.tryLimit })),
);

/**
 * Financial cards: the bank application's state at issue. 'inactive' personalizes it temporarily
 * blocked (APPLICATION BLOCK state) until a bank activates it with APPLICATION UNBLOCK under
 * BANK_APP_CONTROL; default 'active'.
 */
const bankApplication = object({
  state: v.optional(
    v.picklist(['active', 'inactive'], (issue) => `must be "active" or "inactive", got ${got(issue)}`),
    'active',
  ),
});

// ---- person and card ---------------------------------------------------------------------------

const personShape = object({
  /** Full name in Chinese (GBK); over 30 bytes it continues in the name extension (tag 4E), 50 bytes at most. */
  name: gbkText(SSC_NAME_LENGTH + SSC_NAME_EXTENSION_LENGTH, { required: true }),
  /** 'SURNAME/GIVEN' for the bank application's cardholder name (5F20); ASCII, 2..26 characters. */
  latinName: v.optional(pattern(/^[A-Z][A-Z /.'-]{1,25}$/, "2..26 capital ASCII letters like 'ZHANG/WEI'")),
  /** 18-character citizen ID number, also the social security number (EF06 tag 08). */
  idNumber: v.pipe(
    text,
    v.rawCheck(({ dataset, addIssue }) => {
      const problem = citizenIdProblem(dataset.value as string);
      if (problem !== undefined) addIssue({ message: problem });
    }),
  ),
  /** '1' male, '2' female; must agree with the ID number's 17th digit. */
  sex: v.picklist(['1', '2'], (issue) => `must be "1" (male) or "2" (female), got ${got(issue)}`),
  // GB 3304 two-digit code ('01' 汉族 ...): documented on the `ethnicity` schema itself.
  ethnicity,
  /** 6-digit region code of the birthplace. */
  birthplace: regionCode,
  /** 'YYYY-MM-DD'; must agree with the ID number. */
  birthDate: date,
});

export const personSchema = v.pipe(
  personShape,
  rule<v.InferOutput<typeof personShape>>((person) => {
    const idSex = citizenIdSex(person.idNumber);
    if (person.sex !== idSex) {
      const parity = idSex === '1' ? 'odd (male)' : 'even (female)';
      return { path: 'sex', message: `must be "${idSex}": the ID number's 17th digit is ${parity}` };
    }
    if (person.birthDate !== citizenIdBirthDate(person.idNumber)) {
      return { path: 'birthDate', message: 'must be the birth date in the ID number (digits 7 to 14)' };
    }
    return undefined;
  }),
  v.transform((person) => ({ ...person, latinName: person.latinName ?? null })),
);

function ef05Length(key: (typeof SSC_EF05_ITEMS)[number]['key']): number {
  return (SSC_EF05_ITEMS.find((item) => item.key === key) as { length: number }).length;
}

/** The card's data items, sized by their EF05 items (cn items hold two digits a byte). */
const cardShape = object({
  /** Card number (卡号), 9 characters of digits and capital letters. */
  number: pattern(new RegExp(`^[0-9A-Z]{${ef05Length('cardNumber')}}$`), '9 digits or capital letters'),
  /**
   * Card identifier (卡识别码) starting with the issuing region code: as real cards carry it,
   * 32 characters region code || D156000005 || serial digits || F padding (e.g.
   * 330300D15600000599110145FFFFFFFF), or 16..32 digits (the form of earlier sscard cards).
   */
  identifier: v.pipe(
    text,
    v.check(
      (s) => isCardIdentifier(s),
      (issue) =>
        `must be 16 to 32 digits, or 32 characters: region code, D156000005, serial digits, F padding; got ${got(issue)}`,
    ),
    v.check(
      (s) => isRegionCode(s.slice(0, 6)),
      'must start with the issuing region code; its first 6 digits are not one',
    ),
  ),
  /** Card type, one character. */
  type: pattern(/^[0-9A-Z]$/, 'one digit or capital letter'),
  issueDate: date,
  expiryDate: date,
  /** Initializing organisation number, up to 24 digits (12 bytes cn). */
  initializingOrg: pattern(new RegExp(`^[0-9]{1,${2 * ef05Length('initializingOrg')}}$`), '1 to 24 digits'),
  /** PAN of the bank application; required on financial cards. */
  pan: v.optional(
    v.pipe(pattern(/^[0-9]{13,19}$/, '13 to 19 digits'), v.check(isValidPan, 'Luhn check digit is wrong')),
  ),
});

export const cardSchema = v.pipe(
  cardShape,
  rule<v.InferOutput<typeof cardShape>>((card) =>
    card.expiryDate <= card.issueDate
      ? { path: 'expiryDate', message: 'must be after the issue date (card.issueDate)' }
      : undefined,
  ),
  v.transform((card) => ({ ...card, pan: card.pan ?? null })),
);

// ---- work records and health -----------------------------------------------------------------

const workRecordShape = object({
  employerCode: ascii(WORK_RECORD_LAYOUT.lengthOf('employerCode')),
  startDate: date,
  endDate: v.optional(v.nullable(date)),
  employerName: gbkText(WORK_RECORD_LAYOUT.lengthOf('employerName'), { required: true }),
});

const workRecord = v.pipe(
  workRecordShape,
  rule<v.InferOutput<typeof workRecordShape>>(({ startDate, endDate }) =>
    endDate != null && endDate < startDate
      ? { path: 'endDate', message: 'is before the start date (startDate)' }
      : undefined,
  ),
  v.transform((w) => ({ ...w, endDate: w.endDate ?? null })),
);

const workRecordList = listOf(workRecord, WORK_RECORD_COUNT);
export const workRecordsSchema = v.pipe(
  workRecordList,
  newestFirst<v.InferOutput<typeof workRecord>>('startDate', 'record'),
);

const contraindication = object({
  substance: gbkText(CONTRAINDICATION_LAYOUT.lengthOf('substance'), { required: true }),
  reaction: v.optional(gbkText(CONTRAINDICATION_LAYOUT.lengthOf('reaction'), { required: false }), ''),
});

// ICD-10: letter, two digits, optional dot and up to 4 more characters (national clinical edition, e.g. I10.x00).
const ICD10 = /^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,4})?$/;

const historyEntry = object({
  date,
  icd10: pattern(
    ICD10,
    `an ICD-10 code like 'J45.900' (${MEDICAL_HISTORY_LAYOUT.lengthOf('icd10')} characters at most)`,
  ),
  diagnosis: gbkText(MEDICAL_HISTORY_LAYOUT.lengthOf('diagnosis'), { required: true }),
  institution: ascii(MEDICAL_HISTORY_LAYOUT.lengthOf('institution'), '-'),
});

const historyEntries = listOf(historyEntry);
const historyList = v.pipe(historyEntries, newestFirst<v.InferOutput<typeof historyEntry>>('date', 'entry'));

const HEALTH_FLAG_KEYS = HEALTH_FLAGS.map((f) => f.key);

const healthFlags = v.pipe(
  object(
    Object.fromEntries(HEALTH_FLAG_KEYS.map((key) => [key, v.optional(flag)])) as Record<
      (typeof HEALTH_FLAG_KEYS)[number],
      v.OptionalSchema<typeof flag, undefined>
    >,
  ),
  v.transform((given): HealthFlags => {
    const flags = {} as HealthFlags;
    for (const key of HEALTH_FLAG_KEYS) flags[key] = given[key] ?? false;
    return flags;
  }),
);

// A cyclic file's record number is one byte and FF is reserved, so 254 records at most.
const capacity = object({
  contraindications: v.optional(integer(1, 254), DEFAULT_CONTRAINDICATION_CAPACITY),
  history: v.optional(integer(1, 254), DEFAULT_MEDICAL_HISTORY_CAPACITY),
});

const healthShape = object({
  abo: v.optional(code(ABO_CODES), PERSONALIZATION_DEFAULTS.abo),
  rh: v.optional(code(RH_CODES), PERSONALIZATION_DEFAULTS.rh),
  flags: v.optional(healthFlags, {}),
  warning: v.optional(gbkText(HEALTH_WARNING_LENGTH, { required: false }), ''),
  /** Newest first (record 1 of the cyclic file). */
  contraindications: v.optional(listOf(contraindication), []),
  /** Newest first (record 1 of the cyclic file). */
  history: v.optional(historyList, []),
  /** Record counts of the cyclic files (default 10 each). */
  capacity: v.optional(capacity, {}),
});

export const healthSchema = v.pipe(
  healthShape,
  rule<v.InferOutput<typeof healthShape>>((h) => {
    for (const list of ['contraindications', 'history'] as const) {
      if (h[list].length > h.capacity[list]) {
        return { path: list, message: `has ${h[list].length} entries, at most ${h.capacity[list]} fit` };
      }
    }
    return undefined;
  }),
);

// ---- insurance and keys ----------------------------------------------------------------------

const participation = v.pipe(
  object({
    status: code(INSURANCE_STATUS_CODES),
    since: v.optional(v.nullable(date)),
    region: v.optional(
      v.union([v.literal(''), regionCode], (issue) => `must be a 6-digit region code, got ${got(issue)}`),
    ),
  }),
  v.rawTransform(({ dataset, addIssue, NEVER }): InsuranceParticipation => {
    const { status, since, region } = dataset.value;
    if (status === '0') {
      if (since != null) fail(addIssue, dataset.value, 'since', 'must be absent when not insured');
      else if (region !== undefined && region !== '')
        fail(addIssue, dataset.value, 'region', 'must be absent when not insured');
      else return { ...NOT_INSURED };
      return NEVER;
    }
    if (since == null) fail(addIssue, dataset.value, 'since', 'is required');
    else if (region === undefined || region === '') fail(addIssue, dataset.value, 'region', 'is required');
    else return { status: status as InsuranceStatusCode, since, region };
    return NEVER;
  }),
);

const INSURANCE_KEYS = INSURANCE_TYPES.map((t) => t.key);

export const insuranceSchema = v.pipe(
  object(
    Object.fromEntries(INSURANCE_KEYS.map((key) => [key, v.optional(participation)])) as Record<
      InsuranceType,
      v.OptionalSchema<typeof participation, undefined>
    >,
  ),
  v.transform((given): Record<InsuranceType, InsuranceParticipation> => {
    const out = {} as Record<InsuranceType, InsuranceParticipation>;
    for (const key of INSURANCE_KEYS) out[key] = given[key] ?? { ...NOT_INSURED };
    return out;
  }),
);

const masterKey = pattern(/^[0-9A-Fa-f]{32}$/, '32 hex digits (a 16-byte key)');

/** Issuer master keys (32 hex digits each) replacing the published test keys. */
export const keysSchema = v.pipe(
  object({
    masters: v.optional(
      object(
        Object.fromEntries(SSC_KEY_NAMES.map((name) => [name, v.optional(masterKey)])) as Record<
          SscKeyName,
          v.OptionalSchema<typeof masterKey, undefined>
        >,
      ),
    ),
  }),
  v.transform(({ masters }): Partial<Record<SscKeyName, Uint8Array>> => {
    const out: Partial<Record<SscKeyName, Uint8Array>> = {};
    for (const name of SSC_KEY_NAMES) {
      const hex = masters?.[name];
      if (hex !== undefined) out[name] = fromHex(hex);
    }
    return out;
  }),
);

// ---- the document ------------------------------------------------------------------------------

export const personalizationSchema = v.pipe(
  object({
    specVersion: v.optional(
      v.picklist(['2.00', '3.00'], (issue) => `must be "2.00" or "3.00", got ${got(issue)}`),
      PERSONALIZATION_DEFAULTS.specVersion,
    ),
    financial: v.optional(flag, false),
    pin: v.optional(appPin, {}),
    bankPin: v.optional(bankPin),
    bankApplication: v.optional(bankApplication),
    person: personSchema,
    card: cardSchema,
    /** Newest first, at most 4. */
    workRecords: v.optional(workRecordsSchema, []),
    health: v.optional(healthSchema, {}),
    insurance: v.optional(insuranceSchema, {}),
    keys: v.optional(keysSchema, {}),
  }),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const { keys, bankPin: bank, bankApplication: bankApp, ...doc } = dataset.value;
    const given = dataset.value;
    if (!doc.financial && bank !== undefined) fail(addIssue, given, 'bankPin', 'only a financial card has a bank PIN');
    else if (!doc.financial && bankApp !== undefined)
      fail(addIssue, given, 'bankApplication', 'only a financial card has a bank application');
    else if (doc.financial && doc.card.pan === null)
      fail(addIssue, given, 'card.pan', 'is required on a financial card');
    else if (!doc.financial && doc.card.pan !== null)
      fail(addIssue, given, 'card.pan', 'only a financial card has a PAN');
    else if (doc.card.issueDate < doc.person.birthDate)
      fail(addIssue, given, 'card.issueDate', 'is before the birth date (person.birthDate)');
    else {
      const resolvedBank = doc.financial ? (bank ?? v.parse(bankPin, {})) : null;
      const resolvedBankApp = doc.financial ? (bankApp ?? v.parse(bankApplication, {})) : null;
      return { ...doc, bankPin: resolvedBank, bankApplication: resolvedBankApp, masterKeys: keys };
    }
    return NEVER;
  }),
);
