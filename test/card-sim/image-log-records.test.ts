import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CardImageError,
  MAX_IMAGE_LOG_BYTES,
  applyStateDelta,
  buildSscCard,
  closeCardImage,
  openCardImage,
  readCardImage,
  resolveImageKey,
  samplePerson,
  type CardState,
  type ImageKey,
  ImageFormatError,
} from '../../src/card-sim/index.js';
import { sealBytes } from '../../src/card-sim/image-seal.js';
import { sw } from '../support/card-exchange.js';
import { expectThrowsClass } from '../support/throws.js';
import { tempDirPerTest } from '../support/temp-dir.js';
import { SELECT_SSSE, appTries, openSampleImage, saveSampleImage } from '../support/card-image.js';
import { testImageKey } from './image-fixtures.js';

// The records of an image's write-ahead log one by one: what a line must hold to be read, what a
// well-sealed record must say to be applied, and the counter change itself (applyStateDelta).
// The log's life as a card uses it is in image-log.test.ts.

const WRONG = '0020000003999999';

const tmp = tempDirPerTest('sscard-image-log-records-');

interface Line {
  image: string;
  seq: number;
  seal: { cipher: string; keyId: string; iv: string; tag: string };
  data: string;
}

/** An image with a log of one wrong try, left as a crash leaves it; its first line parsed. */
function imageWithLog(): { path: string; line: Line } {
  const path = join(tmp.path, 'card.json');
  const card = openSampleImage(path);
  expect(sw(card, WRONG)).toBe('63C2');
  const text = readFileSync(`${path}.log`, 'utf8');
  const copy = join(tmp.path, 'crashed.json');
  writeFileSync(copy, readFileSync(path));
  writeFileSync(`${copy}.log`, text);
  closeCardImage(card);
  return { path: copy, line: JSON.parse(text.split('\n')[0] as string) as Line };
}

/** A log line following the image of `like`, holding `plaintext` sealed as the log seals it. */
function sealedLine(like: Line, plaintext: string, seq = 1, key = resolveImageKey() as ImageKey): string {
  const { seal, data } = sealBytes(key, ['sscard-card-log', 1, like.image, seq], Buffer.from(plaintext, 'utf8'));
  return JSON.stringify({ image: like.image, seq, seal, data });
}

function refused(path: string, log: string, code: CardImageError['code']): string {
  writeFileSync(`${path}.log`, log);
  return expectThrowsClass(() => readCardImage(path), CardImageError, { code }).message;
}

