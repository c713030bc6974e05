import { existsSync } from 'node:fs';
import { SscardError } from '../../apdu/index.js';
// From the card-sim modules themselves, not the area's barrel: the barrel is an entry point of the
// package, and importing it would load every part of the card OS's area (the image fields of
// `card set`, the other profiles) with `card new`.
import {
  PersonalizationError,
  jsonSyntaxProblem,
  validatePersonalization,
} from '../../card-sim/profiles/personalization.js';
import type { PersonalizationDocument, ResolvedPersonalization } from '../../card-sim/profiles/personalization.js';
// The default sample from the sample people's module, not from the command's definition (which
// the action would then share a chunk with, one more module for every `card` command to load).
import { DEFAULT_SAMPLE, samplePerson } from '../../card-sim/profiles/people.js';
import { buildSscTreeFrom } from '../../card-sim/profiles/ssc-tree.js';
// The image's own modules, not image.ts: a new image is saved from its tree, without making a card
// (the card OS's command handlers are not loaded).
import { saveNewImage } from '../../card-sim/image-access.js';
import { lockCardImage } from '../../card-sim/image-lock.js';
import { CliInputError } from '../errors.js';
import { colors, printLine } from '../output.js';
import { readInputFile } from '../input-file.js';

/** Reads a personalization document from a JSON file; errors name the file. */
function readDocumentFile(file: string): unknown {
  const text = readInputFile(file);
  try {
    return JSON.parse(text);
  } catch (err) {
    // Not JSON.parse's own message: it may quote the text around the error (a PIN, a key).
    throw new CliInputError(`${file}: not valid JSON (${jsonSyntaxProblem(text, err)})`);
  }
}

export interface NewOptions {
  financial?: boolean;
  spec?: '2.00' | '3.00';
  pinTries?: number;
  from?: string;
  sample?: string;
  transmission?: 'T=0' | 'T=1';
  force?: boolean;
}

/**
 * The document `card new` personalizes: the --from file or a sample person, with the command-line
 * overrides applied. Each keeps its own `financial` (as samplePerson() gives it to the SDK) unless
 * --financial or --no-financial says otherwise; a card made non-financial drops its PAN and bank PIN.
 */
export function documentFor(opts: NewOptions): unknown {
  let doc: Record<string, unknown>;
  let what: string;
  if (opts.from !== undefined) {
    const read = readDocumentFile(opts.from);
    if (read === null || typeof read !== 'object' || Array.isArray(read)) {
      throw new CliInputError(`${opts.from}: a personalization document must be a JSON object`);
    }
    doc = read as Record<string, unknown>;
    what = opts.from;
  } else {
    doc = samplePerson(opts.sample ?? DEFAULT_SAMPLE) as PersonalizationDocument & Record<string, unknown>;
    what = `sample ${opts.sample ?? DEFAULT_SAMPLE}`;
  }
  if (opts.financial !== undefined) doc['financial'] = opts.financial;
  const card = doc['card'];
  if (doc['financial'] !== true) {
    if (card !== null && typeof card === 'object') delete (card as Record<string, unknown>)['pan'];
    delete doc['bankPin'];
  } else if (opts.financial === true && (card === null || typeof card !== 'object' || !('pan' in card))) {
    throw new CliInputError(
      `${what} has no bank PAN (card.pan); pick a financial sample or give one in a --from document`,
    );
  }
  if (opts.spec !== undefined) doc['specVersion'] = opts.spec;
  if (opts.pinTries !== undefined) {
    const pin = doc['pin'];
    doc['pin'] = { ...(pin !== null && typeof pin === 'object' ? pin : {}), tryLimit: opts.pinTries };
  }
  return doc;
}

export function cardNew(image: string, opts: NewOptions): void {
  // Replacing an image another process has open would be undone by that process's next save.
  const lock = lockCardImage(image);
  try {
    if (opts.force !== true && existsSync(image)) {
      throw new CliInputError(`${image} already exists; use --force to replace it`);
    }
    createImage(image, opts);
  } finally {
    lock.release();
  }
}

function createImage(image: string, opts: NewOptions): void {
  const resolved = saveNewCardImage(image, documentFor(opts), opts);
  const c = colors();
  printLine(
    `${c.green('created')} ${image}: ${resolved.person.name}, card ${resolved.card.number}, spec ${resolved.specVersion}` +
      `${resolved.financial ? ', financial' : ''}, PIN tries ${resolved.pin.tryLimit}`,
  );
}

/**
 * Personalizes a card from `doc` and saves it as the image `image` (the caller holds the image's
 * lock); invalid documents are errors naming the field (and the --from file).
 */
export function saveNewCardImage(
  image: string,
  doc: unknown,
  opts: Pick<NewOptions, 'from' | 'transmission'>,
): ResolvedPersonalization {
  let resolved: ResolvedPersonalization;
  try {
    resolved = validatePersonalization(doc);
  } catch (err) {
    if (err instanceof PersonalizationError && opts.from !== undefined) {
      throw new SscardError(err.code, `${opts.from}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  // The document checked above is the one built: not checked a second time.
  saveNewImage(
    image,
    buildSscTreeFrom(resolved),
    opts.transmission === undefined ? {} : { transmission: opts.transmission },
  );
  return resolved;
}
