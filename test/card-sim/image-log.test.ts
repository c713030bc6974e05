import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CardImageError,
  MAX_IMAGE_LOG_BYTES,
  closeCardImage,
  openCardImage,
  readCardImage,
  type SimulatedCard,
} from '../../src/card-sim/index.js';
import { sw } from '../support/card-exchange.js';
import { expectThrowsClass } from '../support/throws.js';
import { tempDirPerTest } from '../support/temp-dir.js';
import { SELECT_SSSE, appTries, openSampleImage, saveSampleImage } from '../support/card-image.js';

// A card opened from its image writes a PIN try as one sealed append to `<image>.log` (the
// write-ahead log), not as a rewrite of the image; readers apply the log; closing folds it in.

const WRONG = '0020000003999999';
const RIGHT = '0020000003123456';

const tmp = tempDirPerTest('sscard-image-log-');

function openedCard(): { path: string; card: SimulatedCard } {
  const path = join(tmp.path, 'card.json');
  return { path, card: openSampleImage(path) };
}

/** The image and its log as a crash leaves them: copied aside while the card is still open. */
function crashCopy(path: string): string {
  const copy = join(tmp.path, 'crashed.json');
  copyFileSync(path, copy);
  copyFileSync(`${path}.log`, `${copy}.log`);
  return copy;
}

describe('the write-ahead log of an opened image', () => {
  it('takes each try as an append, leaves the image as it was, and is what readers see', () => {
    const { path, card } = openedCard();
    const image = readFileSync(path, 'utf8');
    expect(sw(card, WRONG)).toBe('63C2');
    expect(sw(card, WRONG)).toBe('63C1');
    expect(readFileSync(path, 'utf8')).toBe(image);
    const log = readFileSync(`${path}.log`, 'utf8');
    expect(log.trim().split('\n')).toHaveLength(2);
    // Sealed: neither the counter nor the PIN's name is in clear.
    expect(log).not.toMatch(/triesLeft|pin-tries|"app"/);
    expect(appTries(readCardImage(path).state)).toBe(1);
    expect(sw(card, RIGHT)).toBe('9000');
    expect(appTries(readCardImage(path).state)).toBe(3);
    closeCardImage(card);
    expect(existsSync(`${path}.log`)).toBe(false);
    expect(readFileSync(path, 'utf8')).not.toBe(image);
    expect(appTries(readCardImage(path).state)).toBe(3);
  });

  it('is applied after a crash, folded into the image at the next open, and its unfinished last line ignored', () => {
    const { path, card } = openedCard();
    expect(sw(card, WRONG)).toBe('63C2');
    expect(sw(card, WRONG)).toBe('63C1');
    const copy = crashCopy(path);
    closeCardImage(card);
    // An append cut short by the crash (the card had not answered it): not a change.
    writeFileSync(`${copy}.log`, `${readFileSync(`${copy}.log`, 'utf8')}{"image":"`);
    expect(appTries(readCardImage(copy).state)).toBe(1);
    const reopened = openCardImage(copy, { powered: true });
    expect(existsSync(`${copy}.log`)).toBe(false);
    expect(sw(reopened, SELECT_SSSE)).toBe('9000');
    expect(sw(reopened, '0020000000')).toBe('63C1');
    closeCardImage(reopened);
    expect(appTries(readCardImage(copy).state)).toBe(1);
  });

  it('is refused like an edited image when a record is changed, dropped or moved', () => {
    const { path, card } = openedCard();
    for (let i = 0; i < 3; i++) expect(sw(card, i % 2 === 0 ? WRONG : RIGHT)).toMatch(/^(63C2|9000)$/);
    const copy = crashCopy(path);
    closeCardImage(card);
    const lines = readFileSync(`${copy}.log`, 'utf8').trim().split('\n');
    const tampered = (log: string): CardImageError => {
      writeFileSync(`${copy}.log`, log);
      return expectThrowsClass(() => readCardImage(copy), CardImageError, { code: 'CARD_IMAGE_TAMPERED' });
    };
    const record = JSON.parse(lines[0] as string) as { data: string };
    const flipped = `${record.data.startsWith('A') ? 'B' : 'A'}${record.data.slice(1)}`;
    tampered(`${JSON.stringify({ ...record, data: flipped })}\n${lines.slice(1).join('\n')}\n`);
    tampered(`${lines.slice(1).join('\n')}\n`);
    tampered(`${[lines[1], lines[0], lines[2]].join('\n')}\n`);
    expect(tampered('not a record\n').message).toContain(`${copy}.log`);
    // A field the log does not have, beside the seal or in it, is an edit too.
    const [first, ...rest] = lines as [string, ...string[]];
    const line = JSON.parse(first) as { seal: object };
    tampered(`${JSON.stringify({ ...line, note: 1 })}\n${rest.join('\n')}\n`);
    tampered(`${JSON.stringify({ ...line, seal: { ...line.seal, note: 1 } })}\n${rest.join('\n')}\n`);
    // Put back as written, it reads again.
    writeFileSync(`${copy}.log`, `${lines.join('\n')}\n`);
    expect(appTries(readCardImage(copy).state)).toBe(2);
  });

  it('a log too large or not a file is refused by name before it is read, and nothing is written', () => {
    const path = join(tmp.path, 'card.json');
    saveSampleImage(path, 'zhang-wei');
    const image = readFileSync(path, 'utf8');
    writeFileSync(`${path}.log`, 'x'.repeat(MAX_IMAGE_LOG_BYTES + 1));
    const big = expectThrowsClass(() => openCardImage(path), CardImageError, { code: 'CARD_IMAGE_INVALID' });
    expect(big.message).toBe(
      `card image ${path}: its log ${path}.log is ${MAX_IMAGE_LOG_BYTES + 1} bytes, more than a log holds (at most ${MAX_IMAGE_LOG_BYTES})`,
    );
    expect(readFileSync(`${path}.log`, 'utf8')).toHaveLength(MAX_IMAGE_LOG_BYTES + 1);
    rmSync(`${path}.log`);
    mkdirSync(`${path}.log`);
    expect(expectThrowsClass(() => readCardImage(path), CardImageError).message).toMatch(
      /its log .* (is not a regular file|cannot be read)/,
    );
    expect(readFileSync(path, 'utf8')).toBe(image);
  });

  it('does not follow its image once the image is rewritten: records of an older image are skipped', () => {
    const { path, card } = openedCard();
    expect(sw(card, WRONG)).toBe('63C2');
    const log = readFileSync(`${path}.log`, 'utf8');
    closeCardImage(card);
    // A crash between a compaction's image write and the log's truncation leaves such a log.
    writeFileSync(`${path}.log`, log);
    expect(appTries(readCardImage(path).state)).toBe(2);
    const again = openCardImage(path, { powered: true });
    expect(sw(again, SELECT_SSSE)).toBe('9000');
    expect(sw(again, '0020000000')).toBe('63C2');
    closeCardImage(again);
  });
});
