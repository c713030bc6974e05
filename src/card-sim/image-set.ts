import { CardImageError } from './image-errors.js';
import { ImageFormatError } from './errors.js';
import { checkImageContent, type CheckedImage } from './image-format.js';
// From image-access.ts, not image.ts: changing a field needs no card, nor the card OS's handlers.
import { readImageFile, sealingKeyOf, writeSealedImage } from './image-access.js';
import type { CardImageKeyOptions } from './image-access.js';
import { realImagePath, takeImageLock } from './image-lock.js';
import type { CardImageLockOptions } from './image-lock.js';
import type { CardState } from './state/index.js';
import { fieldPath } from './validation.js';
import { CARD_IMAGE_FIELDS } from './image-set-fields.js';

export { CARD_IMAGE_FIELDS };

/*
 * Deliberate changes to a card image: the one way to put a card in a given state (a blocked PIN, a
 * try limit, a blocked application, a record) now that the file itself cannot be edited. The
 * change is made on the opened (unsealed) state, the whole image is checked as on every read, and
 * only then sealed and saved under the image's lock; anything refused leaves the file as it was.
 *
 * Fields (a path of DFs or EFs is labels or FIDs from the MF, e.g. SSSE/DF10/EF07):
 *   card.blocked                      true | false (CARD BLOCK)
 *   app.<df path>.blocked             none | temporary | permanent (APPLICATION BLOCK)
 *   pin.<id>.tries-left               0 .. try limit; `pin.<df path>/<id>` when the id is on several DFs
 *   pin.<id>.try-limit                1 .. 15 (tries left are lowered to it when above)
 *   key.<df path>.<key id>.tries-left 0 .. try limit; the key id in hex (05, 0A, 11)
 *   key.<df path>.<key id>.try-limit  1 .. 15
 *   record.<ef path>.<n>              hex; record n as READ RECORD numbers it, or one past the last
 *   data.<ef path>                    hex; the whole content of a transparent EF
 *   state.<path>                      any other field of the card state, by the path errors name
 *                                     (e.g. state.mf.children[0].children[1].read), as JSON
 * Secret material (keys, PIN verifiers) is not set by hand, in any form: a new card with other
 * keys or PINs is personalized (`sscard card new --from`), so no secret passes a command line.
 */

/** State fields that hold or carry secret material; never set through setCardImageField. */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'key',
  'verifier',
  'initialPinVerifier',
  'initialPin',
  'salt',
  'mac',
]);

export interface SetCardImageFieldOptions extends CardImageKeyOptions, CardImageLockOptions {
  /** Told when the image was from before sealing and is sealed by this change (see openCardImage). */
  onNotice?: (message: string) => void;
}

/** What setCardImageField changed. */
export interface CardImageFieldChange {
  /** The field as given. */
  field: string;
  /** The card state fields it set, as errors name them (`state.mf.children[0]...`). */
  paths: string[];
  /** The first of them before and after (a JSON value: a number, a flag, hex, ...). */
  previous: unknown;
  value: unknown;
}

type Json = Record<string, unknown>;
type Keys = (string | number)[];

/**
 * A problem with the field or the value given: names the field, never repeats the value. A field
 * text with a long run of digits is not repeated either (a PIN typed in the wrong place).
 */
function fieldError(path: string, field: string, problem: string, cause?: unknown): CardImageError {
  const options = cause === undefined ? {} : { cause };
  if (/\d{5,}/.test(field)) {
    return new CardImageError(
      'CARD_IMAGE_FIELD',
      path,
      `cannot set that field (not repeated: it holds a long number); fields: ${CARD_IMAGE_FIELDS.join(', ')}`,
      options,
    );
  }
  return new CardImageError('CARD_IMAGE_FIELD', path, `cannot set ${field}: ${problem}`, options);
}

function get(root: unknown, keys: Keys): unknown {
  let value = root;
  for (const key of keys)
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined;
  return value;
}

