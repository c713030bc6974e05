import * as v from 'valibot';
import { encodeGbk } from '../../apdu/index.js';
import { kindOf, pathBelow, strictObject, type ObjectMessages } from '../validation.js';
import { isRegionCode } from '../../records/index.js';

/*
 * The field schemas of a personalization document and the way its rules report: messages say
 * what a field must be and, at most, the kind and size of what it holds, never its text.
 */

const MESSAGES: ObjectMessages = {
  notObject: (input) => `must be an object, got ${kindOf(input)}`,
  unknownField: (known) => `unknown field (expected one of ${known.join(', ')})`,
  missing: 'is required',
};

export function object<const E extends v.ObjectEntries>(entries: E) {
  return strictObject(entries, MESSAGES);
}

export const got = (issue: v.BaseIssue<unknown>): string => kindOf(issue.input);
export const text = v.string((issue) => `must be a string, got ${got(issue)}`);
export const flag = v.boolean((issue) => `must be true or false, got ${got(issue)}`);

export function integer(min: number, max: number) {
  const message = (issue: v.BaseIssue<unknown>) => `must be an integer from ${min} to ${max}, got ${got(issue)}`;
  return v.pipe(
    v.number(message),
    v.check((n) => Number.isInteger(n) && n >= min && n <= max, message),
  );
}

export function pattern(re: RegExp, what: string) {
  return v.pipe(
    text,
    v.regex(re, (issue) => `must be ${what}, got ${got(issue)}`),
  );
}

/** One of a code table's keys ('1' for A, ...). */
export function code<const C extends Record<string, string>>(codes: C) {
  const list = Object.entries(codes)
    .map(([k, label]) => `"${k}" (${label})`)
    .join(', ');
  return v.picklist(Object.keys(codes) as (keyof C & string)[], (issue) => `must be one of ${list}, got ${got(issue)}`);
}

/** Text for an `an` field: GBK-encodable, at most `maxBytes`, no pad characters at the end. */
export function gbkText(maxBytes: number, opts: { required: boolean }) {
  return v.pipe(
    text,
    v.rawCheck(({ dataset, addIssue }) => {
      const s = dataset.value as string;
      const problem = gbkProblem(s, maxBytes, opts.required);
      if (problem !== undefined) addIssue({ message: problem });
    }),
  );
}

function gbkProblem(s: string, maxBytes: number, required: boolean): string | undefined {
  if (required && s.length === 0) return 'must not be empty';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) return 'must not contain control characters';
  if (/\s$/.test(s)) return 'must not end with a space (the card strips trailing pad bytes)';
  let bytes: number;
  try {
    bytes = encodeGbk(s).length;
  } catch {
    return 'has characters GBK cannot represent';
  }
  return bytes > maxBytes ? `is ${bytes} GBK bytes, at most ${maxBytes} fit` : undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;

/** A calendar date as 'YYYY-MM-DD' (also accepts 'YYYYMMDD'); returned in ISO form. */
export const date = v.pipe(
  text,
  v.rawTransform(({ dataset, addIssue, NEVER }): string => {
    const s = dataset.value;
    const m = ISO_DATE.exec(s) ?? COMPACT_DATE.exec(s);
    if (m === null) {
      addIssue({ message: `must be a date 'YYYY-MM-DD', got ${kindOf(s)}` });
      return NEVER;
    }
    const [, y, mo, d] = m as unknown as [string, string, string, string];
    const year = Number(y);
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][Number(mo) - 1];
    if (days === undefined || Number(d) < 1 || Number(d) > days || year < 1900) {
      addIssue({ message: 'is not a calendar date from 1900 on' });
      return NEVER;
    }
    return `${y}-${mo}-${d}`;
  }),
);

/** GB 3304 codes 01..56 are the 56 ethnic groups; 97 other, 98 foreign-born Chinese citizens. */
export const ethnicity = v.pipe(
  pattern(/^[0-9]{2}$/, 'a two-digit GB 3304 code'),
  v.check((s) => {
    const n = Number(s);
    return (n >= 1 && n <= 56) || n === 97 || n === 98;
  }, 'is not a GB 3304 code (01..56, 97, 98)'),
);

export const regionCode = v.pipe(
  pattern(/^[0-9]{6}$/, 'a 6-digit region code'),
  v.check((s: string) => isRegionCode(s), 'does not start with a province code'),
);

/** An issue at `path` below the object a rawCheck or rawTransform looks at. */
export type AddIssue = (info: { message: string; path?: ReturnType<typeof pathBelow> }) => void;
export function fail(addIssue: AddIssue, value: unknown, path: string, message: string): void {
  addIssue({ message, path: pathBelow(value, path) });
}

/** A rule across the fields of a checked value: the problem and the path below the value it is at. */
export function rule<T>(check: (value: T) => { path: string; message: string } | undefined) {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = check(dataset.value);
    if (problem !== undefined) fail(addIssue, dataset.value, problem.path, problem.message);
  });
}

/** Entries newest first: each `key` no later than the one before it. */
export function newestFirst<T>(key: keyof T & string, what: string) {
  return rule<T[]>((list) => {
    for (let i = 1; i < list.length; i++) {
      if ((list[i] as T)[key] > (list[i - 1] as T)[key]) {
        return { path: `${i}.${key}`, message: `is later than the ${what} before it; list the newest ${what} first` };
      }
    }
    return undefined;
  });
}

export function listOf<S extends v.GenericSchema>(item: S, max?: number) {
  return v.pipe(
    v.array(item, (issue) => `must be an array, got ${got(issue)}`),
    v.check(
      (list) => max === undefined || list.length <= max,
      (issue) => `has ${(issue.input as unknown[]).length} entries, at most ${max} fit`,
    ),
  );
}

export const ascii = (max: number, extra = '') =>
  pattern(
    new RegExp(`^[0-9A-Za-z${extra}]{1,${max}}$`),
    `1 to ${max} ASCII letters${extra === '' ? ' or digits' : ', digits or -'}`,
  );