describe('a log line', () => {
  it('is read only with every field in its place and form; anything else is an edit', () => {
    const { path, line } = imageWithLog();
    const edited = `card image ${path}: its log ${path}.log was edited outside sscard (a line is not a log record)`;
    const variants: unknown[] = [
      null,
      7,
      [line],
      { ...line, image: 1 },
      { ...line, seq: '1' },
      { ...line, seq: 1.5 },
      { ...line, data: 1 },
      { ...line, seal: null },
      { ...line, seal: 'seal' },
      { ...line, seal: { ...line.seal, keyId: 1 } },
      { ...line, seal: { ...line.seal, cipher: 'aes-128-gcm' } },
      { ...line, seal: { ...line.seal, iv: 1 } },
      { ...line, seal: { ...line.seal, iv: `${line.seal.iv}0` } },
      { ...line, seal: { ...line.seal, iv: `0${line.seal.iv}` } },
      { ...line, seal: { ...line.seal, iv: line.seal.iv.slice(1) } },
      { ...line, seal: { ...line.seal, iv: line.seal.iv.toUpperCase().replace(/[0-9]/g, 'A') } },
      { ...line, seal: { ...line.seal, iv: [line.seal.iv] } },
      { ...line, seal: { ...line.seal, tag: 1 } },
      { ...line, seal: { ...line.seal, tag: [line.seal.tag] } },
      { ...line, seal: { ...line.seal, tag: `${line.seal.tag}0` } },
      { ...line, seal: { ...line.seal, tag: `0${line.seal.tag}` } },
      { ...line, seal: { ...line.seal, tag: line.seal.tag.toUpperCase().replace(/[0-9]/g, 'A') } },
    ];
    for (const variant of variants) {
      expect(refused(path, `${JSON.stringify(variant)}\n`, 'CARD_IMAGE_TAMPERED'), JSON.stringify(variant)).toBe(
        edited,
      );
    }
    expect(refused(path, '{"image":\n', 'CARD_IMAGE_TAMPERED')).toBe(edited);
    // As written, it reads.
    writeFileSync(`${path}.log`, `${JSON.stringify(line)}\n`);
    expect(appTries(readCardImage(path).state)).toBe(2);
  });

  it('whose sealed part was changed does not match its seal', () => {
    const { path, line } = imageWithLog();
    const flipped = `${line.data.startsWith('A') ? 'B' : 'A'}${line.data.slice(1)}`;
    expect(refused(path, `${JSON.stringify({ ...line, data: flipped })}\n`, 'CARD_IMAGE_TAMPERED')).toBe(
      `card image ${path}: its log ${path}.log was edited outside sscard (a record does not match its seal)`,
    );
  });

  it('sealed under another key is named as such, with that key id', () => {
    const { path, line } = imageWithLog();
    const other = testImageKey(7);
    expect(refused(path, `${sealedLine(line, '{}', 1, other)}\n`, 'CARD_IMAGE_OTHER_KEY')).toBe(
      `card image ${path}: its log ${path}.log is sealed with another key (key id ${other.id})`,
    );
  });

  it('out of its place says which record is missing', () => {
    const { path, line } = imageWithLog();
    const second = sealedLine(line, JSON.stringify({ kind: 'pin-tries', df: ['5353'], pin: 'app', triesLeft: 1 }), 2);
    expect(refused(path, `${second}\n`, 'CARD_IMAGE_TAMPERED')).toBe(
      `card image ${path}: its log ${path}.log was edited outside sscard (record 1 is missing or out of order)`,
    );
    expect(refused(path, `${JSON.stringify(line)}\n${JSON.stringify(line)}\n`, 'CARD_IMAGE_TAMPERED')).toMatch(
      /\(record 2 is missing or out of order\)$/,
    );
  });

  it('an empty log is no change', () => {
    const { path } = imageWithLog();
    writeFileSync(`${path}.log`, '');
    expect(appTries(readCardImage(path).state)).toBe(3);
  });
});

describe('a well-sealed log record', () => {
  const change = (fields: Record<string, unknown>): string =>
    JSON.stringify({ kind: 'pin-tries', df: ['5353'], pin: 'app', triesLeft: 1, ...fields });

  it('is applied when it holds a counter change of the card', () => {
    const { path, line } = imageWithLog();
    writeFileSync(`${path}.log`, `${sealedLine(line, change({ triesLeft: 0 }))}\n`);
    expect(appTries(readCardImage(path).state)).toBe(0);
  });

  it('holding anything but a counter change is an edit', () => {
    const { path, line } = imageWithLog();
    const noChange = `card image ${path}: its log ${path}.log was edited outside sscard (a record holds no counter change)`;
    const plaintexts = [
      'not json',
      'null',
      '"pin-tries"',
      change({ kind: 'record' }),
      change({ df: '5353' }),
      change({ df: [5353] }),
      change({ df: ['5353', 'dd01'] }),
      change({ df: ['535'] }),
      change({ df: ['53530'] }),
      change({ df: ['x5353'] }),
      change({ pin: 1 }),
      change({ triesLeft: 1.5 }),
      change({ triesLeft: '1' }),
    ];
    for (const plaintext of plaintexts) {
      expect(refused(path, `${sealedLine(line, plaintext)}\n`, 'CARD_IMAGE_TAMPERED'), plaintext).toBe(noChange);
    }
  });

  it('that does not fit the card is refused as an invalid image, saying why', () => {
    const { path, line } = imageWithLog();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ df: ['5354'] }, 'a counter change names DF 5354, which the card does not have'],
      [{ df: ['5353', 'DD01'] }, 'a counter change names DF 5353/DD01, which the card does not have'],
      [{ pin: 'bank' }, 'a counter change names PIN bank, which the card does not have'],
      [{ triesLeft: -1 }, 'a counter change is outside 0..tryLimit'],
      [{ triesLeft: 4 }, 'a counter change is outside 0..tryLimit'],
    ];
    for (const [fields, why] of cases) {
      writeFileSync(`${path}.log`, `${sealedLine(line, change(fields))}\n`);
      const refusal = expectThrowsClass(() => readCardImage(path), CardImageError, {
        code: 'CARD_IMAGE_INVALID',
        message: `card image ${path}: its log ${path}.log does not fit the image (card image field log: ${why})`,
      });
      expect(refusal.cause).toBeInstanceOf(ImageFormatError);
    }
    // The bank PIN is in the bank DF: there, it fits.
    writeFileSync(`${path}.log`, `${sealedLine(line, change({ df: ['A001'], pin: 'bank', triesLeft: 3 }))}\n`);
    expect(readCardImage(path).state.mf.children.length).toBeGreaterThan(0);
  });
});

