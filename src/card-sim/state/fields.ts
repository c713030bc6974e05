import * as v from 'valibot';
import { kindOf, notArray, objectMessage, strictObject, type ObjectMessages } from '../validation.js';

// The leaf schemas of a card state: strings, integers, hex, FIDs, choices.

/** The card state versions this build reads. */
export type StateVersion = 1 | 2;

const MESSAGES: ObjectMessages = {
  notObject: () => 'expected an object',
  unknownField: () => 'unknown field',
  missing: 'is required',
};

/** A state object: unknown fields refused. */
export function object<const E extends v.ObjectEntries>(entries: E) {
  return strictObject(entries, MESSAGES);
}

/** A state object whose unknown fields its pipe deals with. */
export function looseObject<const E extends v.ObjectEntries>(entries: E) {
  return notArray(v.looseObject(entries, objectMessage(MESSAGES, Object.keys(entries))));
}

/** Of a variant or nullable that is not even an object. */
export const OBJECT = 'expected an object';
export const ARRAY = 'expected an array';
export const text = v.string('expected a string');
export const flag = v.boolean('expected true or false');

/** An integer field holds a count, a length or a number, never a secret: its value is shown. */
export function integer(min: number, max: number) {
  const message = (issue: v.BaseIssue<unknown>): string =>
    `expected an integer ${min}..${max}, got ${typeof issue.input === 'number' ? String(issue.input) : kindOf(issue.input)}`;
  return v.pipe(
    v.number(message),
    v.check((n) => Number.isInteger(n) && n >= min && n <= max, message),
  );
}

export function oneOf<const T extends readonly string[]>(choices: T) {
  return v.picklist(choices, `expected one of ${choices.join(', ')}`);
}

/** Why `s` is not whole bytes of hex, or undefined. Says where, never what the text is. */
function hexProblem(s: string): string | undefined {
  const wrong = s.search(/[^0-9A-Fa-f]/);
  if (wrong >= 0) {
    const what = /\s/.test(s.charAt(wrong)) ? 'white space' : 'non-hex character';
    return `${what} at position ${wrong} (expected hex digits without spaces)`;
  }
  if (s.length % 2 !== 0) return `odd number of hex digits (${s.length}); expected whole bytes`;
  return undefined;
}

export const hex = v.pipe(
  text,
  v.check(
    (s) => hexProblem(s) === undefined,
    (issue) => hexProblem(issue.input as string) ?? 'expected hex',
  ),
);

export function hexBytes(length: number) {
  return v.pipe(
    hex,
    v.check(
      (s) => s.length === length * 2,
      (issue) => `expected ${length} bytes, got ${(issue.input as string).length / 2}`,
    ),
  );
}

export const fid = v.pipe(
  text,
  v.check(
    (s) => /^[0-9A-Fa-f]{4}$/.test(s),
    (issue) => `expected 4 hex digits, got ${kindOf(issue.input)}`,
  ),
);

/** A field that a state of this version does not have. */
export function notIn(version: StateVersion) {
  return v.optional(v.never(`not part of a version ${version} state`));
}
