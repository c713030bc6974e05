import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCardImage, openCardImage, readCardImage, samplePerson } from '../../src/card-sim/index.js';
import { Registry } from '../../src/office/index.js';
import { MemoryTransport, PinBlockedError, PinIncorrectError, SscCard } from '../../src/terminal/index.js';
import { testKeysFit } from '../../src/cli/actions/window.js';
import { freshDatabase, pgLab } from '../office/pg-lab.js';
import type { FreshDatabase } from '../office/pg-lab.js';
import { cli, cliWithStdin, embeddedRegistryPerSuite } from './run-cli.js';

/*
 * `sscard window …` on card images. One embedded store for the core flow (opening it is seconds
 * each time, so few commands), the rest against the PostgreSQL lab in a fresh database.
 */

const ZHANG = samplePerson('zhang-wei').person.idNumber;
const LI = samplePerson('li-xiuying').person.idNumber;
const WANG = samplePerson('wang-yan').person.idNumber;

/** The card's persistent state in the image (what a refusal must leave alone). */
const cardState = (image: string): string => JSON.stringify(readCardImage(image).state);

async function issue(db: string, image: string, ...args: string[]): Promise<string> {
  const r = await cli('window', 'issue', '--card', image, '--db', db, ...args);
  expect(r.stderr).toBe('');
  const m = /^issued card ([A-Z]\d{8}) /.exec(r.stdout);
  expect(m).not.toBeNull();
  return m![1]!;
}

async function history(db: string, cardNumber: string): Promise<string[]> {
  const registry = await Registry.open(db);
  try {
    return (await registry.history(cardNumber)).map(
      (e) => `${e.operation}:${e.result}${e.reason === null ? '' : `:${e.reason}`}`,
    );
  } finally {
    await registry.close();
  }
}

/** Wrong PINs typed at a terminal, on the image itself: the application PIN or the bank PIN. */
async function wrongPins(image: string, which: 'app' | 'bank'): Promise<void> {
  const chip = openCardImage(image);
  try {
    const card = await SscCard.open(new MemoryTransport(chip));
    for (let i = 0; i < 3; i++) {
      await (which === 'app' ? card.verifyPin('000000') : card.bank.verifyPin('000000')).catch((e: unknown) => {
        if (!(e instanceof PinIncorrectError || e instanceof PinBlockedError)) throw e;
      });
    }
    await card.close();
  } finally {
    closeCardImage(chip);
  }
}

describe('sscard window (embedded store)', { timeout: 240_000 }, () => {
  const tmp = embeddedRegistryPerSuite('sscard-cli-window-');

  it('issues a card, unlocks its PIN locked at a pharmacy, and refuses a wrong ID with one line and nothing written', async () => {
    const image = join(tmp.path, 'zhang.json');
    const number = await issue(tmp.db, image, '--sample', 'zhang-wei');
    await wrongPins(image, 'app');
    const locked = cardState(image);
    const wrong = await cli('window', 'unlock-pin', '--card', image, '--id', LI, '--db', tmp.db);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toBe(
      `sscard: refused: the ID number given is not the holder's of card ${number} [ID_MISMATCH]\n`,
    );
    expect(cardState(image)).toBe(locked);
    const ok = await cli(
      'window',
      'unlock-pin',
      '--card',
      image,
      '--id',
      ZHANG,
      '--db',
      tmp.db,
      '--terminal-id',
      'window-110105-02',
    );
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toBe(
      `done: PIN UNBLOCK on card ${number} (张伟) (the registry learned of the lock the card showed)\n`,
    );
    expect(await history(tmp.db, number)).toEqual([
      'issue_card:ok',
      'pin_unlock:refused:ID_MISMATCH',
      'pin_locked:ok',
      'pin_unlock:ok',
    ]);
    expect(readdirSync(tmp.path).filter((f) => f.endsWith('.new'))).toEqual([]);
  });

  it('issues through a symbolic link: the file it names gets the card, and the link stays a link', async () => {
    const target = join(tmp.path, 'li-target.json');
    const link = join(tmp.path, 'li.json');
    symlinkSync(target, link);
    await issue(tmp.db, link, '--sample', 'li-xiuying');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readCardImage(target).state).toEqual(readCardImage(link).state);
    expect(readdirSync(tmp.path).filter((f) => f.endsWith('.new'))).toEqual([]);
  });
});

const lab = pgLab('sscard window CLI on postgres');

