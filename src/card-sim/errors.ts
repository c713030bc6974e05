import { SscardError, codedErrorClass } from '../apdu/index.js';
import type { FieldProblemKind } from './validation.js';

/**
 * A card tree that cannot exist: duplicate FIDs or SFIs among siblings, a record longer than its
 * file allows, a key of the wrong size, ... Thrown while a tree is being built, never by the OS.
 */
export class CardTreeError extends codedErrorClass('CARD_TREE_INVALID') {}

/** What is wrong with a field of a card image (see FieldProblemKind). */
export type ImageProblemKind = FieldProblemKind;

/**
 * A card image or card state (the JSON form of a card) that does not validate, as data: `field`
 * is the path of the offending field (e.g. `mf.children[0].records[3]`; `state.`-prefixed when
 * found inside an image file), `kind` what sort of problem it is, `problem` what is wrong, and
 * `file` the image file when there is one. The message says all of it, and never quotes the
 * field's content (an image holds PIN verifiers and keys).
 */
export class ImageFormatError extends SscardError {
  readonly field: string;
  readonly kind: ImageProblemKind;
  readonly problem: string;
  readonly file: string | undefined;

  constructor(field: string, problem: string, options?: { cause?: unknown; kind?: ImageProblemKind; file?: string }) {
    const file = options?.file;
    super(
      'CARD_IMAGE_INVALID',
      file === undefined ? `card image field ${field}: ${problem}` : `card image ${file}: field ${field}: ${problem}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.field = field;
    this.kind = options?.kind ?? 'value';
    this.problem = problem;
    this.file = file;
  }

  /** The same problem found in the image file `file`, the field below `fieldPrefix` ('state'). */
  inFile(file: string, fieldPrefix?: string): ImageFormatError {
    const field = fieldPrefix === undefined ? this.field : `${fieldPrefix}.${this.field}`;
    return new ImageFormatError(field, this.problem, { kind: this.kind, file, cause: this.cause });
  }
}

/** Bytes that are not a well-formed ISO 7816-3 answer to reset. */
export class AtrParseError extends codedErrorClass('ATR_INVALID') {}

/** Card options that do not fit together (an ATR that does not offer the card's protocol, ...). */
export class CardConfigError extends codedErrorClass('CARD_CONFIG_INVALID') {}
