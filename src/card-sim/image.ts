import { SimulatedCard } from './card.js';
import type { SimulatedCardOptions, TransmissionProtocol } from './card.js';
import { CardImageError } from './image-errors.js';
import type { CardImage, CheckedImage } from './image-format.js';
import { realImagePath, takeImageLock } from './image-lock.js';
import type { CardImageLock, CardImageLockOptions } from './image-lock.js';
import { COMPACT_EVERY, ImageLog } from './image-log.js';
import type { CardState } from './state/index.js';
import {
  imageOfTree,
  readImageFile,
  readImageWithLog,
  sealingKey,
  sealingKeyOf,
  writeSealedImage,
} from './image-access.js';
import type { CardImageKeyOptions } from './image-access.js';

/*
 * Card image files: one JSON document per card, its card state sealed (encrypted and
 * authenticated) under the image key, which lives outside every image (image-format.ts for the
 * format, image-seal.ts for the sealing, image-key.ts for where the key comes from).
 *
 * A file that is missing, unreadable, not JSON, of another format or version, edited outside
 * sscard, sealed under another key, or with any bad field is a CardImageError naming the file and
 * the problem; it is never replaced by a fresh card, and nothing is written.
 *
 * Images from before sealing (versions 1 and 2, the state in clear; version 1 with clear initial
 * PINs) are migrated when read: readCardImage and loadCardImage return them as version 3 without
 * touching the file; openCardImage, which binds the card to the file, seals the file at once if it
 * passes every check, and says so through `onNotice`. With SSCARD_REFUSE_UNSEALED=1 (or
 * `unsealed: 'refuse'`) such an image is refused instead (CARD_IMAGE_UNSEALED): once a lab's images
 * are all sealed, an unsealed file can only be one somebody wrote by hand.
 *
 * Paths: an image path that is a symbolic link names its target; the lock sits next to the target
 * and saves replace the target (image-lock.ts), so every alias of one image takes turns.
 *
 * Locking: openCardImage takes the exclusive lock `<image>.lock` (see image-file.ts) before it
 * reads the file and keeps it until closeCardImage (or the end of the process), so processes that
 * share an image take turns: load, act, save, release. readCardImage and loadCardImage take no
 * lock: saves are atomic renames, so a reader sees one whole image, at worst a moment old.
 */

/** Card options an image keeps besides the state. */
type ImageCardOptions = Pick<SimulatedCardOptions, 'transmission' | 'extendedLength'>;

/** The image's own protocol, for cards opened to run with another one (OpenCardImageOptions). */
const imageTransmission = new WeakMap<SimulatedCard, TransmissionProtocol>();

/** When each card loaded from or saved to an image was first created (kept across saves). */
const createdAt = new WeakMap<SimulatedCard, string>();

function imageOf(card: SimulatedCard, state: CardState, created: string, transmission = card.transmission): CardImage {
  return imageOfTree(card.tree, state, { created, transmission, extendedLength: card.extendedLength });
}

/**
 * Saves `card` to `path`, sealed, atomically: temporary file in the same directory, fsync,
 * rename, fsync of the directory. A crash leaves either the previous image or this one.
 */
export function saveCardImage(
  path: string,
  card: SimulatedCard,
  options: Pick<CardImageKeyOptions, 'imageKey'> = {},
): void {
  const created = createdAt.get(card) ?? new Date().toISOString();
  writeSealedImage(
    path,
    realImagePath(path),
    imageOf(card, card.exportState(), created, imageTransmission.get(card)),
    sealingKey(options),
  );
  createdAt.set(card, created);
}

function cardFromImage(
  { image, tree }: CheckedImage,
  hooks: Pick<
    SimulatedCardOptions,
    'onDurableChange' | 'onDurableDelta' | 'logger' | 'random' | 'powered' | 'transmission'
  >,
): SimulatedCard {
  const options: ImageCardOptions = { transmission: image.transmission, extendedLength: image.extendedLength };
  const card = new SimulatedCard({ ...options, ...hooks, tree });
  createdAt.set(card, image.created);
  return card;
}

export interface LoadCardImageOptions extends CardImageKeyOptions {
  logger?: SimulatedCardOptions['logger'];
  random?: SimulatedCardOptions['random'];
  /** Start powered (default false). */
  powered?: boolean;
}

/** A card from an image file, detached from it: changes stay in memory until saveCardImage. */
export function loadCardImage(path: string, options: LoadCardImageOptions = {}): SimulatedCard {
  const { imageKey, unsealed, ...hooks } = options;
  return cardFromImage(readImageFile(path, options), hooks);
}

export interface OpenCardImageOptions extends LoadCardImageOptions, CardImageLockOptions {
  /**
   * Run the card with this transmission protocol instead of the image's (a T=1 card served as T=0
   * for one run). The image keeps its own protocol: saves write the image's, not this one.
   */
  transmission?: TransmissionProtocol;
  /**
   * Told, in one line, when an image from before sealing was sealed on this open. Default:
   * process.emitWarning (so the change is never silent).
   */
  onNotice?: (message: string) => void;
}

