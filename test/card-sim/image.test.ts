import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/apdu/index.js';
import { commandMac } from '../../src/keys/index.js';
import {
  CardImageError,
  MAX_CARD_IMAGE_BYTES,
  closeCardImage,
  lockCardImage,
  loadCardImage,
  openCardImage,
  readCardImage,
  saveCardImage,
  samplePerson,
  buildSscCard,
  importState,
  inspectSscTree,
  setCardImageField,
  type DfState,
  type SimulatedCard,
} from '../../src/card-sim/index.js';
import { inspect } from 'node:util';
import { sw } from '../support/card-exchange.js';
import { expectThrowsClass } from '../support/throws.js';
import { tempDirPerTest } from '../support/temp-dir.js';
import { reportFigures, soakCount, soakTimeout } from '../soak.js';
import { openImageFile, resealImage, writeSealedStateText, writeUnsealedImage } from './image-fixtures.js';
import { SELECT_SSSE, saveSampleImage } from '../support/card-image.js';

const tmp = tempDirPerTest('sscard-image-');

function stateJson(card: SimulatedCard): string {
  return JSON.stringify(card.exportState());
}

/** Expects `fn` to throw a CardImageError with `code` whose message names `path`. */
function imageError(fn: () => unknown, code: string, path: string): CardImageError {
  const err = expectThrowsClass(fn, CardImageError, { code });
  expect(err.path).toBe(path);
  expect(err.message.startsWith(`card image ${path}: `)).toBe(true);
  return err;
}

group('card image round trip', () => {
  it('loads back the same state and metadata', () => {
    const path = join(tmp.path, 'card.json');
    const card = buildSscCard(samplePerson('wang-yan'));
    saveCardImage(path, card);
    const image = readCardImage(path);
    expect(image.format).toBe('sscard-card-image');
    expect(image.version).toBe(3);
    expect(image.spec).toBe('3.00');
    expect(image.transmission).toBe('T=1');
    const loaded = loadCardImage(path);
    expect(stateJson(loaded)).toBe(stateJson(card));
    expect(toHex(loaded.atr)).toBe(toHex(card.atr));
  });

  it('keeps the creation time across saves', async () => {
    const path = join(tmp.path, 'card.json');
    saveSampleImage(path, 'zhang-wei');
    const created = readCardImage(path).created;
    await new Promise((r) => setTimeout(r, 5));
    const card = loadCardImage(path);
    saveCardImage(path, card);
    expect(readCardImage(path).created).toBe(created);
    expect(readCardImage(path).saved >= created).toBe(true);
  });

  it('holds no PIN in clear, only salted verifiers', () => {
    const path = join(tmp.path, 'card.json');
    saveSampleImage(path, 'zhang-wei');
    const card = openCardImage(path, { powered: true });
    expect(sw(card, SELECT_SSSE)).toBe('9000');
    expect(sw(card, '805E010007123456FF654321')).toBe('9000');
    const values: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') values.push(v);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    // Not in the file, and not inside its sealed state either (opened with the key).
    walk(JSON.parse(readFileSync(path, 'utf8')));
    walk(openImageFile(path));
    expect(values.length).toBeGreaterThan(50);
    expect(values.filter((v) => v.includes('654321'))).toEqual([]);
    // The bank PIN (set from the document) is not there either.
    expect(values.filter((v) => v === '888888')).toEqual([]);
  });
});