describe.runIf(lab.run)('sscard window (server)', { timeout: 120_000 }, () => {
  let fresh: FreshDatabase;
  let dir: string;
  let db: string;
  beforeAll(async () => {
    lab.assertReady();
    fresh = await freshDatabase(lab.url, 'cliwindow');
    db = fresh.url;
    dir = mkdtempSync(join(tmpdir(), 'sscard-cli-window-pg-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await fresh?.drop();
  });
  /** `sscard window <act>` on the card `image` for the holder `id`, with `stdin` as the PIN lines. */
  const pinsAtWindow = (stdin: string, act: string, image: string, id: string, ...more: string[]) =>
    cliWithStdin(stdin, 'window', act, '--card', image, '--id', id, '--pin-stdin', '--db', db, ...more);

  it('reset-pin: the new PIN twice on stdin; differing entries are refused before the card sees anything; no PIN printed', async () => {
    const image = join(dir, 'li.json');
    const number = await issue(db, image, '--sample', 'li-xiuying');
    const before = cardState(image);
    const differ = await pinsAtWindow('602851\n602852\n', 'reset-pin', image, LI);
    expect(differ).toMatchObject({ code: 1, stdout: '' });
    expect(differ.stderr).toBe('sscard: refused: the two entries of the new PIN differ [NEW_PIN_MISMATCH]\n');
    expect(cardState(image)).toBe(before);
    const ok = await pinsAtWindow('602851\n602851\n', 'reset-pin', image, LI, '--trace');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(
      `done: RELOAD PIN on card ${number} (李秀英)\nthe application PIN is the one the holder chose\n`,
    );
    expect(ok.stderr).toMatch(/RELOAD PIN .*data=\*\*\*\*/);
    for (const out of [differ.stdout, differ.stderr, ok.stdout, ok.stderr]) expect(out).not.toMatch(/602851|602852/);
    const verify = await cliWithStdin('602851\n', 'pin', 'verify', '--card', image, '--pin-stdin');
    expect(verify.stdout).toBe('PIN correct\n');
    expect(await history(db, number)).toEqual(['issue_card:ok', 'pin_reset:refused:NEW_PIN_MISMATCH', 'pin_reset:ok']);
  });

  it('reset-pin --reset-rule initial: no PIN typed, the card gets 123456 and the registry records the PIN initial', async () => {
    const image = join(dir, 'wang.json');
    const number = await issue(db, image, '--sample', 'wang-yan', '--spec', '3.00');
    await cliWithStdin('123456\n246810\n246810\n', 'pin', 'change', '--card', image, '--pin-stdin');
    await wrongPins(image, 'app');
    const typed = await pinsAtWindow('111111\n111111\n', 'reset-pin', image, WANG, '--reset-rule', 'initial');
    expect(typed.stderr).toBe('sscard: --pin-stdin: this act takes no PIN [CLI_INPUT]\n');
    const r = await cli('window', 'reset-pin', '--card', image, '--id', WANG, '--reset-rule', 'initial', '--db', db);
    expect(r.stdout).toMatch(
      /^done: RELOAD PIN on card .* \(the registry learned of the lock the card showed\)\nthe application PIN is the initial PIN again/,
    );
    const status = await cli('office', 'status', number, '--db', db, '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ ssc: 'active', pinInitial: true });
    expect((await cliWithStdin('123456\n', 'pin', 'verify', '--card', image, '--pin-stdin')).stdout).toMatch(
      /^PIN correct/,
    );
  });

  it('refuses a card not in the registry, a PIN on the command line, and a missing card', async () => {
    const image = join(dir, 'stranger.json');
    expect((await cli('card', 'new', image, '--sample', 'abdurahman')).code).toBe(0);
    const before = cardState(image);
    const r = await cli(
      'window',
      'unlock-pin',
      '--card',
      image,
      '--id',
      samplePerson('abdurahman').person.idNumber,
      '--db',
      db,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sscard: refused: no card "[A-Z0-9]{9}" in the registry \[CARD_NOT_FOUND\]\n$/);
    expect(cardState(image)).toBe(before);
    const pinArg = await cli('window', 'bank-unlock', '--card', image, '--id', LI, '--pin', '888888', '--db', db);
    expect(pinArg.stderr).toMatch(/a PIN is never taken from the command line/);
    expect(pinArg.stderr).not.toContain('888888');
    const missing = await cli('window', 'unlock-pin', '--card', join(dir, 'none.json'), '--id', LI, '--db', db);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/none\.json/);
  });

  it('bank: activate, a wrong bank PIN refused with nothing written, the right one unlocks; reset with the new PIN twice', async () => {
    const image = join(dir, 'zhang-bank.json');
    const number = await issue(db, image, '--sample', 'zhang-wei', '--financial');
    const inactive = await pinsAtWindow('888888\n', 'bank-unlock', image, ZHANG);
    expect(inactive.stderr).toMatch(/bank side is inactive \[CARD_STATE\]/);
    expect((await cli('window', 'bank-activate', '--card', image, '--id', ZHANG, '--db', db)).stdout).toBe(
      `activated: the bank side of card ${number} (张伟)\n`,
    );
    await wrongPins(image, 'bank');
    const locked = cardState(image);
    const wrong = await pinsAtWindow('864209\n', 'bank-unlock', image, ZHANG);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      `sscard: refused: card ${number}: the bank PIN given is not the card's; the bank PIN stays locked [BANK_PIN_MISMATCH]\n`,
    );
    expect(cardState(image)).toBe(locked);
    const right = await pinsAtWindow('888888\n', 'bank-unlock', image, ZHANG);
    expect(right.stdout).toBe(`done: bank PIN UNBLOCK on card ${number} (张伟)\n`);
    const reset = await pinsAtWindow('502718\n502718\n', 'bank-reset', image, ZHANG);
    expect(reset.stdout).toBe(`done: bank RELOAD PIN on card ${number} (张伟)\n`);
    expect(await history(db, number)).toEqual([
      'issue_card:ok',
      'pin_unlock:refused:CARD_STATE',
      'activate_bank:ok',
      'pin_locked:ok',
      'pin_unlock:refused:BANK_PIN_MISMATCH',
      'pin_unlock:ok',
      'pin_reset:ok',
    ]);
  });

  it('correct: a new version, the card re-made as a new image with the same number, or written on the card in place', async () => {
    const image = join(dir, 'abdu.json');
    const number = await issue(db, image, '--sample', 'abdurahman', '--force');
    const onlyRegistry = await cli('window', 'correct', number, '--set', 'person.birthplace=650104', '--db', db);
    expect(onlyRegistry.stdout).toMatch(
      new RegExp(
        `^corrected: card ${number}, personalization version 2 \\(corrected at the window: person.birthplace\\); the card is to be re-made`,
      ),
    );
    const out = join(dir, 'abdu-v3.json');
    const r = await cli(
      'window',
      'correct',
      number,
      '--set',
      'person.name=阿不都热合曼',
      '--reason',
      'name misprinted',
      '--card',
      out,
      '--db',
      db,
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `corrected: card ${number}, personalization version 3 (name misprinted); card re-made: image ${out} (application PIN initial)\n`,
    );
    const shown = JSON.parse((await cli('card', 'show', out, '--json')).stdout);
    expect(shown.card).toMatchObject({ cardNumber: number });
    expect(shown.cardholder.name).toBe('阿不都热合曼');
    expect(readdirSync(dir).filter((f) => f.endsWith('.new'))).toEqual([]);
    const exists = await cli('window', 'correct', number, '--set', 'person.name=某', '--card', out, '--db', db);
    expect(exists.stderr).toMatch(/already exists; use --force/);
    // In place on the holder's card (here its image): EF06 rewritten, the PINs as they were.
    const abdu = samplePerson('abdurahman').person.idNumber;
    /** `sscard window correct` of `set` written on the card of image `out`, with `more` options. */
    const correctInPlace = (set: string, ...more: string[]) =>
      cli('window', 'correct', number, '--set', set, '--card', out, '--in-place', ...more, '--db', db);
    const noId = await correctInPlace('person.birthplace=650105');
    expect(noId).toMatchObject({ code: 1, stdout: '' });
    expect(noId.stderr).toMatch(/--id <ID number>: a correction on the card checks/);
    const stateBefore = cardState(out);
    const notEf06 = await correctInPlace('health.bloodType=A', '--id', abdu);
    expect(notEf06.stderr).toMatch(
      /a correction written on the card changes person\.name, .* only; re-make the card for the others \[INVALID_ARGUMENT\]/,
    );
    expect(cardState(out)).toBe(stateBefore);
    const inPlace = await correctInPlace('person.birthplace=650105', '--id', abdu);
    expect(inPlace).toMatchObject({ code: 0, stderr: '' });
    expect(inPlace.stdout).toBe(
      `corrected: card ${number}, personalization version 4 (corrected at the window: person.birthplace); written on the card (card image ${out}), its PINs unchanged\n`,
    );
    expect(JSON.parse((await cli('card', 'show', out, '--json')).stdout).cardholder).toMatchObject({
      name: '阿不都热合曼',
      birthplace: '650105',
    });
    const fixed = await cli('window', 'correct', number, '--set', 'card.number=S99999999', '--db', db);
    expect(fixed.stderr).toMatch(/card\.number: cannot be changed by a correction \[INVALID_ARGUMENT\]/);
    expect(existsSync(out)).toBe(true);
    expect((await history(db, number)).filter((h) => h.startsWith('correct_personalization'))).toEqual([
      'correct_personalization:ok',
      'correct_personalization:ok',
      'correct_personalization:ok',
    ]);
  });

  it('uses the test keys on a reader only when the card there is a simulated one', () => {
    const chip = openCardImage(join(dir, 'li.json'));
    try {
      const channel = { atr: () => chip.atr } as never;
      expect(testKeysFit({ simulated: false, channel })).toBe(true);
      expect(
        testKeysFit({ simulated: false, channel: { atr: () => Uint8Array.of(0x3b, 0x02, 0x14, 0x50) } as never }),
      ).toBe(false);
      expect(testKeysFit({ simulated: true, channel: { atr: () => new Uint8Array(0) } as never })).toBe(true);
    } finally {
      closeCardImage(chip);
    }
  });
});
