import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { SscardError } from '../apdu/index.js';
import { SimulatedCard } from './card.js';
import type { SimulatedCardOptions, TransmissionProtocol } from './card.js';
import { ImageFormatError } from './errors.js';
import { acquireFileLock, isFileLock, writeFileAtomicSync } from './image-file.js';
import type { FileLock, LockBusy, LockHolder } from './image-file.js';
import type { MasterFile } from './fs/nodes.js';
import { checkState, treeOf } from './state/import.js';
import type { CardState } from './state/index.js';
import { sscSpecOf } from './profiles/ssc-inspect.js';
import { fieldPath, jsonSyntaxProblem, kindOf, strictObject, validate } from './validation.js';

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
 *
 * Locking: openCardImage takes the exclusive lock `<image>.lock` (see image-file.ts) before it
 * reads the file and keeps it until closeCardImage (or the end of the process), so processes that
 * share an image take turns: load, act, save, release. readCardImage and loadCardImage take no
 * lock: saves are atomic renames, so a reader sees one whole image, at worst a moment old.
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
  | 'CARD_IMAGE_WRITE_FAILED'
  | 'CARD_IMAGE_LOCKED'
  | 'CARD_IMAGE_CLOSED';

/** A card image that cannot be read or written; `path` is the file, the message names it. */
export class CardImageError extends SscardError {
  override readonly code: CardImageErrorCode;
  readonly path: string;
  /** CARD_IMAGE_LOCKED: who holds the lock (undefined when its lock file cannot be understood). */
  readonly holder: CardImageLockHolder | undefined;

  constructor(
    code: CardImageErrorCode,
    path: string,
    problem: string,
    options?: { cause?: unknown; holder?: CardImageLockHolder },
  ) {
    super(code, `card image ${path}: ${problem}`, options);
    this.code = code;
    this.path = path;
    this.holder = options?.holder;
  }

  /**
   * CARD_IMAGE_INVALID for a bad field: the problem as data (field path from the image's top,
   * kind, problem, file), so callers read it rather than parse the message.
   */
  get formatError(): ImageFormatError | undefined {
    return this.cause instanceof ImageFormatError ? this.cause : undefined;
  }
}

/** The process holding an image's lock, as its lock file says. */
export type CardImageLockHolder = LockHolder;

/** How long openCardImage waits for another process to release the image by default. */
export const CARD_IMAGE_LOCK_TIMEOUT_MS = 5000;

export interface CardImageLockOptions {
  /** How long to wait for another process to release the image (default CARD_IMAGE_LOCK_TIMEOUT_MS; 0: no wait). */
  lockTimeoutMs?: number;
}

/** An image's exclusive lock, held by this process until release(). */
export interface CardImageLock {
  /** The image file. */
  readonly path: string;
  /** The lock file, `<image>.lock`. */
  readonly lockPath: string;
  release(): void;
}

/** The lock file of an image. */
export function cardImageLockPath(path: string): string {
  return `${path}.lock`;
}

function lockedError(path: string, lockPath: string, busy: LockBusy, timeoutMs: number): CardImageError {
  const { holder } = busy;
  let problem: string;
  if (holder === undefined) {
    problem = `locked: the lock file ${lockPath} cannot be understood; if no sscard process uses the image, delete the lock file`;
  } else if (busy.thisProcess) {
    problem = `is already open in this process (pid ${holder.pid}); close it first (closeCardImage)`;
  } else {
    problem =
      `in use by process ${holder.pid} on ${holder.host} since ${holder.acquired} (lock file ${lockPath}); ` +
      `gave up after ${timeoutMs} ms`;
  }
  return new CardImageError('CARD_IMAGE_LOCKED', path, problem, holder === undefined ? {} : { holder });
}

/**
 * Takes the exclusive lock of the image `path` (the file need not exist yet), waiting up to
 * `lockTimeoutMs` for another process to release it; a lock left by a process that no longer
 * runs is taken over. CARD_IMAGE_LOCKED (naming the file and the holder's pid) when the time is
 * up or this process holds it already. For writers that do not go through openCardImage, e.g.
 * replacing an image with a new card.
 */
export function lockCardImage(path: string, options: CardImageLockOptions = {}): CardImageLock {
  return takeLock(path, options, 'CARD_IMAGE_WRITE_FAILED');
}

