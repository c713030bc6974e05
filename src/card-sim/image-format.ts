import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as v from 'valibot';
import { ImageFormatError } from './errors.js';
import { CardImageError } from './image-errors.js';
import { imageKeyFile, type ImageKey } from './image-key.js';
import { SEAL_CIPHER, SEAL_IV_BYTES, SEAL_TAG_BYTES, openSealedBytes, sealBytes, type Seal } from './image-seal.js';
import type { MasterFile } from './fs/nodes.js';
import { CARD_STATE_VERSION, checkState, treeOf } from './state/index.js';
import type { CardState } from './state/index.js';
import { sscSpecOf } from './profiles/ssc-inspect.js';
import { fieldPath, jsonSyntaxProblem, kindOf, strictObject, validate } from './validation.js';

/*
 * The card image file format, read and written. Version 3 (this one) is sealed:
 *
 *   { "format": "sscard-card-image", "version": 3,
 *     "created": ISO time, "saved": ISO time, "spec": "2.00" | "3.00" | null,
 *     "transmission": "T=0" | "T=1", "extendedLength": boolean,
 *     "seal": { "cipher": "aes-256-gcm", "keyId": 16 hex, "iv": 24 hex, "tag": 32 hex },
 *     "sealedState": base64 of the card state JSON, encrypted }
 *
 * The whole card state is the image's secret section: keys, PIN verifiers, the initial-PIN
 * verifier, counters, lifecycle, access conditions and records alike. Encrypting all of it rather
 * than a list of today's secret fields means a field added to the state later (another key, a
 * private key) is sealed without anyone having to remember it, and the records a card guards with
 * the PIN (contraindications, medical history) are no more readable in the file than on the chip.
 * The clear fields (format to extendedLength, and the seal's cipher, key id and IV) are the
 * associated data of the GCM tag, so the tag is a MAC over the whole image (image-seal.ts).
 *
 * Versions 1 and 2 (before sealing) hold the state in clear under `state`; they are read (version
 * 1 migrated to a version 2 state) and sealed when an image is opened for use (image.ts).
 */

export const CARD_IMAGE_FORMAT = 'sscard-card-image';
export const CARD_IMAGE_VERSION = 3;
/** Image versions this build reads: 3 sealed, 1 and 2 from before sealing. */
const READABLE_IMAGE_VERSIONS: readonly unknown[] = [1, 2, 3];
/**
 * The largest image file read. A full SSC image is under 20 KB; a card's memory is at most a few
 * hundred KB, so anything near this is not a card image, and is not read into memory whole.
 */
export const MAX_CARD_IMAGE_BYTES = 1024 * 1024;

const isoTime = v.pipe(
  v.string('expected an ISO date-time string'),
  v.check((t) => !Number.isNaN(Date.parse(t)), 'expected an ISO date-time string'),
);

const MESSAGES = { notObject: () => 'expected an object', unknownField: () => 'unknown field', missing: 'is required' };

function hexOf(bytes: number) {
  return v.pipe(
    v.string('expected a string'),
    v.check((s) => s.length === bytes * 2 && /^[0-9a-f]*$/.test(s), `expected ${bytes} bytes of lowercase hex`),
  );
}

/** The fields every version has around its state. */
const headerEntries = {
  format: v.literal(CARD_IMAGE_FORMAT),
  created: isoTime,
  saved: isoTime,
  /** Spec version of the SSSE (from EF05 tag 03), or null for a card without one. */
  spec: v.nullable(v.picklist(['2.00', '3.00'], 'expected "2.00", "3.00" or null')),
  transmission: v.picklist(['T=0', 'T=1'], 'expected "T=0" or "T=1"'),
  extendedLength: v.boolean('expected true or false'),
};

/** Versions 1 and 2: the state in clear, checked on its own (checkState), its problems named below `state`. */
const clearImageSchema = strictObject({ ...headerEntries, version: v.picklist([1, 2]), state: v.unknown() }, MESSAGES);

const sealSchema = strictObject(
  {
    cipher: v.literal(SEAL_CIPHER, `expected "${SEAL_CIPHER}"`),
    keyId: hexOf(8),
    iv: hexOf(SEAL_IV_BYTES),
    tag: hexOf(SEAL_TAG_BYTES),
  },
  MESSAGES,
);