/** The lock of each card opened with openCardImage and not closed yet. */
const openLocks = new WeakMap<SimulatedCard, CardImageLock>();

/** The write-ahead log of each card opened with openCardImage, and how to fold it into the image. */
const openLogs = new WeakMap<SimulatedCard, { log: ImageLog; compact: (card: SimulatedCard) => void }>();

function defaultNotice(message: string): void {
  process.emitWarning(message, { code: 'SSCARD_IMAGE_SEALED' });
}

/**
 * A card bound to its image file: every durable change (a PIN try spent or restored, a record
 * written, a key counter moved) is sealed and saved to `path` atomically before the card answers
 * the command. If saving fails the card answers 6581 and keeps its last saved state. An image from
 * before sealing that passes every check is sealed when it is opened (CARD_IMAGE_WRITE_FAILED if
 * that fails), and `onNotice` says so; see CardImageKeyOptions.unsealed for refusing it instead.
 *
 * The image's exclusive lock is taken before the file is read (waiting up to `lockTimeoutMs`,
 * CARD_IMAGE_LOCKED after that) and held until closeCardImage(card), or at the latest until the
 * process exits.
 */
export function openCardImage(path: string, options: OpenCardImageOptions = {}): SimulatedCard {
  const { lockTimeoutMs, imageKey, unsealed, onNotice, ...cardOptions } = options;
  const lock = takeImageLock(path, lockTimeoutMs === undefined ? {} : { lockTimeoutMs }, 'CARD_IMAGE_NOT_FOUND');
  try {
    const realPath = realImagePath(path);
    const { checked, tag: readTag, replayed } = readImageWithLog(path, options);
    const { image } = checked;
    // Read with this key (or a new one for an image being sealed now): every save uses it too.
    const key = sealingKeyOf(options, checked.sealed);
    // Set once the card exists; the change listener below reads it, so it is not a const (the
    // listener would then meet it in its temporal dead zone instead of the check below).
    let card: SimulatedCard | undefined = undefined;
    let log: ImageLog | undefined = undefined;
    const created = image.created;
    const writable = (): { card: SimulatedCard; log: ImageLog } => {
      // The card only reports changes after construction, so `card` is always set here; failing
      // loudly (the card answers 6581) is still better than dropping a change.
      if (card === undefined || log === undefined)
        throw new CardImageError('CARD_IMAGE_WRITE_FAILED', path, 'change reported before the card existed');
      // Without the lock another process may be working on the file: a change is refused (6581).
      if (!openLocks.has(card))
        throw new CardImageError('CARD_IMAGE_CLOSED', path, 'the card was closed; its changes are no longer saved');
      return { card, log };
    };
    const writeImage = (c: SimulatedCard, state: CardState): string =>
      writeSealedImage(path, realPath, imageOf(c, state, created, image.transmission), key);
    card = cardFromImage(checked, {
      ...cardOptions,
      onDurableChange: (state) => {
        const open = writable();
        open.log.restart(writeImage(open.card, state));
      },
      // A counter change alone: one sealed append to the log, fsync'd, before the card answers
      // (before the comparison for a spent try); the image is rewritten once per COMPACT_EVERY.
      onDurableDelta: (delta) => {
        const open = writable();
        if (open.log.length + 1 < COMPACT_EVERY) open.log.append(delta);
        else open.log.restart(writeImage(open.card, open.card.exportState()));
      },
    });
    let tag = readTag;
    if (!checked.sealed) {
      // An image from before sealing (a version 1 one still holds initial PINs in clear): seal it now.
      tag = writeImage(card, card.exportState());
      (onNotice ?? defaultNotice)(
        `card image ${path}: was not sealed (version ${checked.fileVersion}, from before sealing); ` +
          `it passed every check and is now sealed with the image key from ${key.source}`,
      );
    } else if (replayed > 0) {
      // A log left by a card that was not closed (a crash): folded into the image now.
      tag = writeImage(card, card.exportState());
    }
    log = new ImageLog(realPath, tag as string, key);
    openLogs.set(card, { log, compact: (c) => writeImage(c, c.exportState()) });
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
  const open = openLogs.get(card);
  openLogs.delete(card);
  try {
    // Fold the log into the image, so the file stands alone again. If that write fails the log
    // stays: every reader applies it, nothing is lost.
    let folded = true;
    if (open !== undefined && open.log.length > 0) {
      try {
        open.compact(card);
      } catch {
        folded = false;
      }
    }
    open?.log.close(folded);
  } finally {
    openLocks.delete(card);
    if (card.powered) card.powerOff();
    lock.release();
  }
}