function set(root: unknown, keys: Keys, value: unknown): void {
  const holder = get(root, keys.slice(0, -1)) as Record<string | number, unknown>;
  const last = keys[keys.length - 1] as string | number;
  if (value === undefined) delete holder[last];
  else holder[last] = value;
}

function children(df: unknown): Json[] {
  const list = (df as Json)['children'];
  return Array.isArray(list) ? (list as Json[]) : [];
}

/** The keys of the file `filePath` (labels or FIDs from the MF) in the state, or undefined. */
function fileKeys(state: CardState, filePath: string): Keys | undefined {
  const keys: Keys = ['mf'];
  const segments = filePath.split('/').filter((s) => s !== '');
  if (segments[0]?.toUpperCase() === 'MF' || segments[0]?.toUpperCase() === '3F00') segments.shift();
  for (const segment of segments) {
    const list = children(get(state, keys));
    const want = segment.toUpperCase();
    const i = list.findIndex(
      (c) => String(c['fid']).toUpperCase() === want || String(c['label'] ?? '').toUpperCase() === want,
    );
    if (i < 0) return undefined;
    keys.push('children', i);
  }
  return keys;
}

/** Every DF of the state with its keys, MF first. */
function allDfs(state: CardState): Keys[] {
  const out: Keys[] = [];
  const stack: Keys[] = [['mf']];
  for (let keys = stack.pop(); keys !== undefined; keys = stack.pop()) {
    out.push(keys);
    children(get(state, keys)).forEach((c, i) => {
      if (c['type'] === 'df') stack.push([...keys, 'children', i]);
    });
  }
  return out;
}

function dfName(state: CardState, keys: Keys): string {
  const names: string[] = [];
  for (let n = 3; n <= keys.length; n += 2) {
    const df = get(state, keys.slice(0, n)) as Json;
    names.push(String(df['label'] ?? df['fid']));
  }
  return names.length === 0 ? 'MF' : names.join('/');
}

/** A parsed value, or what is wrong with the text (never the text itself). */
type Parsed = { value: unknown } | { problem: string };

interface Edit {
  paths: Keys[];
  parse: (text: string) => Parsed;
  apply: (state: CardState, value: unknown) => void;
}

const whole =
  (max: number) =>
  (text: string): Parsed =>
    /^\d{1,3}$/.test(text) && Number(text) <= max
      ? { value: Number(text) }
      : { problem: `expected a whole number 0..${max}` };
const flag = (text: string): Parsed =>
  text === 'true' ? { value: true } : text === 'false' ? { value: false } : { problem: 'expected true or false' };
const hex = (text: string): Parsed =>
  /^(?:[0-9A-Fa-f]{2})*$/.test(text)
    ? { value: text.toUpperCase() }
    : { problem: 'expected hex digits, whole bytes, no spaces' };

function pinEdit(state: CardState, spec: string, attribute: string): Edit | string {
  const slash = spec.lastIndexOf('/');
  const id = spec.slice(slash + 1);
  let dfs = allDfs(state);
  if (slash >= 0) {
    const keys = fileKeys(state, spec.slice(0, slash));
    if (keys === undefined) return `no DF ${spec.slice(0, slash)}`;
    dfs = [keys];
  }
  const found = dfs.flatMap((keys) => {
    const pins = (get(state, [...keys, 'pins']) ?? []) as Json[];
    const i = pins.findIndex((p) => p['id'] === id);
    return i < 0 ? [] : [[...keys, 'pins', i]];
  });
  if (found.length === 0) return `no PIN ${id}`;
  if (found.length > 1)
    return `PIN ${id} is on several DFs (${found.map((k) => dfName(state, k.slice(0, -2))).join(', ')}): name one, pin.<df path>/${id}`;
  const pin = found[0] as Keys;
  const record = [...pin, 'record'];
  if (attribute === 'tries-left') {
    return {
      paths: [[...record, 'triesLeft']],
      parse: whole(15),
      apply: (s, v) => set(s, [...record, 'triesLeft'], v),
    };
  }
  if (attribute === 'try-limit')
    return limitEdit([...record, 'tryLimit'], [...pin, 'policy', 'tryLimit'], [...record, 'triesLeft']);
  return `a PIN has tries-left and try-limit`;
}

