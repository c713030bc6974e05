import { SscardError } from '../apdu/index.js';
import { ImageFormatError } from './errors.js';
import type { LockHolder } from './image-file.js';

export type CardImageErrorCode =
  | 'CARD_IMAGE_NOT_FOUND'
  | 'CARD_IMAGE_UNREADABLE'
  | 'CARD_IMAGE_CORRUPT'
  | 'CARD_IMAGE_VERSION'
  | 'CARD_IMAGE_INVALID'
  /** The seal does not match the contents: the file was edited outside sscard. */
  | 'CARD_IMAGE_TAMPERED'
  /** Sealed under an image key this machine does not have (or none is set up here). */
  | 'CARD_IMAGE_OTHER_KEY'
  /** An image made before sealing, while unsealed images are refused (SSCARD_REFUSE_UNSEALED). */
  | 'CARD_IMAGE_UNSEALED'
  /** A `setCardImageField` field that does not exist or a value it cannot take. */
  | 'CARD_IMAGE_FIELD'
  | 'CARD_IMAGE_WRITE_FAILED'
  | 'CARD_IMAGE_LOCKED'
  | 'CARD_IMAGE_CLOSED';

/** The process holding an image's lock, as its lock file says. */
export type CardImageLockHolder = LockHolder;

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
    options?: { cause?: unknown; holder?: CardImageLockHolder; hint?: string },
  ) {
    // A hint ends the message too (the one way messages carry the action).
    super(code, `card image ${path}: ${problem}${options?.hint === undefined ? '' : `; ${options.hint}`}`, options);
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
