import type { CardholderCorrection } from '../../terminal/index.js';
import type { PersonalizationJson } from '../document.js';
import { OfficeArgumentError } from '../errors.js';
import { lockCard } from '../operations/cards.js';
import { issueCardOperation } from '../operations/issue.js';
import { writeSide } from '../operations/pin.js';
import { correctPersonalizationOperation } from '../operations/personalization.js';
import type { OperationSpec } from '../operations/runner.js';
import { nextState } from '../states.js';
import type { CorrectionInput, IssueCardInput, IssuedCard, PersonalizationVersion } from '../types.js';
import { PersonalizationChangedError } from './errors.js';

/*
 * Making a card at the window: a new card for a person (issue_card), and a card re-made after a
 * correction of its data (correct_personalization). The office cannot make a chip itself (it
 * never imports the card OS): the caller hands in the making step (the CLI writes a card image
 * with the card simulator), and it runs inside the operation's transaction, after the registry
 * has checked and written everything, under the card's row lock. If making the card fails, the
 * registry rolls back and records the refusal (CARD_SIDE_FAILED). If the card was made and the
 * commit then fails, there is a card the registry does not know: the caller removes what it made
 * (the CLI deletes the image; see service-window.ts).
 */

/** Makes a chip (or its image) from the document as the registry stored it. */
export type MakeCard = (document: PersonalizationJson, cardNumber: string) => Promise<void> | void;

export interface WindowIssueInput extends IssueCardInput {
  makeCard: MakeCard;
}

/** issue_card with the card made in the same transaction. */
export const windowIssueOperation: OperationSpec<WindowIssueInput, IssuedCard> = {
  name: issueCardOperation.name,
  roles: ['window', 'admin'],
  subject: (i) => issueCardOperation.subject(i),
  async run(tx, env, input) {
    const out = await issueCardOperation.run(tx, env, input);
    const issued = out.value;
    await env.cardSide(async (made: IssuedCard) => input.makeCard(made.document, made.card.cardNumber), issued);
    return { ...out, details: { ...out.details, cardMade: true } };
  },
};

export interface WindowCorrectionInput extends CorrectionInput {
  /** The version the corrected document was made from; another correction since is refused. */
  baseVersion?: number;
  /** Re-makes the card from the corrected version (same card number); undefined: registry only. */
  makeCard?: MakeCard;
  /** Writes the correction on the chip at the counter (in place: the PINs are untouched). */
  writeCard?: () => Promise<void>;
}

/** Document paths a correction may write on a chip in place: the cardholder data of EF06. */
const ON_CARD_FIELDS: Readonly<Record<string, keyof CardholderCorrection>> = {
  'person.name': 'name',
  'person.sex': 'sex',
  'person.ethnicity': 'ethnicity',
  'person.birthplace': 'birthplace',
  'person.birthDate': 'birthDate',
};

/**
 * The chip's side of a correction made on a card in a reader. Only the cardholder data on EF06
 * can be written in place; anything else (health data, work records, the Latin name) is in the
 * registry's document only, and needs the card re-made (OfficeArgumentError naming the path).
 */