function limitEdit(limit: Keys, alsoLimit: Keys | undefined, triesLeft: Keys): Edit {
  return {
    paths: alsoLimit === undefined ? [limit, triesLeft] : [limit, alsoLimit, triesLeft],
    parse: whole(15),
    apply: (s, v) => {
      set(s, limit, v);
      if (alsoLimit !== undefined) set(s, alsoLimit, v);
      if ((get(s, triesLeft) as number) > (v as number)) set(s, triesLeft, v);
    },
  };
}

function keyEdit(state: CardState, dfPath: string, kid: string, attribute: string): Edit | string {
  const df = fileKeys(state, dfPath);
  if (df === undefined) return `no DF ${dfPath}`;
  const keys = (get(state, [...df, 'keys']) ?? []) as Json[];
  // Key numbers in hex, as the card profile and the reader programs name them (05, 0A, 11).
  const id = /^[0-9A-Fa-f]{1,2}$/.test(kid) ? Number.parseInt(kid, 16) : Number.NaN;
  const i = keys.findIndex((k) => k['id'] === id);
  if (i < 0) return `no key ${kid} on ${dfName(state, df)}`;
  const key = [...df, 'keys', i];
  if (attribute === 'tries-left')
    return { paths: [[...key, 'triesLeft']], parse: whole(15), apply: (s, v) => set(s, [...key, 'triesLeft'], v) };
  if (attribute === 'try-limit') return limitEdit([...key, 'tryLimit'], undefined, [...key, 'triesLeft']);
  return 'a key has tries-left and try-limit';
}

function recordEdit(state: CardState, efPath: string, n: string): Edit | string {
  const ef = fileKeys(state, efPath);
  const file = ef === undefined ? undefined : (get(state, ef) as Json);
  if (ef === undefined || file?.['type'] !== 'ef') return `no EF ${efPath}`;
  const records = file['records'];
  if (!Array.isArray(records)) return `${efPath} is not a record file`;
  const index = Number(n) - 1;
  if (!/^\d{1,3}$/.test(n) || index < 0 || index > records.length)
    return `record numbers of ${efPath} are 1..${records.length + 1}`;
  const at = [...ef, 'records', index];
  return { paths: [at], parse: hex, apply: (s, v) => set(s, at, v) };
}

function dataEdit(state: CardState, efPath: string): Edit | string {
  const ef = fileKeys(state, efPath);
  const file = ef === undefined ? undefined : (get(state, ef) as Json);
  if (ef === undefined || file?.['type'] !== 'ef') return `no EF ${efPath}`;
  if (typeof file['data'] !== 'string') return `${efPath} is not a transparent file`;
  return { paths: [[...ef, 'data']], parse: hex, apply: (s, v) => set(s, [...ef, 'data'], v) };
}

/** `mf.children[0].pins` -> ['mf', 'children', 0, 'pins'], or undefined when it is not a path. */
function parsePath(text: string): Keys | undefined {
  if (!/^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*|\[\d{1,4}\])*$/.test(text)) return undefined;
  return [...text.matchAll(/([A-Za-z][A-Za-z0-9]*)|\[(\d+)\]/g)].map((m) => (m[1] !== undefined ? m[1] : Number(m[2])));
}

function holdsSecret(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => SECRET_FIELDS.has(k) || holdsSecret(v));
}

function stateEdit(state: CardState, pathText: string): Edit | string {
  const keys = parsePath(pathText);
  if (keys === undefined || keys.length === 0) return 'expected a card state path, e.g. state.mf.children[0].label';
  if (keys.some((k) => typeof k === 'string' && SECRET_FIELDS.has(k))) return SECRET_REFUSAL;
  if (keys.length > 1 && get(state, keys.slice(0, -1)) === undefined)
    return `state.${pathText} is not in this card's state`;
  return {
    paths: [keys],
    parse: (text) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
      return holdsSecret(value) ? { problem: SECRET_REFUSAL } : { value };
    },
    apply: (s, v) => set(s, keys, v),
  };
}