const sealedImageSchema = strictObject(
  {
    ...headerEntries,
    version: v.literal(CARD_IMAGE_VERSION),
    seal: sealSchema,
    sealedState: v.pipe(
      v.string('expected a string'),
      v.check((s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0, 'expected base64'),
    ),
  },
  MESSAGES,
);

/** A card image's content (metadata and the card state), as this build reads and writes it. */
export type CardImage = Omit<v.InferOutput<typeof clearImageSchema>, 'state' | 'version'> & {
  version: typeof CARD_IMAGE_VERSION;
  state: CardState;
};

/** A checked image, the version its file holds, whether it was sealed, and the card tree of its state. */
export interface CheckedImage {
  image: CardImage;
  fileVersion: number;
  sealed: boolean;
  tree: MasterFile;
}

export interface ReadImagePolicy {
  /** The image key to open sealed images with (undefined: none on this machine). */
  key: () => ImageKey | undefined;
  /** Refuse images from before sealing (versions 1 and 2). */
  refuseUnsealed: boolean;
}

/** The items of an image the seal binds besides its ciphertext (see image-seal.ts). */
function sealedHeader(image: Omit<CardImage, 'state'>): unknown[] {
  return [
    CARD_IMAGE_FORMAT,
    CARD_IMAGE_VERSION,
    image.created,
    image.saved,
    image.spec,
    image.transmission,
    image.extendedLength,
  ];
}

/** The sealed file text of `image`. */
export function sealedImageText(image: CardImage, key: ImageKey): string {
  const { state, ...header } = image;
  const { seal, data } = sealBytes(key, sealedHeader(header), Buffer.from(JSON.stringify(state), 'utf8'));
  return `${JSON.stringify({ ...header, format: CARD_IMAGE_FORMAT, version: CARD_IMAGE_VERSION, seal, sealedState: data }, null, 2)}\n`;
}

/** The text of an image file, at most MAX_CARD_IMAGE_BYTES of it. */
export function readImageText(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CardImageError('CARD_IMAGE_NOT_FOUND', path, 'file not found', { cause: err });
    throw new CardImageError('CARD_IMAGE_UNREADABLE', path, `cannot be read (${code ?? (err as Error).message})`, {
      cause: err,
    });
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_CARD_IMAGE_BYTES) {
      throw new CardImageError(
        'CARD_IMAGE_INVALID',
        path,
        `is ${size} bytes, more than a card image holds (at most ${MAX_CARD_IMAGE_BYTES})`,
      );
    }
    const buffer = Buffer.alloc(size + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > size) {
        throw new CardImageError(
          'CARD_IMAGE_INVALID',
          path,
          `grew past ${size} bytes while being read (not a card image sscard wrote)`,
        );
      }
    }
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    if (err instanceof CardImageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CardImageError('CARD_IMAGE_UNREADABLE', path, `cannot be read (${code ?? (err as Error).message})`, {
      cause: err,
    });
  } finally {
    closeSync(fd);
  }
}

