import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import {
  CardImageError,
  closeCardImage,
  inspectSscTree,
  loadCardImage,
  openCardImage,
  setCardImageField,
  type DfState,
} from '../../src/card-sim/index.js';
import { SELECT_SSSE, sampleImagePerTest, saveSampleImage } from '../support/card-image.js';
import { sw } from '../support/card-exchange.js';
import { openImageFile, writeUnsealedImage } from './image-fixtures.js';

const tmp = sampleImagePerTest('sscard-set-', 'zhang-wei');

function ssse(): DfState {
  return openImageFile(tmp.image).state.mf.children[0] as DfState;
}

function refused(field: string, value: string): CardImageError {
  const before = readFileSync(tmp.image, 'utf8');
  let caught: unknown;
  try {
    setCardImageField(tmp.image, field, value);
  } catch (err) {
    caught = err;
  }
  expect(caught, field).toBeInstanceOf(CardImageError);
  expect(readFileSync(tmp.image, 'utf8'), field).toBe(before);
  return caught as CardImageError;
}

group('setCardImageField: deliberate changes, sealed again', () => {
  it('PIN tries: a blocked application PIN and back', () => {
    expect(setCardImageField(tmp.image, 'pin.app.tries-left', '0')).toEqual({
      field: 'pin.app.tries-left',
      paths: ['state.mf.children[0].pins[0].record.triesLeft'],
      previous: 3,
      value: 0,
    });
    let card = loadCardImage(tmp.image, { powered: true });
    sw(card, SELECT_SSSE);
    expect(sw(card, '0020000003123456')).toBe('6983');
    setCardImageField(tmp.image, 'pin.app.tries-left', '3');
    card = loadCardImage(tmp.image, { powered: true });
    sw(card, SELECT_SSSE);
    expect(sw(card, '0020000003123456')).toBe('9000');
    expect(JSON.parse(readFileSync(tmp.image, 'utf8')).version).toBe(3);
  });

  it('try limits (tries left lowered to a smaller limit), and the bank PIN by its DF', () => {
    const change = setCardImageField(tmp.image, 'pin.app.try-limit', '2');
    expect(change.paths).toEqual([
      'state.mf.children[0].pins[0].record.tryLimit',
      'state.mf.children[0].pins[0].policy.tryLimit',
      'state.mf.children[0].pins[0].record.triesLeft',
    ]);
    expect(inspectSscTree(loadCardImage(tmp.image).tree).appPin).toMatchObject({ tryLimit: 2, triesLeft: 2 });
    setCardImageField(tmp.image, 'pin.BANK/bank.tries-left', '1');
    expect(inspectSscTree(loadCardImage(tmp.image).tree).bankPin).toMatchObject({ triesLeft: 1 });
  });

  it('lifecycle flags, key counters, records and transparent data', () => {
    setCardImageField(tmp.image, 'app.SSSE.blocked', 'temporary');
    expect(ssse().applicationBlocked).toBe('temporary');
    expect(sw(loadCardImage(tmp.image, { powered: true }), SELECT_SSSE)).toBe('6A81');
    setCardImageField(tmp.image, 'app.SSSE.blocked', 'none');
    expect('applicationBlocked' in ssse()).toBe(false);
    setCardImageField(tmp.image, 'card.blocked', 'true');
    expect(openImageFile(tmp.image).state.cardBlocked).toBe(true);
    setCardImageField(tmp.image, 'card.blocked', 'false');
    setCardImageField(tmp.image, 'key.SSSE.5.tries-left', '0');
    expect(ssse().keys.find((k) => k.id === 5)?.triesLeft).toBe(0);
    setCardImageField(tmp.image, 'key.5353.5.try-limit', '5');
    expect(ssse().keys.find((k) => k.id === 5)).toMatchObject({ tryLimit: 5, triesLeft: 0 });
    const record = (ssse().children.find((c) => c.fid === 'DF02') as DfState).children[0] as { records: string[] };
    const replaced = `${record.records[0]!.slice(0, -2)}41`;
    const change = setCardImageField(tmp.image, 'record.SSSE/DF02/EF07.1', replaced.toLowerCase());
    expect(change.previous).toBe(record.records[0]);
    expect(change.value).toBe(replaced);
    const count = record.records.length;
    setCardImageField(tmp.image, `record.SSSE/DF02/EF07.${count + 1}`, replaced);
    expect(
      ((ssse().children.find((c) => c.fid === 'DF02') as DfState).children[0] as { records: string[] }).records,
    ).toHaveLength(count + 1);
  });

  it('key numbers in hex as the card numbers them, and file labels with dots in them', () => {
    const wang = join(tmp.path, 'wang.json');
    saveSampleImage(wang, 'wang-yan');
    const dfs = () => openImageFile(wang).state.mf.children.filter((c): c is DfState => c.type === 'df');
    /** Key `id` of the DF labelled `label`, as the image holds it now. */
    const keyOf = (label: string, id: number) =>
      dfs()
        .find((d) => d.label === label)!
        .keys.find((k) => k.id === id);
    setCardImageField(wang, 'key.SSSE.0A.tries-left', '1');
    expect(keyOf('SSSE', 0x0a)?.triesLeft).toBe(1);
    setCardImageField(wang, 'key.BANK.11.try-limit', '4');
    expect(keyOf('BANK', 0x11)?.tryLimit).toBe(4);
    setCardImageField(wang, 'app.PKI/SS.CERT.ADF1.blocked', 'temporary');
    const pki = dfs().find((d) => d.label === 'PKI')!;
    expect((pki.children[0] as DfState).applicationBlocked).toBe('temporary');
    expect(() => setCardImageField(wang, 'key.SSSE.0G.tries-left', '1')).toThrow(/no key 0G on SSSE$/);
  });

  it('any other state field by the path errors name it, checked like the rest', () => {
    setCardImageField(tmp.image, 'state.mf.children[0].children[1].label', 'HOLDER');
    expect(ssse().children[1]?.label).toBe('HOLDER');
    setCardImageField(tmp.image, 'state.mf.children[0].children[1].read', '{"kind":"never"}');
    const card = loadCardImage(tmp.image, { powered: true });
    sw(card, SELECT_SSSE);
    expect(sw(card, '00B2013400')).toBe('6982');
  });

  it('refuses, naming the field and never the value, and leaves the file as it was', () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'pin.app.tries-left',
        '4',
        /cannot set pin\.app\.tries-left: the card would be invalid \(field state\.mf\.children\[0\]\.pins\[0\]\.record\.triesLeft: /,
      ],
      ['pin.app.tries-left', '730519', /cannot set pin\.app\.tries-left: expected a whole number 0\.\.15$/],
      ['pin.nobody.tries-left', '1', /cannot set pin\.nobody\.tries-left: no PIN nobody$/],
      ['card.blocked', 'yes', /expected true or false$/],
      ['app.SSSE.blocked', 'forever', /expected none, temporary or permanent$/],
      ['app.SSSE/DF01.blocked', 'temporary', /the card would be invalid .*only an application/],
      ['app.DF01.blocked', 'temporary', /no DF DF01$/],
      ['key.SSSE.99.tries-left', '1', /no key 99 on SSSE$/],
      ['record.SSSE/DF02/EF07.99', '00', /record numbers of SSSE\/DF02\/EF07 are 1\.\.\d+$/],
      ['record.SSSE/DF02/EF07.1', '0011', /the card would be invalid/],
      ['record.SSSE/DF02/EF07.1', '7305 19', /expected hex digits, whole bytes, no spaces$/],
      ['data.SSSE/DF02/EF07', '00', /is not a transparent file$/],
      ['state.mf.children[0].keys[0].key', '00'.repeat(16), /keys and PIN references are never set by hand/],
      [
        'state.mf.children[0].pins[0].record',
        '{"tryLimit":3,"triesLeft":3,"initial":false,"verifier":{"salt":"00","mac":"00"}}',
        /never set by hand/,
      ],
      ['state.mf.children[0].pins[0].record.verifier.mac', '00', /never set by hand/],
      ['state.mf.nowhere.at.all', '1', /is not in this card's state$/],
      ['frobnicate', '1', /unknown field \(fields: card\.blocked, /],
    ];
    for (const [field, value, message] of cases) {
      const err = refused(field, value);
      expect(err.code, field).toBe('CARD_IMAGE_FIELD');
      expect(err.message, field).toMatch(
        new RegExp(`^card image ${tmp.image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
      );
      expect(err.message, field).toMatch(message);
      if (value.length >= 4) expect(err.message, field).not.toContain(value);
    }
  });

  it('an image edited outside sscard is refused here too; one from before sealing is sealed by the change', () => {
    const text = JSON.parse(readFileSync(tmp.image, 'utf8'));
    writeFileSync(tmp.image, JSON.stringify({ ...text, saved: '2020-01-01T00:00:00.000Z' }));
    expect(refused('pin.app.tries-left', '3').code).toBe('CARD_IMAGE_TAMPERED');
    writeFileSync(tmp.image, JSON.stringify(text));
    writeUnsealedImage(tmp.image, openImageFile(tmp.image));
    const notices: string[] = [];
    setCardImageField(tmp.image, 'pin.app.tries-left', '2', { onNotice: (m) => notices.push(m) });
    expect(JSON.parse(readFileSync(tmp.image, 'utf8')).version).toBe(3);
    expect(notices).toHaveLength(1);
  });

  it('takes the image lock: an image open elsewhere is not changed under it', () => {
    const card = openCardImage(tmp.image);
    try {
      expect(refused('pin.app.tries-left', '0').code).toBe('CARD_IMAGE_LOCKED');
    } finally {
      closeCardImage(card);
    }
  });
});
