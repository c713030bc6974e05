import { samplePerson, type PersonalizationDocument } from '../../src/card-sim/index.js';
import { diversifyKey, issuerTestMasterKey, type KeyAlgorithm, type SscKeyName } from '../../src/keys/index.js';

/*
 * The sample people whose cards the key tests run on, each with the algorithm of its card keys,
 * and those keys: the published TEST master keys diversified with the card identifier, as an
 * issuer's secure module derives them.
 */

export interface Subject {
  /** The sample person (a key of samplePerson). */
  who: string;
  algorithm: KeyAlgorithm;
  /** The person's personalization document. */
  doc: PersonalizationDocument;
}

export function subject(who: string, algorithm: KeyAlgorithm): Subject {
  return { who, algorithm, doc: samplePerson(who) };
}

/** The card key `name` of the subject's card. */
export function cardKey(s: Subject, name: SscKeyName): Uint8Array {
  return diversifyKey(issuerTestMasterKey(name), s.doc.card.identifier, s.algorithm);
}
