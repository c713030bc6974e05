import { readFileSync, writeFileSync } from 'node:fs';
import { openSealedBytes, sealBytes, type Seal } from '../../src/card-sim/image-seal.js';
import { CARD_IMAGE_FORMAT, sealedImageText, type CardImage } from '../../src/card-sim/image-format.js';
import { ImageKey, resolveImageKey } from '../../src/card-sim/index.js';
import type { CardState } from '../../src/card-sim/state/index.js';
import type { EditableJson } from '../support/editable-json.js';

/*
 * Looking inside sealed card images, as only the holder of the image key can: for tests that check
 * what an image holds, and for tests that need an image in a state no card would write (a bad
 * field, an unknown field), sealed or from before sealing.
 */

/** The image's fields in clear, its state opened with `key` (default: this machine's image key). */
export function openImageFile(path: string, key: ImageKey | undefined = resolveImageKey()): CardImage {
  const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { seal: Seal; sealedState: string };
  const { seal, sealedState, ...header } = file;
  const h = header as Omit<CardImage, 'state'>;
  const opened = openSealedBytes(
    key,
    [CARD_IMAGE_FORMAT, 3, h.created, h.saved, h.spec, h.transmission, h.extendedLength],
    seal,
    sealedState,
  );
  if (!opened.ok) throw new Error(`${path}: cannot open (${opened.problem})`);
  return { ...h, state: JSON.parse(Buffer.from(opened.plaintext).toString('utf8')) as CardState };
}

/**
 * The image as it was written before sealing (version 2, the state in clear): `edit` may change it
 * first, into anything (the JSON form, unchecked).
 */
export function writeUnsealedImage(
  path: string,
  image: CardImage,
  edit: (json: EditableJson) => void = () => {},
): void {
  const json = JSON.parse(JSON.stringify({ ...image, version: 2 })) as EditableJson;
  edit(json);
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
}

/**
 * Opens the sealed image, lets `edit` change its clear form, and seals it again with the same key:
 * what the key's holder can do by hand (bypassing `card set` and its checks).
 */
export function resealImage(
  path: string,
  edit: (image: EditableJson) => void,
  key = resolveImageKey() as ImageKey,
): void {
  const image = openImageFile(path, key);
  edit(image);
  writeFileSync(path, sealedImageText(image, key));
}

/** A fixed image key for tests that need a second key besides this machine's. */
export function testImageKey(fill: number): ImageKey {
  return new ImageKey(new Uint8Array(32).fill(fill), `test key ${fill}`);
}

/**
 * The text of a sealed image whose state is `stateText` (JSON text, for states too deep for
 * JSON.stringify or not JSON at all), with the header of `image`.
 */
export function sealedStateText(image: CardImage, stateText: string, key = resolveImageKey() as ImageKey): string {
  const { state: _state, ...header } = image;
  const h = [
    CARD_IMAGE_FORMAT,
    3,
    header.created,
    header.saved,
    header.spec,
    header.transmission,
    header.extendedLength,
  ];
  const { seal, data } = sealBytes(key, h, Buffer.from(stateText, 'utf8'));
  return JSON.stringify({ ...header, version: 3, seal, sealedState: data });
}

/** Writes {@link sealedStateText} to `path`. */
export function writeSealedStateText(
  path: string,
  image: CardImage,
  stateText: string,
  key = resolveImageKey() as ImageKey,
): void {
  writeFileSync(path, sealedStateText(image, stateText, key));
}
