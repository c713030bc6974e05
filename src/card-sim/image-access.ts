import type { TransmissionProtocol } from './card.js';
import type { MasterFile } from './fs/nodes.js';
import { CardImageError } from './image-errors.js';
import { writeFileAtomicSync } from './image-file.js';
import { CARD_IMAGE_FORMAT, CARD_IMAGE_VERSION, parseImage, readImageText, sealedImageText } from './image-format.js';
import type { CardImage, CheckedImage } from './image-format.js';
import { ImageKey, imageKeyOf, resolveImageKey } from './image-key.js';
import { realImagePath } from './image-lock.js';
import { replayImageLog } from './image-log.js';
import { sscSpecOf } from './profiles/ssc-inspect.js';
import { exportState, importState } from './state/index.js';
import type { CardState } from './state/index.js';

/*
 * Reading and checking a card image file (with its write-ahead log applied), and writing a sealed
 * one: the part of image.ts that needs no card OS, so that a command that only shows an image
 * (`sscard card show`) or changes one of its fields (`sscard card set`) loads neither the command
 * handlers nor the card itself. image.ts re-exports what is public here.
 */

/** The environment variable that makes every reader refuse images from before sealing. */
export const REFUSE_UNSEALED_ENV = 'SSCARD_REFUSE_UNSEALED';

/** How a caller picks the image key and the treatment of images from before sealing. */
export interface CardImageKeyOptions {
  /**
   * The image key (32 bytes, or an ImageKey). Default: `SSCARD_IMAGE_KEY`, else the per-user key
   * file, created with a fresh key the first time an image is sealed (see resolveImageKey).
   */
  imageKey?: Uint8Array | ImageKey;
  /**
   * An image from before sealing: 'seal' reads it (openCardImage seals it), 'refuse' refuses it
   * (CARD_IMAGE_UNSEALED). Default 'refuse' when SSCARD_REFUSE_UNSEALED is 1 or true, else 'seal'.
   */
  unsealed?: 'seal' | 'refuse';
}

function refusesUnsealed(options: CardImageKeyOptions): boolean {
  if (options.unsealed !== undefined) return options.unsealed === 'refuse';
  return /^(1|true|yes)$/i.test(process.env[REFUSE_UNSEALED_ENV] ?? '');
}

/** The key to read with: the caller's, else this machine's (never created just to read). */
function readingKey(options: CardImageKeyOptions): () => ImageKey | undefined {
  return () => (options.imageKey === undefined ? resolveImageKey() : imageKeyOf(options.imageKey));
}

/** The key to seal with: the caller's, else this machine's, created when there is none yet. */
export function sealingKey(options: CardImageKeyOptions): ImageKey {
  if (options.imageKey !== undefined) return imageKeyOf(options.imageKey);
  return resolveImageKey({ create: true }) as ImageKey;
}

/** The key to save an image with that was just read: the one that opened it, or a sealing key for an unsealed one. */
export function sealingKeyOf(options: CardImageKeyOptions, readSealed: boolean): ImageKey {
  return readSealed ? (readingKey(options)() as ImageKey) : sealingKey(options);
}

/**
 * Seals `image` and writes it to `realPath` (a path from realImagePath) atomically. `path` is
 * the name the caller gave, for the error.
 */
export function writeSealedImage(path: string, realPath: string, image: CardImage, key: ImageKey): string {
  const text = sealedImageText(image, key);
  try {
    writeFileAtomicSync(realPath, text);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CardImageError('CARD_IMAGE_WRITE_FAILED', path, `cannot be written (${reason})`, { cause: err });
  }
  return sealTagOf(text) as string;
}

/** Card options an image keeps besides its state. */
export interface ImageCardSettings {
  /** When the card was first created (ISO time; kept across saves). */
  created: string;
  transmission: TransmissionProtocol;
  extendedLength: boolean;
}

/** The image of a card's tree and state, saved at this instant. */
export function imageOfTree(tree: MasterFile, state: CardState, settings: ImageCardSettings): CardImage {
  return {
    format: CARD_IMAGE_FORMAT,
    version: CARD_IMAGE_VERSION,
    created: settings.created,
    saved: new Date().toISOString(),
    spec: sscSpecOf(tree),
    transmission: settings.transmission,
    extendedLength: settings.extendedLength,
    state,
  };
}

/**
 * Saves a card tree made just now (a personalized card) as a new sealed image, as saveCardImage
 * saves a card over that tree: without making the card (its command handlers are not loaded by
 * `sscard card new`).
 */
export function saveNewImage(
  path: string,
  tree: MasterFile,
  options: Pick<CardImageKeyOptions, 'imageKey'> & { transmission?: TransmissionProtocol } = {},
): void {
  const image = imageOfTree(tree, exportState(tree), {
    created: new Date().toISOString(),
    transmission: options.transmission ?? 'T=1',
    extendedLength: false,
  });
  writeSealedImage(path, realImagePath(path), image, sealingKey(options));
}

/** The GCM tag of a sealed image's text (what its write-ahead log records follow), if sealed. */
function sealTagOf(text: string): string | undefined {
  // The seal is the one object with a "tag" member; a string value cannot hold `"tag": "` unescaped.
  return /"tag": "([0-9a-f]{32})"/.exec(text)?.[1];
}

/**
 * Reads and checks an image file, including the card state inside it. An image from before
 * sealing comes back in the version 3 form (the file itself is not changed).
 */
export function readCardImage(path: string, options: CardImageKeyOptions = {}): CardImage {
  return readImageFile(path, options).image;
}

/** The checked image read from `path`. */
export function readImageFile(path: string, options: CardImageKeyOptions): CheckedImage {
  return readImageWithLog(path, options).checked;
}

/**
 * The image and the changes of its write-ahead log (image-log.ts) applied to it; `replayed` says
 * how many, `tag` is the image's seal tag (undefined for an image from before sealing).
 */
export function readImageWithLog(
  path: string,
  options: CardImageKeyOptions,
): { checked: CheckedImage; tag: string | undefined; replayed: number } {
  const realPath = realImagePath(path);
  const text = readImageText(realPath);
  const key = readingKey(options);
  const checked = parseImage(path, text, { key, refuseUnsealed: refusesUnsealed(options) });
  const tag = checked.sealed ? sealTagOf(text) : undefined;
  if (tag === undefined) return { checked, tag, replayed: 0 };
  const replayed = replayImageLog(path, realPath, tag, key(), checked.image.state);
  // The tree was built from the image alone: build it again with the log's counters.
  if (replayed > 0) checked.tree = importState(checked.image.state);
  return { checked, tag, replayed };
}
