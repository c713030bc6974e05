import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { decodeResponse, fromHex, toHex } from '../../src/apdu/index.js';
import {
  SimulatedCard,
  exportState,
  importState,
  CardImageError,
  closeCardImage,
  loadCardImage,
  openCardImage,
  readCardImage,
  saveCardImage,
  samplePerson,
  buildSscCard,
  inspectSscTree,
} from '../../src/card-sim/index.js';
import { cardMac, diversifyKey, issuerTestMasterKey } from '../../src/keys/index.js';
import { encodePinBcd } from '../../src/pin/index.js';
import { sw } from '../support/card-exchange.js';
import { expectThrowsClass } from '../support/throws.js';
import { tempDirPerTest } from '../support/temp-dir.js';
import { openImageFile } from './image-fixtures.js';
import { SELECT_SSSE } from '../support/card-image.js';

const INITIAL = '246810';
const CHANGED = '135790';

const tmp = tempDirPerTest('sscard-secrets-');

/** li-xiuying (SM4, no return to the initial PIN) personalized with the initial PIN 246810. */
function customInitialCard(): SimulatedCard {
  const doc = samplePerson('li-xiuying');
  doc.pin = { ...doc.pin, initial: INITIAL };
  return buildSscCard(doc, { powered: true });
}

/**
 * Every form in which a digit string could leak into a JSON text. The random salts and MACs of the
 * PIN verifiers are blanked first: random hex contains any 6 given hex digits now and then, which
 * would make this check fail by chance, and a verifier's value is no place a PIN is written to.
 */
function leaks(text: string, digits: string): string[] {
  const ascii = Buffer.from(digits, 'ascii');
  const forms = [digits, ascii.toString('hex'), ascii.toString('base64'), toHex(encodePinBcd(digits))];
  const upper = text.replace(/"(salt|mac)"\s*:\s*"[0-9A-Fa-f]*"/g, '"$1":""').toUpperCase();
  return forms.filter((f) => upper.includes(f.toUpperCase()));
}

function appPin(card: SimulatedCard): { initial: boolean; triesLeft: number } {
  const report = inspectSscTree(card.tree).appPin;
  if (report === null) throw new Error('no application PIN');
  return report;
}

/** RELOAD PIN `80 5E 00 00 Lc newBCD || MAC4` with the card's real reload key, IV = a fresh challenge. */
function reload(card: SimulatedCard, pin: string): string {
  const key = diversifyKey(issuerTestMasterKey('PIN_RELOAD'), '3101049000240017', 'sm4');
  const bcd = encodePinBcd(pin);
  const header = fromHex(`805E0000${(bcd.length + 4).toString(16).padStart(2, '0')}`);
  const challenge = decodeResponse(card.transmit(fromHex('0084000008'))).data;
  const mac = cardMac('sm4', key, Uint8Array.from([...header, ...bcd]), challenge);
  return sw(card, toHex(Uint8Array.from([...header, ...bcd, ...mac])));
}

group('initial PIN in saved images', () => {
  it('an image with a custom initial PIN and a changed PIN holds neither, in any encoding', () => {
    const path = join(tmp.path, 'card.json');
    const card = customInitialCard();
    saveCardImage(path, card);
    expect(leaks(readFileSync(path, 'utf8'), INITIAL)).toEqual([]);
    expect(leaks(JSON.stringify(openImageFile(path)), INITIAL)).toEqual([]);
    expect(sw(card, SELECT_SSSE)).toBe('9000');
    expect(sw(card, `805E010007${INITIAL}FF${CHANGED}`)).toBe('9000');
    saveCardImage(path, card);
    expect(leaks(readFileSync(path, 'utf8'), CHANGED)).toEqual([]);
    // Inside the seal too (what the key's holder sees): salted verifiers only.
    const text = JSON.stringify(openImageFile(path));
    expect(leaks(text, INITIAL)).toEqual([]);
    expect(leaks(text, CHANGED)).toEqual([]);
    // The check itself can fail: the same search finds the digits when they are there.
    expect(leaks(`${text}"${INITIAL}"`, INITIAL)).toContain(INITIAL);
    expect(leaks(`${text}"${Buffer.from(CHANGED).toString('hex')}"`, CHANGED)).toHaveLength(1);
  });

  it('keeps the "initial PIN in effect" flag and the no-return rule across save and load', () => {
    const path = join(tmp.path, 'card.json');
    const card = customInitialCard();
    saveCardImage(path, card);
    let loaded = loadCardImage(path, { powered: true });
    expect(appPin(loaded).initial).toBe(true);
    expect(sw(loaded, SELECT_SSSE)).toBe('9000');
    expect(sw(loaded, '0020000003123456')).toBe('63C5'); // 123456 is not this card's PIN
    expect(sw(loaded, `0020000003${INITIAL}`)).toBe('9000');
    expect(sw(loaded, `805E010007${INITIAL}FF${CHANGED}`)).toBe('9000');
    expect(appPin(loaded).initial).toBe(false);
    saveCardImage(path, loaded);

    loaded = loadCardImage(path, { powered: true });
    expect(appPin(loaded).initial).toBe(false);
    expect(sw(loaded, SELECT_SSSE)).toBe('9000');
    // li-xiuying's region forbids returning to the initial PIN: 6985, recognised from the verifier.
    expect(sw(loaded, `805E010007${CHANGED}FF${INITIAL}`)).toBe('6985');
    expect(sw(loaded, `805E010007${CHANGED}FF123456`)).toBe('9000');
    // The issuer may set the initial PIN again; the card then flags it as in effect.
    expect(reload(loaded, INITIAL)).toBe('9000');
    expect(appPin(loaded).initial).toBe(true);
    saveCardImage(path, loaded);
    expect(appPin(loadCardImage(path)).initial).toBe(true);
    expect(leaks(JSON.stringify(openImageFile(path)), INITIAL)).toEqual([]);
  });

  it('the exported state has a sealed policy per PIN and refuses a clear initial PIN in a version 2 state', () => {
    const state = customInitialCard().exportState();
    expect(state.version).toBe(2);
    const pins = (state.mf.children[0] as unknown as { pins: { policy: Record<string, unknown> }[] }).pins;
    expect(Object.keys(pins[0]!.policy).sort()).toEqual([
      'forbidReturnToInitial',
      'initialPinVerifier',
      'maxLength',
      'minLength',
      'tryLimit',
    ]);
    const tampered = JSON.parse(JSON.stringify(state));
    tampered.mf.children[0].pins[0].policy.initialPin = INITIAL;
    expect(() => importState(tampered)).toThrow(
      expect.objectContaining({
        field: 'mf.children[0].pins[0].policy.initialPin',
        kind: 'unknown-field',
        problem: 'a version 2 state keeps the initial PIN only as initialPinVerifier, never in clear',
      }),
    );
    expect(exportState(importState(JSON.parse(JSON.stringify(state))))).toEqual(state);
  });
});