describe('applyStateDelta', () => {
  const state = (): CardState => buildSscCard(samplePerson('zhang-wei')).exportState();

  it('sets the counter of the PIN it names, at both bounds, and nothing else', () => {
    const s = state();
    applyStateDelta(s, { kind: 'pin-tries', df: ['5353'], pin: 'app', triesLeft: 0 });
    expect(appTries(s)).toBe(0);
    applyStateDelta(s, { kind: 'pin-tries', df: ['5353'], pin: 'app', triesLeft: 3 });
    expect(appTries(s)).toBe(3);
    const bank = s.mf.children[2] as { pins: { record: { triesLeft: number } }[] };
    applyStateDelta(s, { kind: 'pin-tries', df: ['A001'], pin: 'bank', triesLeft: 1 });
    expect(bank.pins[0]?.record.triesLeft).toBe(1);
    expect(appTries(s)).toBe(3);
  });

  it('refuses a change that does not fit the state, leaving it as it was', () => {
    const s = state();
    const before = JSON.stringify(s);
    for (const triesLeft of [-1, 4, 2.5, Number.NaN]) {
      expectThrowsClass(
        () => applyStateDelta(s, { kind: 'pin-tries', df: ['5353'], pin: 'app', triesLeft }),
        ImageFormatError,
        { message: 'card image field log: a counter change is outside 0..tryLimit' },
      );
    }
    // A DF is found among DFs only: an EF with the same FID is not one.
    const ef = (s.mf.children[0] as { children: { type: string; fid: string }[] }).children.find(
      (c) => c.type !== 'df',
    );
    expect(ef).toBeDefined();
    expectThrowsClass(
      () => applyStateDelta(s, { kind: 'pin-tries', df: ['5353', ef!.fid], pin: 'app', triesLeft: 1 }),
      ImageFormatError,
      { message: `card image field log: a counter change names DF 5353/${ef!.fid}, which the card does not have` },
    );
    expect(JSON.stringify(s)).toBe(before);
  });
});

describe('the log file', () => {
  it('is made readable and writable by its owner alone', () => {
    const path = join(tmp.path, 'card.json');
    const card = openSampleImage(path);
    expect(sw(card, WRONG)).toBe('63C2');
    expect(statSync(`${path}.log`).mode & 0o777).toBe(0o600);
    closeCardImage(card);
  });

  it('that cannot be opened is refused naming the error', () => {
    const { path } = imageWithLog();
    // A link to itself: opening it fails (ELOOP) for every user, root too.
    rmSync(`${path}.log`);
    symlinkSync(`${path}.log`, `${path}.log`);
    const refusal = expectThrowsClass(() => readCardImage(path), CardImageError, { code: 'CARD_IMAGE_UNREADABLE' });
    expect(refusal.message).toBe(`card image ${path}: its log ${path}.log cannot be read (ELOOP)`);
    expect((refusal.cause as NodeJS.ErrnoException).code).toBe('ELOOP');
  });

  it('that is a directory is refused as not a regular file', () => {
    const { path } = imageWithLog();
    rmSync(`${path}.log`);
    mkdirSync(`${path}.log`);
    expectThrowsClass(() => readCardImage(path), CardImageError, {
      code: 'CARD_IMAGE_INVALID',
      message: `card image ${path}: its log ${path}.log is not a regular file`,
    });
  });
});