const SECRET_REFUSAL =
  'keys and PIN references are never set by hand; personalize a card with them (sscard card new --from)';

function editFor(state: CardState, field: string): Edit | string {
  if (field === 'card.blocked')
    return { paths: [['cardBlocked']], parse: flag, apply: (s, v) => set(s, ['cardBlocked'], v) };
  const [kind, ...rest] = field.split('.');
  const tail = rest.join('.');
  // The attribute parts are at the end: what comes before them is the file's path, whose labels
  // may hold dots themselves (the PKI application's SS.CERT.ADF1).
  const pathBefore = (n: number): string => rest.slice(0, -n).join('.');
  const last = (n: number): string => rest[rest.length - n] as string;
  if (kind === 'state') return stateEdit(state, tail);
  if (kind === 'app' && rest.length >= 2 && last(1) === 'blocked') {
    const df = fileKeys(state, pathBefore(1));
    if (df === undefined) return `no DF ${pathBefore(1)}`;
    const at = [...df, 'applicationBlocked'];
    return {
      paths: [at],
      parse: (t): Parsed =>
        t === 'none'
          ? { value: undefined }
          : t === 'temporary' || t === 'permanent'
            ? { value: t }
            : { problem: 'expected none, temporary or permanent' },
      apply: (s, v) => set(s, at, v),
    };
  }
  if (kind === 'pin' && rest.length >= 2) return pinEdit(state, pathBefore(1), last(1));
  if (kind === 'key' && rest.length >= 3) return keyEdit(state, pathBefore(2), last(2), last(1));
  if (kind === 'record' && rest.length >= 2) return recordEdit(state, pathBefore(1), last(1));
  if (kind === 'data' && rest.length >= 1) return dataEdit(state, tail);
  return `unknown field (fields: ${CARD_IMAGE_FIELDS.join(', ')})`;
}

/**
 * Sets one field of the card image `path` and seals the image again (see the top of this file
 * for the fields). The image is read and checked like any other open (refused if edited outside
 * sscard or sealed with another key), under its lock; the changed image is checked in full before
 * it is written. A field that does not exist, a value it cannot take, or a change that makes the
 * card invalid is CARD_IMAGE_FIELD, and the file stays as it was.
 */
export function setCardImageField(
  path: string,
  field: string,
  value: string,
  options: SetCardImageFieldOptions = {},
): CardImageFieldChange {
  const lock = takeImageLock(path, options, 'CARD_IMAGE_NOT_FOUND');
  try {
    const checked = readImageFile(path, options);
    const state = JSON.parse(JSON.stringify(checked.image.state)) as CardState;
    const edit = editFor(state, field);
    if (typeof edit === 'string') throw fieldError(path, field, edit);
    const parsed = edit.parse(value);
    if ('problem' in parsed) throw fieldError(path, field, parsed.problem);
    const first = edit.paths[0] as Keys;
    const previous = get(state, first);
    edit.apply(state, parsed.value);
    let content: CheckedImage;
    try {
      content = checkImageContent(
        path,
        { ...checked.image, saved: new Date().toISOString() },
        state,
        checked.fileVersion,
        checked.sealed,
      );
    } catch (err) {
      const problem =
        err instanceof CardImageError && err.formatError instanceof ImageFormatError
          ? `field ${err.formatError.field}: ${err.formatError.problem}`
          : undefined;
      if (problem === undefined) throw err;
      throw fieldError(path, field, `the card would be invalid (${problem})`, err);
    }
    const key = sealingKeyOf(options, checked.sealed);
    writeSealedImage(path, realImagePath(path), content.image, key);
    if (!checked.sealed)
      options.onNotice?.(
        `card image ${path}: was not sealed (version ${checked.fileVersion}, from before sealing); it is now sealed with the image key from ${key.source}`,
      );
    return { field, paths: edit.paths.map((k) => fieldPath(k, 'state')), previous, value: get(state, first) };
  } finally {
    lock.release();
  }
}