export function cardholderCorrection(changes: Readonly<Record<string, string>>): CardholderCorrection {
  const out: Record<string, string> = {};
  for (const [path, value] of Object.entries(changes)) {
    const field = ON_CARD_FIELDS[path];
    if (field === undefined) {
      throw new OfficeArgumentError(
        `correction path ${path}: a correction written on the card changes ${Object.keys(ON_CARD_FIELDS).join(', ')} only; re-make the card for the others`,
      );
    }
    // Documents may write dates compactly (YYYYMMDD); the card's date item is YYYY-MM-DD.
    out[field] =
      field === 'birthDate' && /^[0-9]{8}$/.test(value)
        ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6)}`
        : value;
  }
  return out as CardholderCorrection;
}

/**
 * correct_personalization, optionally with the card re-made from the new version. A re-made card is
 * a new chip: its application PIN is the initial one and no PIN on it is locked, so the registry
 * records the PIN as initial and a pin_locked side as active again (the pin_reset transition; the
 * history entry lists the sides it unlocked).
 */
export const windowCorrectionOperation: OperationSpec<WindowCorrectionInput, PersonalizationVersion> = {
  name: correctPersonalizationOperation.name,
  roles: ['window', 'admin'],
  subject: (i) => correctPersonalizationOperation.subject(i),
  async run(tx, env, input) {
    const before = await lockCard(tx, input.cardNumber);
    if (input.baseVersion !== undefined && before.personalizationVersion !== input.baseVersion) {
      throw new PersonalizationChangedError(before.cardNumber, input.baseVersion, before.personalizationVersion);
    }
    const out = await correctPersonalizationOperation.run(tx, env, input);
    if (input.writeCard !== undefined) {
      await env.cardSide(input.writeCard, undefined);
      return { ...out, details: { ...out.details, cardWritten: true } };
    }
    if (input.makeCard === undefined) return out;
    const version = out.value;
    const make = input.makeCard;
    await env.cardSide(async (v: PersonalizationVersion) => make(v.document, v.cardNumber), version);
    let card = await lockCard(tx, input.cardNumber);
    const unlocked: string[] = [];
    for (const side of ['ssc', 'bank'] as const) {
      const state = side === 'ssc' ? card.ssc : card.bank;
      if (state !== 'pin_locked') continue;
      card = await writeSide(tx, card, side, nextState(side, 'pin_reset', state) ?? state, env.now);
      unlocked.push(side);
    }
    await writeSide(tx, card, 'ssc', card.ssc, env.now, true);
    return {
      ...out,
      details: { ...out.details, cardMade: true, pinInitial: true, ...(unlocked.length > 0 ? { unlocked } : {}) },
    };
  },
};

/** Document paths a correction may not set: the registry's own numbers and dates, identity, secrets. */
const FIXED_PATHS = [
  'card.number',
  'card.identifier',
  'card.issueDate',
  'card.expiryDate',
  'person.idNumber',
  'financial',
  'specVersion',
];

/**
 * A corrected copy of `document`: each `path` (dot-separated, e.g. 'person.name') set to its
 * value. A value takes the type of the value it replaces (a number stays a number, true/false a
 * boolean); new fields are strings. Paths the registry owns, the holder's ID number, PINs and keys
 * are refused, as are paths through something that is not an object (OfficeArgumentError).
 */
export function applyCorrections(
  document: PersonalizationJson,
  changes: Readonly<Record<string, string>>,
): PersonalizationJson {
  const copy = structuredClone(document);
  const entries = Object.entries(changes);
  if (entries.length === 0) throw new OfficeArgumentError('a correction needs at least one field to set');
  for (const [path, text] of entries) {
    const parts = path.split('.');
    if (parts.some((p) => !/^[A-Za-z][A-Za-z0-9]*$/.test(p)))
      throw new OfficeArgumentError(
        `correction path ${JSON.stringify(path)}: expected names separated by dots, e.g. person.name`,
      );
    if (FIXED_PATHS.includes(path))
      throw new OfficeArgumentError(`correction path ${path}: cannot be changed by a correction`);
    if (parts[0] === 'keys' || parts[0] === 'pin' || parts[0] === 'bankPin')
      throw new OfficeArgumentError(
        `correction path ${path}: PINs and keys are not personalization data the registry keeps`,
      );
    if (typeof text !== 'string') throw new OfficeArgumentError(`correction ${path}: the value must be text`);
    let node: Record<string, unknown> = copy;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === undefined) node[part] = {};
      else if (next === null || typeof next !== 'object' || Array.isArray(next))
        throw new OfficeArgumentError(`correction path ${path}: ${part} is not an object`);
      node = node[part] as Record<string, unknown>;
    }
    const leaf = parts[parts.length - 1]!;
    node[leaf] = typed(node[leaf], text, path);
  }
  return copy;
}

function typed(old: unknown, text: string, path: string): unknown {
  if (typeof old === 'number') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n))
      throw new OfficeArgumentError(`correction ${path}: expected a number`);
    return n;
  }
  if (typeof old === 'boolean') {
    if (text !== 'true' && text !== 'false')
      throw new OfficeArgumentError(`correction ${path}: expected true or false`);
    return text === 'true';
  }
  if (old !== undefined && old !== null && typeof old === 'object')
    throw new OfficeArgumentError(`correction path ${path}: is an object, set one of its fields`);
  return text;
}