group('a card bound to its image file', () => {
  it('saves every PIN try before answering, and a success restores the counter on disk', () => {
    const path = join(tmp.path, 'card.json');
    saveSampleImage(path, 'zhang-wei');
    const card = openCardImage(path, { powered: true });
    sw(card, SELECT_SSSE);
    expect(sw(card, '0020000003999999')).toBe('63C2');
    const onDisk = () => loadCardImage(path, { powered: true });
    let copy = onDisk();
    sw(copy, SELECT_SSSE);
    expect(sw(copy, '0020000000')).toBe('63C2');
    expect(sw(card, '0020000003123456')).toBe('9000');
    copy = onDisk();
    sw(copy, SELECT_SSSE);
    expect(sw(copy, '0020000000')).toBe('63C3');
  });

  it('makes a record write durable', () => {
    const path = join(tmp.path, 'card.json');
    const doc = samplePerson('zhang-wei');
    const random = (n: number) => new Uint8Array(n).fill(0x11);
    saveCardImage(path, buildSscCard(doc));
    const card = openCardImage(path, { powered: true, random });
    sw(card, SELECT_SSSE);
    expect(sw(card, '00A4000002DF10')).toBe('9000');
    // Authenticate with the health key (kid 3), then append a contraindication.
    const before = loadCardImage(path).tree;
    const key = before.findByDfName(fromHex('7378312E73682EC9E7BBE1B1A3D5CF'))?.key(3)?.key as Uint8Array;
    const challenge = toHex(card.transmit(fromHex('0084000008'))).slice(0, 16);
    const c = createCipheriv('des-ede-ecb', key, null).setAutoPadding(false);
    const cryptogram = Buffer.concat([c.update(Buffer.from(challenge, 'hex')), c.final()]).toString('hex');
    expect(sw(card, `0082000308${cryptogram}`)).toBe('9000');
    const record = toHex(new Uint8Array(Buffer.concat([Buffer.from('C0B6B9FABCF3', 'hex'), Buffer.alloc(114)])));
    // DF10 writes need secure messaging: a new challenge, `04 E2` and a MAC with the health key.
    const iv = fromHex(toHex(card.transmit(fromHex('0084000008'))).slice(0, 16));
    const mac = toHex(commandMac('3des', key, fromHex('04E20038'), fromHex(record), iv));
    expect(sw(card, `04E200387C${record}${mac}`)).toBe('9000');
    const reread = loadCardImage(path);
    const ssse = reread.tree.findByDfName(fromHex('7378312E73682EC9E7BBE1B1A3D5CF'));
    const health = ssse?.child(0xdf10);
    const file = health?.kind === 'df' ? health.child(0xef07) : undefined;
    expect(file?.kind === 'ef' ? toHex(file.record(1) as Uint8Array) : '').toBe(record);
  });

  it('answers 6581 and keeps its last saved state when the image cannot be written', () => {
    const sub = join(tmp.path, 'gone');
    const path = join(sub, 'card.json');
    mkdirSync(sub);
    saveSampleImage(path, 'zhang-wei');
    const card = openCardImage(path, { powered: true });
    rmSync(sub, { recursive: true });
    sw(card, SELECT_SSSE);
    expect(sw(card, '0020000003999999')).toBe('6581');
    sw(card, SELECT_SSSE);
    expect(sw(card, '0020000000')).toBe('63C3');
  });
});

