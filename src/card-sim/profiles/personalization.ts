import type * as v from 'valibot';
import { fieldPath, jsonSyntaxProblem, validate } from '../validation.js';
import { PersonalizationError } from './personalization-error.js';
import {
  PERSONALIZATION_DEFAULTS,
  cardSchema,
  healthSchema,
  personSchema,
  personalizationSchema,
} from './personalization-schema.js';

/*
 * The personalization document: everything an issuer decides about one card, as JSON. It is
 * checked by the schema in personalization-schema.ts, which also gives its types: the document
 * as written (input) and resolved, with every default filled in (output). Each problem names the
 * exact field, e.g. `person.idNumber: check digit should be X`.
 */

export { PERSONALIZATION_DEFAULTS, PersonalizationError, jsonSyntaxProblem };

export type SpecVersion = '2.00' | '3.00';

/** The cardholder as a document gives them. */
export type PersonData = v.InferInput<typeof personSchema>;
/** The card's own data items as a document gives them. */
export type CardData = v.InferInput<typeof cardSchema>;
/** The health extension as a document gives it (every part optional). */
export type HealthData = v.InferInput<typeof healthSchema>;
/** A personalization document as written (JSON or an object literal). */
export type PersonalizationDocument = v.InferInput<typeof personalizationSchema>;
/** The application PIN settings of a document. */
export type PinSettings = NonNullable<PersonalizationDocument['pin']>;
/** The bank PIN settings of a document (financial cards). */
export type BankPinSettings = NonNullable<PersonalizationDocument['bankPin']>;
/** A checked document with every default filled in; what the card builder consumes. */
export type ResolvedPersonalization = v.InferOutput<typeof personalizationSchema>;

/**
 * Checks a personalization document (parsed JSON or an object literal) and fills in defaults.
 * Throws PersonalizationError (code 'PERSONALIZATION_INVALID') naming the first bad field.
 */
export function validatePersonalization(input: unknown): ResolvedPersonalization {
  const result = validate(personalizationSchema, input);
  if (result.ok) return result.value;
  const { keys, message } = result.problem;
  throw new PersonalizationError(keys.length === 0 ? '(document)' : fieldPath(keys), message);
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