describe("the log over a card's life", () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;

  it('leaves no descriptor open: appends use one, closing and reading leave none', () => {
    const path = join(tmp.path, 'card.json');
    saveSampleImage(path, 'zhang-wei');
    const before = openFds();
    const card = openCardImage(path, { powered: true });
    expect(sw(card, SELECT_SSSE)).toBe('9000');
    for (const expected of ['63C2', '63C1']) expect(sw(card, WRONG)).toBe(expected);
    const copy = join(tmp.path, 'crashed.json');
    writeFileSync(copy, readFileSync(path));
    writeFileSync(`${copy}.log`, readFileSync(`${path}.log`));
    closeCardImage(card);
    expect(appTries(readCardImage(copy).state)).toBe(1);
    expect(openFds()).toBe(before);
  });

  it('a change that is not a counter rewrites the image and starts the log over', () => {
    const path = join(tmp.path, 'card.json');
    const card = openSampleImage(path);
    expect(sw(card, WRONG)).toBe('63C2');
    const image = readFileSync(path, 'utf8');
    // CHANGE PIN: the try is a counter change, the new PIN a whole-record one.
    expect(sw(card, '805E010007123456FF654321')).toBe('9000');
    expect(readFileSync(path, 'utf8')).not.toBe(image);
    expect(readFileSync(`${path}.log`, 'utf8')).toBe('');
    expect(sw(card, WRONG)).toBe('63C2');
    const log = readFileSync(`${path}.log`, 'utf8').trim().split('\n');
    expect(log).toHaveLength(1);
    expect((JSON.parse(log[0] as string) as Line).seq).toBe(1);
    expect(appTries(readCardImage(path).state)).toBe(2);
    closeCardImage(card);
  });

  it('a first change that is not a counter rewrites the image and makes no log', () => {
    const path = join(tmp.path, 'card.json');
    saveSampleImage(path, 'zhang-wei');
    const image = readFileSync(path, 'utf8');
    const card = openCardImage(path, { powered: true });
    expect(sw(card, SELECT_SSSE)).toBe('9000');
    expect(sw(card, '0084000008')).toBe('9000');
    // RELOAD PIN with a wrong MAC: a try of the reload key, a whole-state change.
    expect(sw(card, '805E00000712345600000000')).toBe('6988');
    expect(readFileSync(path, 'utf8')).not.toBe(image);
    expect(existsSync(`${path}.log`)).toBe(false);
    closeCardImage(card);
  });

  it('records of an older image are skipped even where they would change a counter', () => {
    const path = join(tmp.path, 'card.json');
    const card = openSampleImage(path);
    for (const expected of ['63C2', '63C1']) expect(sw(card, WRONG)).toBe(expected);
    const older = readFileSync(`${path}.log`, 'utf8');
    expect(sw(card, '0020000003123456')).toBe('9000');
    closeCardImage(card);
    // The closed image holds 3 tries; the log left from before says 1.
    writeFileSync(`${path}.log`, older);
    expect(appTries(readCardImage(path).state)).toBe(3);
  });

  it('a log of exactly the most a log may hold is read', () => {
    const path = join(tmp.path, 'card.json');
    saveSampleImage(path, 'zhang-wei');
    // One unfinished line of that size: read, and no change.
    writeFileSync(`${path}.log`, 'x'.repeat(MAX_IMAGE_LOG_BYTES));
    expect(appTries(readCardImage(path).state)).toBe(3);
  });
});
