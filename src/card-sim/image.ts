import { readFileSync } from 'node:fs';
import { SscardError } from '../apdu/index.js';
import { SimulatedCard } from './card.js';
import type { SimulatedCardOptions, TransmissionProtocol } from './card.js';
import { ImageFormatError } from './errors.js';
import { writeFileAtomicSync } from './image-file.js';
import { exportState, importState } from './state/card-state.js';
import type { CardState } from './state/card-state.js';
import { sscSpecOf } from './profiles/ssc-inspect.js';

/*
 * Card image files: one JSON document per card, holding the card OS's state export (file tree,
 * records, PIN records as salted HMAC verifiers with their counters, keys with their counters)
 * plus a little metadata. PINs are never in an image in clear.
 *
 *   { "format": "sscard-card-image", "version": 2,
 *     "created": ISO time, "saved": ISO time, "spec": "2.00" | "3.00" | null,
 *     "transmission": "T=0" | "T=1", "extendedLength": boolean,
 *     "state": <CardState> }
 *
 * A file that is missing, unreadable, not JSON, of another format or version, or with any bad
 * field is a CardImageError naming the file and the problem; it is never replaced by a fresh card.
 *
 * Versions: 2 holds a version 2 card state (initial PINs as salted verifiers only, lifecycle,
 * per-record lengths). Version 1 images (version 1 state, initial PIN in clear in each PIN
 * policy) are migrated when read (project choice, see importState): readCardImage and
 * loadCardImage return the version 2 form without touching the file; openCardImage, which binds
 * the card to the file, rewrites the file as version 2 at once, so the clear initial PIN leaves the
 * disk as soon as the card is put to use. Any other version is a CARD_IMAGE_VERSION error.
 */

export const CARD_IMAGE_FORMAT = 'sscard-card-image';
export const CARD_IMAGE_VERSION = 2;
/** Image versions this build reads (older ones are migrated). */
const READABLE_IMAGE_VERSIONS: readonly unknown[] = [1, 2];

export type CardImageErrorCode =
  | 'CARD_IMAGE_NOT_FOUND'
  | 'CARD_IMAGE_UNREADABLE'
  | 'CARD_IMAGE_CORRUPT'
  | 'CARD_IMAGE_VERSION'
  | 'CARD_IMAGE_INVALID'
  | 'CARD_IMAGE_WRITE_FAILED';

/** A card image that cannot be read or written; `path` is the file, the message names it. */
export class CardImageError extends SscardError {
  override readonly code: CardImageErrorCode;
  readonly path: string;

  constructor(code: CardImageErrorCode, path: string, problem: string, options?: { cause?: unknown }) {
    super(code, `card image ${path}: ${problem}`, options);
    this.code = code;
    this.path = path;
  }
}

export interface CardImage {
  format: typeof CARD_IMAGE_FORMAT;
  version: typeof CARD_IMAGE_VERSION;
  created: string;
  saved: string;
  /** Spec version of the SSSE (from EF05 tag 03), or null for a card without one. */
  spec: '2.00' | '3.00' | null;
  transmission: TransmissionProtocol;
  extendedLength: boolean;
  state: CardState;
}

/** Card options an image keeps besides the state. */
type ImageCardOptions = Pick<SimulatedCardOptions, 'transmission' | 'extendedLength'>;

/** When each card loaded from or saved to an image was first created (kept across saves). */
const createdAt = new WeakMap<SimulatedCard, string>();

function imageOf(card: SimulatedCard, state: CardState, created: string): CardImage {
  return {
    format: CARD_IMAGE_FORMAT,
    version: CARD_IMAGE_VERSION,
    created,
    saved: new Date().toISOString(),
    spec: sscSpecOf(card.tree),
    transmission: card.transmission,
    extendedLength: card.extendedLength,
    state,
  };
}

function writeImage(path: string, image: CardImage): void {
  try {
    writeFileAtomicSync(path, `${JSON.stringify(image, null, 2)}\n`);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CardImageError('CARD_IMAGE_WRITE_FAILED', path, `cannot be written (${reason})`, { cause: err });
  }
}

/**
 * Saves `card` to `path` atomically: temporary file in the same directory, fsync, rename,
 * fsync of the directory. A crash leaves either the previous image or this one.
 */
export function saveCardImage(path: string, card: SimulatedCard): void {
  const created = createdAt.get(card) ?? new Date().toISOString();
  writeImage(path, imageOf(card, card.exportState(), created));
  createdAt.set(card, created);
}

/**
 * Reads and checks an image file, including the card state inside it. A version 1 image comes
 * back migrated to version 2 (the file itself is not changed).
 */
export function readCardImage(path: string): CardImage {
  return readImageFile(path).image;
}

/** The checked (and, for version 1, migrated) image and the version the file holds. */
function readImageFile(path: string): { image: CardImage; fileVersion: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CardImageError('CARD_IMAGE_NOT_FOUND', path, 'file not found', { cause: err });
    throw new CardImageError('CARD_IMAGE_UNREADABLE', path, `cannot be read (${code ?? (err as Error).message})`, { cause: err });
  }
  if (text.trim() === '') throw new CardImageError('CARD_IMAGE_CORRUPT', path, 'file is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CardImageError('CARD_IMAGE_CORRUPT', path, `not valid JSON, truncated or damaged (${(err as Error).message})`, {
      cause: err,
    });
  }
  return checkImage(path, parsed);
}

