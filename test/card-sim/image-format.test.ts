import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CardImageError, type ImageKey } from '../../src/card-sim/index.js';
import {
  CARD_IMAGE_FORMAT,
  MAX_CARD_IMAGE_BYTES,
  parseImage,
  readImageText,
  type ReadImagePolicy,
} from '../../src/card-sim/image-format.js';
import { sampleImagePerTest } from '../support/card-image.js';
import { expectThrowsClass } from '../support/throws.js';
import { openImageFile, sealedStateText, testImageKey } from './image-fixtures.js';

/*
 * The image file format on its own: reading the file's bytes (size limits, what the system says),
 * the envelope's checks before and after the seal is opened, and what each refusal says. The
 * image tests (image.test.ts, image-seal.test.ts) go through loadCardImage and openCardImage.
 */

const tmp = sampleImagePerTest('sscard-format-', 'wang-yan');
const KEY = testImageKey(3);
const withKey: ReadImagePolicy = { key: () => KEY, refuseUnsealed: false };

function refusal(fn: () => unknown): CardImageError {
  return expectThrowsClass(fn, CardImageError);
}

function parsed(text: string, policy: ReadImagePolicy = withKey): CardImageError {
  return refusal(() => parseImage('card.json', text, policy));
}

/** The sample image's clear header, and a sealed file of it holding `plaintext` as its state. */
function sealedFile(plaintext: string, key: ImageKey = KEY): string {
  return sealedStateText(openImageFile(tmp.image), plaintext, key);
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('reading an image file', () => {
  it('says whether the file is missing or cannot be read, with what the system said', () => {
    const missing = refusal(() => readImageText(join(tmp.path, 'none.json')));
    expect(missing.code).toBe('CARD_IMAGE_NOT_FOUND');
    expect((missing.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    const inFile = join(tmp.image, 'card.json');
    const notDir = refusal(() => readImageText(inFile));
    expect(notDir.code).toBe('CARD_IMAGE_UNREADABLE');
    expect(notDir.message).toBe(`card image ${inFile}: cannot be read (ENOTDIR)`);
    expect((notDir.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    const dir = join(tmp.path, 'a-directory');
    mkdirSync(dir);
    const isDir = refusal(() => readImageText(dir));
    expect(isDir.code).toBe('CARD_IMAGE_UNREADABLE');
    expect(isDir.message).toBe(`card image ${dir}: cannot be read (EISDIR)`);
    expect((isDir.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
  });

  it('reads up to 1 MiB, refuses a byte more, and a file that grows while read', () => {
    const big = join(tmp.path, 'big.json');
    writeFileSync(big, ' '.repeat(MAX_CARD_IMAGE_BYTES));
    expect(readImageText(big)).toHaveLength(MAX_CARD_IMAGE_BYTES);
    writeFileSync(big, ' '.repeat(MAX_CARD_IMAGE_BYTES + 1));
    const tooBig = refusal(() => readImageText(big));
    expect(tooBig.code).toBe('CARD_IMAGE_INVALID');
    expect(tooBig.message).toBe(
      `card image ${big}: is ${MAX_CARD_IMAGE_BYTES + 1} bytes, more than a card image holds (at most ${MAX_CARD_IMAGE_BYTES})`,
    );
    // A device reports size 0 and never ends: what a file growing under the reader looks like.
    const grows = refusal(() => readImageText('/dev/zero'));
    expect(grows.code).toBe('CARD_IMAGE_INVALID');
    expect(grows.message).toBe(
      'card image /dev/zero: grew past 0 bytes while being read (not a card image sscard wrote)',
    );
  });

  it('leaves no file open, whether the read succeeds or fails', () => {
    const before = openFds();
    for (let i = 0; i < 5; i++) {
      readImageText(tmp.image);
      expect(() => readImageText('/dev/zero')).toThrow(CardImageError);
      expect(() => readImageText(tmp.path)).toThrow(CardImageError);
    }
    expect(openFds()).toBe(before);
  });
});

describe('the envelope', () => {
  it('an empty or blank file is empty', () => {
    for (const text of ['', ' \n\t '])
      expect(parsed(text)).toMatchObject({
        code: 'CARD_IMAGE_CORRUPT',
        message: 'card image card.json: file is empty',
      });
  });

  it('JSON that is not an object is not a card image', () => {
    for (const text of ['null', '[]', '[{"format":"sscard-card-image"}]', '3', '"sscard-card-image"', 'true'])
      expect(parsed(text)).toMatchObject({
        code: 'CARD_IMAGE_INVALID',
        message: 'card image card.json: not a card image (expected a JSON object)',
      });
  });

  it('a version that is not a number is named by its kind', () => {
    const text = JSON.stringify({ format: CARD_IMAGE_FORMAT, version: '3' });
    expect(parsed(text).message).toBe(
      'card image card.json: version a string of 1 character is not supported (this build reads version 3 and migrates versions 1 and 2)',
    );
  });

  it('names the field and the problem: a seal that is not an object, an unknown field, a key id or sealed state of the wrong size', () => {
    const file = JSON.parse(readFileSync(tmp.image, 'utf8')) as Record<string, unknown> & {
      seal: Record<string, string>;
      sealedState: string;
    };
    const edit = (change: (f: typeof file) => void) => {
      const copy = structuredClone(file);
      change(copy);
      return parsed(JSON.stringify(copy));
    };
    expect(edit((f) => (f.seal = 'sealed' as never)).message).toBe(
      'card image card.json: field seal: expected an object',
    );
    expect(edit((f) => (f['note'] = 'x')).message).toBe('card image card.json: field note: unknown field');
    const shortId = edit((f) => (f.seal.keyId = f.seal.keyId!.slice(0, 14)));
    expect(shortId.code).toBe('CARD_IMAGE_INVALID');
    expect(shortId.message).toBe('card image card.json: field seal.keyId: expected 8 bytes of lowercase hex');
    const cut = edit((f) => (f.sealedState = f.sealedState.slice(0, -1)));
    expect(cut.message).toBe('card image card.json: field sealedState: expected base64');
  });
});

describe('the sealed state', () => {
  it('with no image key here, says so and where the key file would be', () => {
    const err = parsed(readFileSync(tmp.image, 'utf8'), { key: () => undefined, refuseUnsealed: false });
    expect(err.code).toBe('CARD_IMAGE_OTHER_KEY');
    expect(err.message).toMatch(
      /: sealed with another key \(key id [0-9a-f]{16}; there is no image key here \(set SSCARD_IMAGE_KEY, or put the key file at .+image\.key\)\)$/,
    );
  });

  it('sealed state that is not JSON is corrupt (only the key holder could seal it)', () => {
    expect(parsed(sealedFile('{"version":'))).toMatchObject({
      code: 'CARD_IMAGE_CORRUPT',
      message: 'card image card.json: its sealed state is not JSON',
    });
  });

  it('sealed state that is not an object, or whose version is not a number, is named by its kind', () => {
    expect(parsed(sealedFile('null')).message).toBe(
      'card image card.json: field state: is null, but a card state is an object',
    );
    expect(parsed(sealedFile('"text"')).message).toBe(
      'card image card.json: field state: is a string of 4 characters, but a card state is an object',
    );
    expect(parsed(sealedFile('[]')).message).toBe(
      'card image card.json: field state: is an array, but a card state is an object',
    );
    expect(parsed(sealedFile('{}')).message).toBe(
      'card image card.json: field state.version: is missing, but a version 3 image holds a version 2 state',
    );
    expect(parsed(sealedFile('{"version":"3"}')).message).toBe(
      'card image card.json: field state.version: is a string of 1 character, but a version 3 image holds a version 2 state',
    );
  });

  it('an image from before sealing whose state is null is refused as invalid', () => {
    const { state: _state, ...header } = openImageFile(tmp.image);
    const err = parsed(JSON.stringify({ ...header, version: 2, state: null }));
    expect(err.code).toBe('CARD_IMAGE_INVALID');
    expect(err.message).toMatch(/^card image card\.json: field state/);
  });
});