group('damaged image files are reported by name, never replaced', () => {
  function saved(): string {
    const path = join(tmp.path, 'card.json');
    saveSampleImage(path, 'zhang-wei');
    return path;
  }

  it('missing file', () => {
    const path = join(tmp.path, 'nope.json');
    const err = imageError(() => openCardImage(path), 'CARD_IMAGE_NOT_FOUND', path);
    expect(err.message).toBe(`card image ${path}: file not found`);
    expect(existsSync(path)).toBe(false);
  });

  it('truncated, empty or garbage content', () => {
    const path = saved();
    const text = readFileSync(path, 'utf8');
    for (const damaged of [text.slice(0, Math.floor(text.length / 2)), '', '\u0000\u00ff garbage {']) {
      writeFileSync(path, damaged);
      imageError(() => openCardImage(path), 'CARD_IMAGE_CORRUPT', path);
      imageError(() => loadCardImage(path), 'CARD_IMAGE_CORRUPT', path);
      expect(readFileSync(path, 'utf8')).toBe(damaged);
    }
  });

  it('wrong format or version', () => {
    const path = saved();
    const image = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...image, version: 4 }));
    expect(imageError(() => openCardImage(path), 'CARD_IMAGE_VERSION', path).message).toMatch(
      /version 4 is not supported \(this build reads version 3 and migrates versions 1 and 2\)/,
    );
    writeFileSync(path, JSON.stringify({ ...image, version: 0 }));
    imageError(() => loadCardImage(path), 'CARD_IMAGE_VERSION', path);
    writeFileSync(path, JSON.stringify({ ...image, format: 'something-else' }));
    expect(imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path).message).toMatch(
      /not an sscard card image/,
    );
    writeFileSync(path, '[1,2,3]');
    imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path);
  });

  it('a bad field inside the card state, named (an image from before sealing, or one its key holder sealed by hand)', () => {
    const path = saved();
    const image = JSON.parse(JSON.stringify({ ...openImageFile(path), version: 2 }));
    resealImage(path, (sealed) => {
      sealed.state.mf.children[0].keys[1].key = '0011';
    });
    expect(imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path).formatError).toMatchObject({
      field: 'state.mf.children[0].keys[1]',
      kind: 'tree',
    });
    image.state.mf.children[0].keys[1].key = '0011';
    writeFileSync(path, JSON.stringify(image));
    const err = imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path);
    expect(err.formatError).toMatchObject({ field: 'state.mf.children[0].keys[1]', kind: 'tree', file: path });
    expect(err.message).toBe(`card image ${path}: field state.mf.children[0].keys[1]: ${err.formatError?.problem}`);
    expect(err.message).not.toContain('0011');
    image.state.mf.children[0].keys[1].key = '00'.repeat(16);
    image.spec = '3.00';
    writeFileSync(path, JSON.stringify(image));
    expect(imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path).formatError).toMatchObject({
      field: 'spec',
      kind: 'value',
      problem: `says "3.00", but the card's EF05 holds "2.00"`,
    });
    delete image.spec;
    writeFileSync(path, JSON.stringify(image));
    expect(imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path).formatError).toMatchObject({
      field: 'spec',
      kind: 'missing',
    });
  });

  it('a field it does not know, at the top, in the seal or deep inside the state, is refused: it would be lost at the next save', () => {
    const path = saved();
    const sealed = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...sealed, comment: 'x' }));
    expect(imageError(() => loadCardImage(path), 'CARD_IMAGE_INVALID', path).formatError).toMatchObject({
      field: 'comment',
      kind: 'unknown-field',
    });
    writeFileSync(path, JSON.stringify({ ...sealed, seal: { ...sealed.seal, note: 1 } }));
    expect(imageError(() => loadCardImage(path), 'CARD_IMAGE_INVALID', path).formatError).toMatchObject({
      field: 'seal.note',
      kind: 'unknown-field',
    });
    writeFileSync(path, JSON.stringify(sealed));
    const clear = openImageFile(path);
    resealImage(path, (image) => {
      image.state.mf.children[0].children[0].note = 'kept by a newer build';
    });
    const err = imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path);
    expect(err.formatError).toMatchObject({
      field: 'state.mf.children[0].children[0].note',
      kind: 'unknown-field',
      file: path,
    });
    expect(err.message).toBe(`card image ${path}: field state.mf.children[0].children[0].note: unknown field`);
    writeUnsealedImage(path, clear, (image) => {
      image.state.mf.children[0].pins[0].record.verifier.hint = 'x';
    });
    expect(imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path).formatError).toMatchObject({
      field: 'state.mf.children[0].pins[0].record.verifier.hint',
      kind: 'unknown-field',
    });
  });

  it('never quotes the content of the file in its messages, nor in the errors they carry', () => {
    const path = saved();
    const clear = openImageFile(path);
    const secret = '5EC12E7';
    writeUnsealedImage(path, clear, (image) => {
      image.state.mf.children[0].keys[0].key = `${secret}X${secret}`;
    });
    const bad = imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path);
    expect(bad.formatError).toMatchObject({ field: 'state.mf.children[0].keys[0].key', kind: 'value' });
    expect(bad.message).not.toContain(secret);
    expect(inspect(bad, { depth: 10 })).not.toContain(secret);
    // JSON.parse quotes the text near a syntax error in its own message; none of it gets out.
    const text = JSON.stringify({ ...clear, version: 2 }, null, 2);
    const cardKey = (clear.state.mf.children[0] as DfState).keys[0]!.key;
    const keyAt = text.indexOf(cardKey);
    const syntaxErrors = [
      `{"state": {"key": "${secret}" oops}}`,
      `{"state": {"key": ${secret}}}`,
      `{"state": {"key": "${secret}", tru}}`,
      `${text.slice(0, keyAt + 10)}"${text.slice(keyAt + 10)}`,
      `${text.slice(0, keyAt)}${text.slice(keyAt + 1)}`.replace(/"([0-9A-F]{32})/, '$1'),
    ];
    for (const damaged of syntaxErrors) {
      writeFileSync(path, damaged);
      const corrupt = imageError(() => openCardImage(path), 'CARD_IMAGE_CORRUPT', path);
      expect(corrupt.message).toMatch(/syntax error( at line \d+, column \d+)?\)$/);
      const shown = inspect(corrupt, { depth: 10 });
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(cardKey.slice(0, 12));
    }
  });

  it('too deep or too large to be a card: 3,000 nested DFs, a file past the size limit; one clear error, no stack overflow', () => {
    const path = saved();
    const clear = openImageFile(path);
    /** `depth` DFs each inside the one before, as JSON text (too deep for JSON.stringify). */
    const nestedText = (depth: number): string => {
      let open = '';
      for (let i = 0; i < depth; i++)
        open += `{"type":"df","fid":"${(0x1000 + i).toString(16).toUpperCase()}","pins":[],"keys":[],"children":[`;
      return `${open}${']}'.repeat(depth)}`;
    };
    const withNested = (depth: number): string => {
      const state = JSON.stringify({
        ...clear.state,
        mf: { ...clear.state.mf, children: [...clear.state.mf.children, '@'] },
      });
      return state.replace('"@"', nestedText(depth));
    };
    const added = clear.state.mf.children.length;
    const deepField = `state.mf.children[${added}]${'.children[0]'.repeat(16)}`;
    for (const depth of [3000, 17]) {
      const { state: _s, ...header } = clear;
      writeFileSync(path, `{"state":${withNested(depth)},${JSON.stringify({ ...header, version: 2 }).slice(1)}`);
      const err = imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path);
      expect(err.message).toBe(`card image ${path}: field ${deepField}: a DF nested more than 16 levels below the MF`);
      expect(err.formatError).toMatchObject({ field: deepField, kind: 'tree' });
      // Sealed by the key's holder, the same.
      writeSealedStateText(path, clear, withNested(depth));
      expect(imageError(() => loadCardImage(path), 'CARD_IMAGE_INVALID', path).message).toBe(err.message);
    }
    // 16 levels below the MF are a card still.
    writeSealedStateText(path, clear, withNested(16));
    expect(readCardImage(path).state.mf.children).toHaveLength(added + 1);
    writeFileSync(path, `${JSON.stringify({ ...clear, version: 2 })}${' '.repeat(MAX_CARD_IMAGE_BYTES)}`);
    expect(imageError(() => openCardImage(path), 'CARD_IMAGE_INVALID', path).message).toMatch(
      new RegExp(`^card image .*: is \\d+ bytes, more than a card image holds \\(at most ${MAX_CARD_IMAGE_BYTES}\\)$`),
    );
    expect(() => importState(JSON.parse(withNested(3000)))).toThrow(
      expect.objectContaining({ code: 'CARD_IMAGE_INVALID', kind: 'tree' }),
    );
  });

  it('a directory instead of a file', () => {
    imageError(() => openCardImage(tmp.path), 'CARD_IMAGE_UNREADABLE', tmp.path);
  });
});