/**
 * A version 1 image as the previous build wrote it: clear initial PINs, no lifecycle, no
 * recordLengths, and plain key write conditions where this build demands a MAC (key-and-mac).
 */
function versionOneImage(card: SimulatedCard): Record<string, unknown> {
  const state = JSON.parse(JSON.stringify(card.exportState()));
  state.version = 1;
  delete state.cardBlocked;
  const walk = (df: Record<string, unknown>): void => {
    for (const p of df['pins'] as { policy: Record<string, unknown> }[]) {
      delete p.policy['initialPinVerifier'];
      p.policy['initialPin'] = df['label'] === 'SSSE' ? INITIAL : '123456';
    }
    for (const c of df['children'] as Record<string, unknown>[]) {
      if (c['type'] === 'df') walk(c);
      else {
        delete c['recordLengths'];
        const write = c['write'] as { kind: string; keyId?: number };
        if (write.kind === 'key-and-mac') c['write'] = { kind: 'key', keyId: write.keyId };
      }
    }
  };
  walk(state.mf);
  const now = new Date().toISOString();
  return {
    format: 'sscard-card-image',
    version: 1,
    created: now,
    saved: now,
    spec: '3.00',
    transmission: 'T=1',
    extendedLength: false,
    state,
  };
}

group('version 1 images are migrated', () => {
  it('load as version 3 without touching the file; the initial PIN is still recognised', () => {
    const path = join(tmp.path, 'v1.json');
    const text = JSON.stringify(versionOneImage(customInitialCard()));
    writeFileSync(path, text);
    expect(readCardImage(path).version).toBe(3);
    expect(readCardImage(path).state.version).toBe(2);
    expect(leaks(JSON.stringify(readCardImage(path)), INITIAL)).toEqual([]);
    const card = loadCardImage(path, { powered: true });
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(appPin(card).initial).toBe(true);
    expect(sw(card, SELECT_SSSE)).toBe('9000');
    expect(sw(card, `805E010007${INITIAL}FF${CHANGED}`)).toBe('9000');
    expect(sw(card, `805E010007${CHANGED}FF${INITIAL}`)).toBe('6985');
  });

  it('openCardImage seals the file at once, without the clear initial PIN, and says so', () => {
    const path = join(tmp.path, 'v1.json');
    writeFileSync(path, JSON.stringify(versionOneImage(customInitialCard())));
    expect(leaks(readFileSync(path, 'utf8'), INITIAL).length).toBeGreaterThan(0);
    const notices: string[] = [];
    closeCardImage(openCardImage(path, { onNotice: (m) => notices.push(m) }));
    const text = readFileSync(path, 'utf8');
    expect(JSON.parse(text).version).toBe(3);
    expect(leaks(text, INITIAL)).toEqual([]);
    expect(leaks(JSON.stringify(openImageFile(path)), INITIAL)).toEqual([]);
    expect(notices).toEqual([
      expect.stringMatching(
        new RegExp(
          `^card image ${path}: was not sealed \\(version 1, from before sealing\\); it passed every check and is now sealed`,
        ),
      ),
    ]);
  });

  it('a state version that does not match the image version is refused by name', () => {
    const path = join(tmp.path, 'mixed.json');
    const image = versionOneImage(customInitialCard());
    (image['state'] as Record<string, unknown>)['version'] = 2;
    writeFileSync(path, JSON.stringify(image));
    expect(expectThrowsClass(() => loadCardImage(path), CardImageError).formatError).toMatchObject({
      field: 'state.version',
      problem: 'is 2, but a version 1 image holds a version 1 state',
      file: path,
    });
  });
});