function invalid(path: string, field: string, problem: string): never {
  throw new CardImageError('CARD_IMAGE_INVALID', path, `field ${field}: ${problem}`);
}

function checkImage(path: string, v: unknown): { image: CardImage; fileVersion: number } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new CardImageError('CARD_IMAGE_INVALID', path, 'not a card image (expected a JSON object)');
  }
  const o = v as Record<string, unknown>;
  if (o['format'] !== CARD_IMAGE_FORMAT) {
    throw new CardImageError(
      'CARD_IMAGE_INVALID',
      path,
      `not an sscard card image (format is ${JSON.stringify(o['format'])}, expected "${CARD_IMAGE_FORMAT}")`,
    );
  }
  if (!READABLE_IMAGE_VERSIONS.includes(o['version'])) {
    throw new CardImageError(
      'CARD_IMAGE_VERSION',
      path,
      `version ${JSON.stringify(o['version'])} is not supported (this build reads version ${CARD_IMAGE_VERSION} and migrates version 1)`,
    );
  }
  const fileVersion = o['version'] as number;
  const state = o['state'];
  if (state !== null && typeof state === 'object' && !Array.isArray(state)) {
    const stateVersion = (state as Record<string, unknown>)['version'];
    if (stateVersion !== fileVersion) {
      invalid(path, 'state.version', `is ${JSON.stringify(stateVersion)}, but a version ${fileVersion} image holds a version ${fileVersion} state`);
    }
  }
  for (const field of ['created', 'saved'] as const) {
    const t = o[field];
    if (typeof t !== 'string' || Number.isNaN(Date.parse(t))) invalid(path, field, 'expected an ISO date-time string');
  }
  const spec = o['spec'];
  if (spec !== null && spec !== '2.00' && spec !== '3.00') invalid(path, 'spec', 'expected "2.00", "3.00" or null');
  const transmission = o['transmission'];
  if (transmission !== 'T=0' && transmission !== 'T=1') invalid(path, 'transmission', 'expected "T=0" or "T=1"');
  if (typeof o['extendedLength'] !== 'boolean') invalid(path, 'extendedLength', 'expected true or false');
  const known = new Set(['format', 'version', 'created', 'saved', 'spec', 'transmission', 'extendedLength', 'state']);
  for (const key of Object.keys(o)) if (!known.has(key)) invalid(path, key, 'unknown field');
  // The state is fully checked by building the tree from it.
  const tree = buildTree(path, o['state']);
  const actualSpec = sscSpecOf(tree);
  if (actualSpec !== spec) invalid(path, 'spec', `says ${JSON.stringify(spec)}, but the card's EF05 holds ${JSON.stringify(actualSpec)}`);
  if (fileVersion === CARD_IMAGE_VERSION) return { image: o as unknown as CardImage, fileVersion };
  // Migration from version 1: the state as this build exports it (initial PINs sealed).
  return { image: { ...(o as unknown as CardImage), version: CARD_IMAGE_VERSION, state: exportState(tree) }, fileVersion };
}

function buildTree(path: string, state: unknown): ReturnType<typeof importState> {
  try {
    return importState(state);
  } catch (err) {
    if (err instanceof ImageFormatError) {
      const problem = err.message.replace(/^card image field \S+: /, '');
      throw new CardImageError('CARD_IMAGE_INVALID', path, `field state.${err.field}: ${problem}`, { cause: err });
    }
    throw err;
  }
}

function cardFromImage(path: string, image: CardImage, hooks: Pick<SimulatedCardOptions, 'onDurableChange' | 'logger' | 'random' | 'powered'>): SimulatedCard {
  const options: ImageCardOptions = { transmission: image.transmission, extendedLength: image.extendedLength };
  const card = new SimulatedCard({ ...options, ...hooks, tree: buildTree(path, image.state) });
  createdAt.set(card, image.created);
  return card;
}

export interface LoadCardImageOptions {
  logger?: SimulatedCardOptions['logger'];
  random?: SimulatedCardOptions['random'];
  /** Start powered (default false). */
  powered?: boolean;
}

/** A card from an image file, detached from it: changes stay in memory until saveCardImage. */
export function loadCardImage(path: string, options: LoadCardImageOptions = {}): SimulatedCard {
  return cardFromImage(path, readCardImage(path), options);
}

/**
 * A card bound to its image file: every durable change (a PIN try spent or restored, a record
 * written, a key counter moved) is saved to `path` atomically before the card answers the
 * command. If saving fails the card answers 6581 and keeps its last saved state. A version 1
 * file is rewritten as version 2 when it is opened (CARD_IMAGE_WRITE_FAILED if that fails).
 */
export function openCardImage(path: string, options: LoadCardImageOptions = {}): SimulatedCard {
  const { image, fileVersion } = readImageFile(path);
  let card: SimulatedCard | undefined;
  const created = image.created;
  card = cardFromImage(path, image, {
    ...options,
    onDurableChange: (state) => {
      // The card only reports changes after construction, so `card` is always set here; failing
      // loudly (the card answers 6581) is still better than dropping a change.
      if (card === undefined) throw new CardImageError('CARD_IMAGE_WRITE_FAILED', path, 'change reported before the card existed');
      writeImage(path, imageOf(card, state, created));
    },
  });
  // A migrated version 1 file still holds initial PINs in clear: replace it now.
  if (fileVersion !== CARD_IMAGE_VERSION) writeImage(path, imageOf(card, card.exportState(), created));
  return card;
}
