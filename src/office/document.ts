import { DocumentInvalidError } from './errors.js';

/*
 * The personalization document is the JSON that `sscard card new --from` takes (its full schema
 * and checks live with the card simulator, which the office never imports). The registry stores
 * it whole, as JSONB, and reads only the few fields below; the checks here are the ones the
 * registry itself relies on. A caller that can check the whole document (the CLI, with the card
 * simulator) passes its check as `validate` to the operations that store a document.
 */

export type PersonalizationJson = Record<string, unknown>;

/** What the office reads from a personalization document. */
export interface PersonalizationView {
  specVersion: '2.00' | '3.00';
  financial: boolean;
  person: {
    idNumber: string;
    name: string;
    sex: '1' | '2';
    birthDate: string;
    ethnicity: string;
    birthplace: string;
    latinName: string | null;
  };
  card: {
    number: string | null;
    identifier: string | null;
  };
}

/** Default spec version of a document that names none (as the card simulator's). */
export const DEFAULT_SPEC_VERSION = '3.00';

function fail(path: string, problem: string): never {
  throw new DocumentInvalidError(path, problem);
}

function objectAt(v: unknown, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be an object');
  return v as Record<string, unknown>;
}

function stringAt(o: Record<string, unknown>, key: string, path: string, re: RegExp, what: string): string {
  const v = o[key];
  if (typeof v !== 'string' || !re.test(v)) fail(`${path}.${key}`, `must be ${what}`);
  return v;
}

function optionalStringAt(
  o: Record<string, unknown>,
  key: string,
  path: string,
  re: RegExp,
  what: string,
): string | null {
  return o[key] === undefined ? null : stringAt(o, key, path, re, what);
}

const ID_NUMBER = /^[0-9]{17}[0-9X]$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const COMPACT_DATE = /^\d{8}$/;
/** 16 to 32 digits, or the 32-character RID form (the rule of isCardIdentifier in sscard/keys). */
const CARD_IDENTIFIER = /^(?:[0-9]{16,32}|(?=.{32}$)[0-9]{6}D156000005[0-9]{1,16}F*)$/;

/** Reads the office's view of a document; throws DocumentInvalidError naming the field. */
export function viewDocument(doc: unknown): PersonalizationView {
  const o = objectAt(doc, '');
  const spec = o['specVersion'] ?? DEFAULT_SPEC_VERSION;
  if (spec !== '2.00' && spec !== '3.00') fail('specVersion', 'must be "2.00" or "3.00"');
  const financial = o['financial'] ?? false;
  if (typeof financial !== 'boolean') fail('financial', 'must be true or false');
  const p = objectAt(o['person'], 'person');
  const birth = p['birthDate'];
  if (typeof birth !== 'string' || !(ISO_DATE.test(birth) || COMPACT_DATE.test(birth)))
    fail('person.birthDate', "must be a date 'YYYY-MM-DD'");
  const birthDate = COMPACT_DATE.test(birth) ? `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6)}` : birth;
  const person = {
    idNumber: stringAt(p, 'idNumber', 'person', ID_NUMBER, "18 characters: 17 digits and a digit or 'X'"),
    name: stringAt(p, 'name', 'person', /^\S(.*\S)?$/u, 'a non-empty name'),
    sex: stringAt(p, 'sex', 'person', /^[12]$/, '"1" or "2"') as '1' | '2',
    birthDate,
    ethnicity: stringAt(p, 'ethnicity', 'person', /^[0-9]{2}$/, 'a two-digit GB 3304 code'),
    birthplace: stringAt(p, 'birthplace', 'person', /^[0-9]{6}$/, 'a 6-digit region code'),
    latinName: optionalStringAt(p, 'latinName', 'person', /^[\x20-\x7e]{1,26}$/, 'up to 26 ASCII characters'),
  };
  const c = o['card'] === undefined ? {} : objectAt(o['card'], 'card');
  const card = {
    number: optionalStringAt(c, 'number', 'card', /^[0-9A-Z]{9}$/, '9 digits or capital letters'),
    identifier: optionalStringAt(
      c,
      'identifier',
      'card',
      CARD_IDENTIFIER,
      '16 to 32 digits, or 32 characters: region code, D156000005, serial digits, F padding',
    ),
  };
  return { specVersion: spec, financial, person, card };
}

/**
 * The document as the registry keeps it: a deep copy without the initial PINs. The registry
 * never holds a PIN (the application PIN's initial value is the profile's 123456 and a bank sets
 * its own at the branch), so a card re-made from a stored document starts with the default
 * initial PINs. Issuer master keys do not belong in the registry either: a document naming its
 * own is refused.
 */
export function storableDocument(doc: unknown): PersonalizationJson {
  const copy = structuredClone(objectAt(doc, '')) as PersonalizationJson;
  for (const key of ['pin', 'bankPin'] as const) {
    const settings = copy[key];
    if (settings !== null && typeof settings === 'object' && !Array.isArray(settings)) {
      delete (settings as Record<string, unknown>)['initial'];
    } else if (settings !== undefined) {
      fail(key, 'must be an object');
    }
  }
  if (copy['keys'] !== undefined) {
    fail('keys', 'issuer master keys are kept in the key store, not in the registry; personalize without them');
  }
  return copy;
}