/** Parses and checks the text of the image file `path` (sealed, or from before sealing). */
export function parseImage(path: string, text: string, policy: ReadImagePolicy): CheckedImage {
  if (text.trim() === '') throw new CardImageError('CARD_IMAGE_CORRUPT', path, 'file is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // No cause kept: JSON.parse's message quotes the text near the error (a key, a PIN).
    throw new CardImageError(
      'CARD_IMAGE_CORRUPT',
      path,
      `not valid JSON, truncated or damaged (${jsonSyntaxProblem(text, err)})`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CardImageError('CARD_IMAGE_INVALID', path, 'not a card image (expected a JSON object)');
  }
  const o = parsed as Record<string, unknown>;
  if (o['format'] !== CARD_IMAGE_FORMAT) {
    throw new CardImageError(
      'CARD_IMAGE_INVALID',
      path,
      `not an sscard card image (expected format "${CARD_IMAGE_FORMAT}")`,
    );
  }
  const fileVersion = o['version'];
  if (!READABLE_IMAGE_VERSIONS.includes(fileVersion)) {
    const shown = typeof fileVersion === 'number' ? String(fileVersion) : kindOf(fileVersion);
    throw new CardImageError(
      'CARD_IMAGE_VERSION',
      path,
      `version ${shown} is not supported (this build reads version ${CARD_IMAGE_VERSION} and migrates versions 1 and 2)`,
    );
  }
  if (fileVersion === CARD_IMAGE_VERSION) return checkSealed(path, o, policy);
  if (policy.refuseUnsealed) {
    throw new CardImageError(
      'CARD_IMAGE_UNSEALED',
      path,
      `not sealed (a version ${String(fileVersion)} image, from before sealing), and unsealed images are refused here (SSCARD_REFUSE_UNSEALED)`,
    );
  }
  return checkClear(path, o, fileVersion as 1 | 2);
}

function invalid(path: string, field: string, problem: string, kind: ImageFormatError['kind'] = 'value'): never {
  const formatError = new ImageFormatError(field, problem, { kind, file: path });
  throw new CardImageError('CARD_IMAGE_INVALID', path, `field ${field}: ${problem}`, { cause: formatError });
}

function checkSealed(path: string, o: Record<string, unknown>, policy: ReadImagePolicy): CheckedImage {
  const result = validate(sealedImageSchema, o);
  if (!result.ok) {
    const { keys, kind, message } = result.problem;
    invalid(path, fieldPath(keys), message, kind);
  }
  const { seal, sealedState, ...header } = result.value;
  const key = policy.key();
  const opened = openSealedBytes(key, sealedHeader(header), seal as Seal, sealedState);
  if (!opened.ok) {
    if (opened.problem === 'tampered') {
      throw new CardImageError(
        'CARD_IMAGE_TAMPERED',
        path,
        'edited outside sscard (its seal does not match its contents)',
        {
          hint: 'deliberate changes go through `sscard card set`',
        },
      );
    }
    const here =
      key === undefined
        ? `there is no image key here (set SSCARD_IMAGE_KEY, or put the key file at ${imageKeyFile()})`
        : `the image key here (${key.source}) has id ${key.id}`;
    throw new CardImageError('CARD_IMAGE_OTHER_KEY', path, `sealed with another key (key id ${seal.keyId}; ${here})`);
  }
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(opened.plaintext).toString('utf8'));
  } catch {
    // Only the key's holder can seal: this is a bug of whatever sealed it, not an edit.
    throw new CardImageError('CARD_IMAGE_CORRUPT', path, 'its sealed state is not JSON');
  }
  if (state === null || typeof state !== 'object' || Array.isArray(state)) {
    invalid(path, 'state', `is ${kindOf(state)}, but a card state is an object`);
  }
  checkStateVersion(path, (state as Record<string, unknown>)['version'], CARD_IMAGE_VERSION, CARD_STATE_VERSION);
  return checkImageContent(path, { ...header, version: CARD_IMAGE_VERSION }, state, CARD_IMAGE_VERSION, true);
}

/** A state whose version is not the one a version `fileVersion` image holds (`expected`) is invalid. */
function checkStateVersion(path: string, stateVersion: unknown, fileVersion: number, expected: number): void {
  if (stateVersion === expected) return;
  const shown = typeof stateVersion === 'number' ? String(stateVersion) : kindOf(stateVersion);
  invalid(path, 'state.version', `is ${shown}, but a version ${fileVersion} image holds a version ${expected} state`);
}

function checkClear(path: string, o: Record<string, unknown>, fileVersion: 1 | 2): CheckedImage {
  const rawState = o['state'];
  if (rawState !== null && typeof rawState === 'object' && !Array.isArray(rawState)) {
    checkStateVersion(path, (rawState as Record<string, unknown>)['version'], fileVersion, fileVersion);
  }
  const result = validate(clearImageSchema, o);
  if (!result.ok) {
    const { keys, kind, message } = result.problem;
    invalid(path, fieldPath(keys), message, kind);
  }
  const { state, ...header } = result.value;
  return checkImageContent(path, { ...header, version: CARD_IMAGE_VERSION }, state, fileVersion, false);
}

/**
 * Checks the state (a version 1 state comes back migrated), builds its tree and checks that the
 * header's spec matches it: what every read does after the envelope, and what a deliberate change
 * (image-set.ts) must pass before it is sealed.
 */
export function checkImageContent(
  path: string,
  header: Omit<CardImage, 'state'>,
  rawState: unknown,
  fileVersion: number,
  sealed: boolean,
): CheckedImage {
  const state = inState(path, () => checkState(rawState));
  const tree = inState(path, () => treeOf(state));
  const image: CardImage = { ...header, state };
  const actualSpec = sscSpecOf(tree);
  if (actualSpec !== image.spec) {
    invalid(
      path,
      'spec',
      `says ${JSON.stringify(image.spec)}, but the card's EF05 holds ${JSON.stringify(actualSpec)}`,
    );
  }
  return { image, fileVersion, sealed, tree };
}

/** Runs a step on the image's state, naming a problem as the image file's field `state.…`. */
function inState<T>(path: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (!(err instanceof ImageFormatError)) throw err;
    const formatError = err.inFile(path, 'state');
    throw new CardImageError('CARD_IMAGE_INVALID', path, `field ${formatError.field}: ${formatError.problem}`, {
      cause: formatError,
    });
  }
}
