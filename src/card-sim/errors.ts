import { SscardError } from '../apdu/index.js';

/**
 * A card tree that cannot exist: duplicate FIDs or SFIs among siblings, a record longer than its
 * file allows, a key of the wrong size, ... Thrown while a tree is being built, never by the OS.
 */
export class CardTreeError extends SscardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CARD_TREE_INVALID', message, options);
  }
}

/**
 * A card state (the JSON form of a card image) that does not validate. `field` is the path of the
 * offending field, e.g. `mf.children[0].records[3]`; the message names it too.
 */
export class ImageFormatError extends SscardError {
  readonly field: string;

  constructor(field: string, problem: string, options?: { cause?: unknown }) {
    super('CARD_IMAGE_INVALID', `card image field ${field}: ${problem}`, options);
    this.field = field;
  }
}

/** Bytes that are not a well-formed ISO 7816-3 answer to reset. */
export class AtrParseError extends SscardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ATR_INVALID', message, options);
  }
}

/** Card options that do not fit together (an ATR that does not offer the card's protocol, ...). */
export class CardConfigError extends SscardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CARD_CONFIG_INVALID', message, options);
  }
}
