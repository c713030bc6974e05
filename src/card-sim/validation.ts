import * as v from 'valibot';

/*
 * The one way card-sim checks untrusted JSON (card images, card states, personalization
 * documents): a valibot schema, parsed with abortEarly so the first problem is the one reported,
 * and that problem turned into data: the path of the field, what kind of problem, and a message.
 * Messages describe what was expected and, at most, the kind and size of what was found: never
 * the text of the input, which may hold PIN verifiers, keys or personal data.
 */

/**
 * What is wrong with a field:
 * - `type`: the wrong JSON type (a number where a string belongs, ...);
 * - `missing`: a required field is absent;
 * - `unknown-field`: a field this format (or this version of it) does not have;
 * - `value`: the right type, a wrong value (out of range, not hex, wrong length, not a choice);
 * - `tree`: the values are each fine, but the card tree they describe cannot exist (two children
 *   with one FID, a record longer than its file allows, ...).
 */
export type FieldProblemKind = 'type' | 'missing' | 'unknown-field' | 'value' | 'tree';

/** The first problem of an input that does not validate. */
export interface FieldProblem {
  /** Keys from the root down to the bad field (array indexes as numbers); [] for the root. */
  readonly keys: readonly (string | number)[];
  readonly kind: FieldProblemKind;
  /** What is wrong, without the field's name (callers add it in their own style). */
  readonly message: string;
}

const FIRST_PROBLEM_ONLY = { abortEarly: true } as const;

/** Parses `input`; the output, or the first problem. */
export function validate<const S extends v.GenericSchema>(
  schema: S,
  input: unknown,
): { ok: true; value: v.InferOutput<S> } | { ok: false; problem: FieldProblem } {
  const result = v.safeParse(schema, input, FIRST_PROBLEM_ONLY);
  if (result.success) return { ok: true, value: result.output };
  return { ok: false, problem: problemOf(result.issues[0]) };
}

function problemOf(issue: v.BaseIssue<unknown>): FieldProblem {
  const items = issue.path ?? [];
  const keys = items.map((item) => item.key as string | number);
  const { message } = issue;
  if (isKeyIssue(issue)) return { keys, kind: issue.expected === 'never' ? 'unknown-field' : 'missing', message };
  // A field that is refused outright (v.never) is one this format or version does not have.
  if (issue.type === 'never') return { keys, kind: 'unknown-field', message };
  return { keys, kind: issue.kind === 'schema' && !isWrongChoice(issue) ? 'type' : 'value', message };
}

/**
 * An object schema reports a missing key and a key it does not know as issues of the object, with
 * the key as the last path item (origin 'key'); the unknown one is "expected never".
 */
function isKeyIssue(issue: v.BaseIssue<unknown>): boolean {
  const last = issue.path?.[issue.path.length - 1];
  return last !== undefined && last.origin === 'key';
}

/** How one kind of document words the problems of an object. */
export interface ObjectMessages {
  notObject(input: unknown): string;
  unknownField(known: readonly string[]): string;
  missing: string;
}

/** The message function of an object schema with these `known` keys. */
export function objectMessage(messages: ObjectMessages, known: readonly string[]) {
  return (issue: v.BaseIssue<unknown>): string => {
    if (!isKeyIssue(issue)) return messages.notObject(issue.input);
    return issue.expected === 'never' ? messages.unknownField(known) : messages.missing;
  };
}

/** A strict object (unknown keys refused) whose problems are worded by `messages`. */
export function strictObject<const E extends v.ObjectEntries>(entries: E, messages: ObjectMessages) {
  return notArray(v.strictObject(entries, objectMessage(messages, Object.keys(entries))));
}

/**
 * The object schema, refusing an array as "not an object" (valibot's object schemas take an
 * array for an object with missing keys). Entries, type and message stay, so the result is still
 * an object schema (a variant option).
 */
export function notArray<S extends v.GenericSchema>(schema: S): S {
  return {
    ...schema,
    '~run'(dataset, config) {
      if (!Array.isArray(dataset.value)) return schema['~run'](dataset, config);
      v._addIssue(schema as never, 'type', dataset, config);
      return dataset as unknown as v.OutputDataset<v.InferOutput<S>, v.InferIssue<S>>;
    },
  };
}

/**
 * A value of the right type that is none of a field's choices (picklist, literal, a variant's
 * discriminator): valibot reports it as a schema issue, but the type is right and the value wrong.
 * The expected choices read like `("a" | "b")` for strings and `(1 | 2)` for numbers.
 */
function isWrongChoice(issue: v.BaseIssue<unknown>): boolean {
  if (issue.type !== 'picklist' && issue.type !== 'literal' && issue.type !== 'variant') return false;
  const expected = (issue.expected ?? '').replace(/^\(/, '');
  if (typeof issue.input === 'string') return expected.startsWith('"');
  if (typeof issue.input === 'number') return /^[0-9]/.test(expected);
  return false;
}

/** `a.b[0].c` for the keys ['a', 'b', 0, 'c'], below `root` when given. */
export function fieldPath(keys: readonly (string | number)[], root = ''): string {
  let out = root;
  for (const key of keys) out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`;
  return out;
}

/**
 * Path items for an issue raised by a rawCheck/rawTransform below the value it checks, e.g. for a
 * PIN rule that names its own field ('verifier.salt'). Each key's input is the object above it.
 */
export function pathBelow(input: unknown, dotted: string): [v.IssuePathItem, ...v.IssuePathItem[]] | undefined {
  const keys = dotted.split('.').filter((k) => k !== '');
  const items: v.IssuePathItem[] = [];
  let value = input;
  for (const key of keys) {
    if (Array.isArray(value)) {
      const index = Number(key);
      items.push({ type: 'array', origin: 'value', input: value, key: index, value: value[index] });
      value = value[index];
    } else {
      const holder = (value !== null && typeof value === 'object' ? value : {}) as Record<string, unknown>;
      items.push({ type: 'object', origin: 'value', input: holder, key, value: holder[key] });
      value = holder[key];
    }
  }
  return items.length === 0 ? undefined : (items as [v.IssuePathItem, ...v.IssuePathItem[]]);
}

/** The kind of a value, for messages: never the value itself. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length} character${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * Where a JSON syntax error is, without the excerpt of the text that JSON.parse puts in some of
 * its messages: in a card image or a personalization document that excerpt may be a key, a PIN
 * or personal data.
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