/*
 * kill -9 during saves: KILLS child processes (8 under `npm test`, 1,000 under `npm run soak`),
 * each killed with SIGKILL at a random moment (one in six before it is even ready). Half save two
 * cards to one file by turns as fast as they can; half open the image (taking its lock, and the
 * lock of the writer killed before them), spend and restore a PIN try, close, again and again.
 * After every kill: the image opens (its seal is whole) and is one of the states written; the PIN
 * lost at most the try that was in flight (a tear between the spend and the restore, as on a chip);
 * the next opener takes the image at once (no wait on the dead holder) and leaves nothing of the
 * dead writer behind: no lock, no guard, no temporary.
 */
const KILLS = soakCount(8, 1000, 'kills');

group('writers killed mid-save', () => {
  it(
    `${KILLS} kills: never a broken image, never a wait on a dead holder, nothing left behind`,
    async () => {
      const pathA = join(tmp.path, 'a.json');
      const pathB = join(tmp.path, 'b.json');
      const alternate = join(tmp.path, 'alternate.json');
      const churn = join(tmp.path, 'churn.json');
      saveSampleImage(pathA, 'zhang-wei');
      const b = buildSscCard(samplePerson('li-xiuying'));
      saveCardImage(pathB, b);
      const states = new Set([stateJson(loadCardImage(pathA)), stateJson(loadCardImage(pathB))]);
      copyFileSync(pathA, alternate);
      copyFileSync(pathA, churn);
      const child = join(import.meta.dirname, 'image-child', 'save-loop.ts');
      const figures = {
        kills: 0,
        rounds: 0,
        tears: 0,
        staleLocks: 0,
        lockTemporaries: 0,
        saveTemporaries: 0,
        guards: 0,
        killedBeforeReady: 0,
      };
      for (let round = 0; round < KILLS; round++) {
        const mode = round % 2 === 0 ? 'alternate' : 'churn';
        const args = mode === 'alternate' ? [alternate, pathA, pathB] : [churn];
        const proc = spawn(process.execPath, ['--import', 'tsx', child, mode, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
        proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
          proc.on('exit', (code, signal) => resolve(signal ?? code)),
        );
        if (Math.random() < 1 / 6) {
          // Killed while starting up, or while opening its first image.
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1500)));
          if (!out.includes('ready\n')) figures.killedBeforeReady += 1;
        } else {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`child not ready: ${err}`)), 60_000);
            const check = (): void => {
              if (!out.includes('ready\n')) return;
              clearTimeout(timer);
              resolve();
            };
            proc.stdout.on('data', check);
            check();
          });
          await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 150)));
        }
        proc.kill('SIGKILL');
        expect(await exited, err).toBe('SIGKILL');
        figures.kills += 1;
        figures.rounds += (out.split('ready\n')[1] ?? '').length;
        // The image is whole: it opens, and is a state one of the writers wrote.
        expect(states.has(stateJson(loadCardImage(alternate)))).toBe(true);
        const tries = inspectSscTree(loadCardImage(churn).tree).appPin?.triesLeft;
        if (tries === 2) {
          // A tear: killed between the try's spend and its restore. It costs that try, as on a chip;
          // put back here, so the next rounds start from a full counter.
          figures.tears += 1;
          setCardImageField(churn, 'pin.app.tries-left', '3', { lockTimeoutMs: 0 });
        } else {
          expect(tries).toBe(3);
        }
        const names = readdirSync(tmp.path);
        figures.staleLocks += names.filter((n) => n.endsWith('.lock')).length;
        figures.lockTemporaries += names.filter((n) => n.endsWith('.new')).length;
        figures.saveTemporaries += names.filter((n) => n.endsWith('.tmp')).length;
        figures.guards += names.filter((n) => n.endsWith('.break')).length;
        // The next one in takes the image at once and cleans up after the dead writer.
        const started = Date.now();
        closeCardImage(openCardImage(churn, { lockTimeoutMs: 0 }));
        lockCardImage(alternate, { lockTimeoutMs: 0 }).release();
        expect(Date.now() - started).toBeLessThan(2000);
        expect(readdirSync(tmp.path).sort()).toEqual(['a.json', 'alternate.json', 'b.json', 'churn.json']);
      }
      // The children really were working when they were killed.
      expect(figures.rounds).toBeGreaterThan(0);
      reportFigures('kills', figures);
    },
    soakTimeout(180_000, 7_200_000),
  );
});