/** `missingDirectory`: the error code when the image's directory does not exist. */
function takeLock(
  path: string,
  options: CardImageLockOptions,
  missingDirectory: 'CARD_IMAGE_NOT_FOUND' | 'CARD_IMAGE_WRITE_FAILED',
): CardImageLock {
  const lockPath = cardImageLockPath(path);
  const timeoutMs = options.lockTimeoutMs ?? CARD_IMAGE_LOCK_TIMEOUT_MS;
  let result: FileLock | LockBusy;
  try {
    result = acquireFileLock(lockPath, timeoutMs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // No directory: no image either (for a reader of the image, "file not found").
    if (code === 'ENOENT' && missingDirectory === 'CARD_IMAGE_NOT_FOUND') {
      throw new CardImageError('CARD_IMAGE_NOT_FOUND', path, 'file not found', { cause: err });
    }
    throw new CardImageError('CARD_IMAGE_WRITE_FAILED', path, `cannot create the lock file ${lockPath} (${code ?? (err as Error).message})`, {
      cause: err,
    });
  }
  if (!isFileLock(result)) throw lockedError(path, lockPath, result, timeoutMs);
  const lock = result;
  return { path, lockPath, release: () => lock.release() };
}

const isoTime = v.pipe(
  v.string('expected an ISO date-time string'),
  v.check((t) => !Number.isNaN(Date.parse(t)), 'expected an ISO date-time string'),
);

/** The fields of an image around its state; `format` and `version` are checked before (their own error codes). */
const imageSchema = strictObject(
  {
    format: v.literal(CARD_IMAGE_FORMAT),
    version: v.literal(CARD_IMAGE_VERSION),
    created: isoTime,
    saved: isoTime,
    /** Spec version of the SSSE (from EF05 tag 03), or null for a card without one. */
    spec: v.nullable(v.picklist(['2.00', '3.00'], 'expected "2.00", "3.00" or null')),
    transmission: v.picklist(['T=0', 'T=1'], 'expected "T=0" or "T=1"'),
    extendedLength: v.boolean('expected true or false'),
    /** Checked on its own (checkState), its problems named below `state`. */
    state: v.unknown(),
  },
  { notObject: () => 'expected an object', unknownField: () => 'unknown field', missing: 'is required' },
);

/** A card image file's content (metadata and the card state). */
export type CardImage = Omit<v.InferOutput<typeof imageSchema>, 'state'> & { state: CardState };

/** Card options an image keeps besides the state. */
type ImageCardOptions = Pick<SimulatedCardOptions, 'transmission' | 'extendedLength'>;

/** The image's own protocol, for cards opened to run with another one (OpenCardImageOptions). */
const imageTransmission = new WeakMap<SimulatedCard, TransmissionProtocol>();

/** When each card loaded from or saved to an image was first created (kept across saves). */
const createdAt = new WeakMap<SimulatedCard, string>();

function imageOf(card: SimulatedCard, state: CardState, created: string, transmission = card.transmission): CardImage {
  return {
    format: CARD_IMAGE_FORMAT,
    version: CARD_IMAGE_VERSION,
    created,
    saved: new Date().toISOString(),
    spec: sscSpecOf(card.tree),
    transmission,
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
  writeImage(path, imageOf(card, card.exportState(), created, imageTransmission.get(card)));
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
function readImageFile(path: string): CheckedImage {
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
    throw new CardImageError('CARD_IMAGE_CORRUPT', path, `not valid JSON, truncated or damaged (${jsonSyntaxProblem(text, err)})`, {
      cause: err,
    });
  }
  return checkImage(path, parsed);
}

function invalid(path: string, field: string, problem: string, kind: ImageFormatError['kind'] = 'value'): never {
  const formatError = new ImageFormatError(field, problem, { kind, file: path });
  throw new CardImageError('CARD_IMAGE_INVALID', path, `field ${field}: ${problem}`, { cause: formatError });
}

/** A checked image (version 2 form), the version its file holds, and the card tree of its state. */
interface CheckedImage {
  image: CardImage;
  fileVersion: number;
  tree: MasterFile;
}

function checkImage(path: string, value: unknown): CheckedImage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CardImageError('CARD_IMAGE_INVALID', path, 'not a card image (expected a JSON object)');
  }
  const o = value as Record<string, unknown>;
  if (o['format'] !== CARD_IMAGE_FORMAT) {
    throw new CardImageError('CARD_IMAGE_INVALID', path, `not an sscard card image (expected format "${CARD_IMAGE_FORMAT}")`);
  }
  const fileVersion = o['version'];
  if (!READABLE_IMAGE_VERSIONS.includes(fileVersion)) {
    const shown = typeof fileVersion === 'number' ? String(fileVersion) : kindOf(fileVersion);
    throw new CardImageError(
      'CARD_IMAGE_VERSION',
      path,
      `version ${shown} is not supported (this build reads version ${CARD_IMAGE_VERSION} and migrates version 1)`,
    );
  }
  const rawState = o['state'];
  if (rawState !== null && typeof rawState === 'object' && !Array.isArray(rawState)) {
    const stateVersion = (rawState as Record<string, unknown>)['version'];
    if (stateVersion !== fileVersion) {
      const shown = typeof stateVersion === 'number' ? String(stateVersion) : kindOf(stateVersion);
      invalid(path, 'state.version', `is ${shown}, but a version ${fileVersion} image holds a version ${fileVersion} state`);
    }
  }
  // The image in its version 2 form: a migrated state is checked as the version 2 state it becomes.
  const result = validate(imageSchema, { ...o, version: CARD_IMAGE_VERSION });
  if (!result.ok) {
    const { keys, kind, message } = result.problem;
    invalid(path, fieldPath(keys), message, kind);
  }
  const state = inState(path, () => checkState(result.value.state));
  const tree = inState(path, () => treeOf(state));
  const image: CardImage = { ...result.value, state };
  const actualSpec = sscSpecOf(tree);
  if (actualSpec !== image.spec) {
    invalid(path, 'spec', `says ${JSON.stringify(image.spec)}, but the card's EF05 holds ${JSON.stringify(actualSpec)}`);
  }
  return { image, fileVersion: fileVersion as number, tree };
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

function cardFromImage(
  { image, tree }: CheckedImage,
  hooks: Pick<SimulatedCardOptions, 'onDurableChange' | 'logger' | 'random' | 'powered' | 'transmission'>,
): SimulatedCard {
  const options: ImageCardOptions = { transmission: image.transmission, extendedLength: image.extendedLength };
  const card = new SimulatedCard({ ...options, ...hooks, tree });
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
  return cardFromImage(readImageFile(path), options);
}

export interface OpenCardImageOptions extends LoadCardImageOptions, CardImageLockOptions {
  /**
   * Run the card with this transmission protocol instead of the image's (a T=1 card served as T=0
   * for one run). The image keeps its own protocol: saves write the image's, not this one.
   */
  transmission?: TransmissionProtocol;
}

/** The lock of each card opened with openCardImage and not closed yet. */
const openLocks = new WeakMap<SimulatedCard, CardImageLock>();

/**
 * A card bound to its image file: every durable change (a PIN try spent or restored, a record
 * written, a key counter moved) is saved to `path` atomically before the card answers the
 * command. If saving fails the card answers 6581 and keeps its last saved state. A version 1
 * file is rewritten as version 2 when it is opened (CARD_IMAGE_WRITE_FAILED if that fails).
 *
 * The image's exclusive lock is taken before the file is read (waiting up to `lockTimeoutMs`,
 * CARD_IMAGE_LOCKED after that) and held until closeCardImage(card), or at the latest until the
 * process exits.
 */
export function openCardImage(path: string, options: OpenCardImageOptions = {}): SimulatedCard {
  const { lockTimeoutMs, ...cardOptions } = options;
  const lock = takeLock(path, lockTimeoutMs === undefined ? {} : { lockTimeoutMs }, 'CARD_IMAGE_NOT_FOUND');
  try {
    const checked = readImageFile(path);
    const { image, fileVersion } = checked;
    // Set once the card exists; the change listener below reads it, so it is not a const (the
    // listener would then meet it in its temporal dead zone instead of the check below).
    let card: SimulatedCard | undefined = undefined;
    const created = image.created;
    card = cardFromImage(checked, {
      ...cardOptions,
      onDurableChange: (state) => {
        // The card only reports changes after construction, so `card` is always set here; failing
        // loudly (the card answers 6581) is still better than dropping a change.
        if (card === undefined) throw new CardImageError('CARD_IMAGE_WRITE_FAILED', path, 'change reported before the card existed');
        // Without the lock another process may be working on the file: a change is refused (6581).
        if (!openLocks.has(card)) throw new CardImageError('CARD_IMAGE_CLOSED', path, 'the card was closed; its changes are no longer saved');
        writeImage(path, imageOf(card, state, created, image.transmission));
      },
    });
    // A migrated version 1 file still holds initial PINs in clear: replace it now.
    if (fileVersion !== CARD_IMAGE_VERSION) writeImage(path, imageOf(card, card.exportState(), created, image.transmission));
    openLocks.set(card, lock);
    imageTransmission.set(card, image.transmission);
    return card;
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * Ends the binding of a card from openCardImage: the card is powered off and the image's lock
 * released, so another process may open it. The card keeps working in memory, but a change it
 * would have to save answers 6581. Closing twice, or a card not from openCardImage, does nothing.
 */
export function closeCardImage(card: SimulatedCard): void {
  const lock = openLocks.get(card);
  if (lock === undefined) return;
  openLocks.delete(card);
  if (card.powered) card.powerOff();
  lock.release();
}
