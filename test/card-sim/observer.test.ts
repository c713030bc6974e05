import { describe, expect, it } from 'vitest';
import { PIN_MASK, toHex } from '../../src/apdu/index.js';
import { CardConfigError, type CardObservation, type CardState } from '../../src/card-sim/index.js';
import { send, sw } from '../support/card-exchange.js';
import { expectThrowsClass } from '../support/throws.js';
import { FID, KID, apdu, externalAuth, selectSsse, ssseCard, testCard, workRecord } from './fixtures.js';

function watched(options: Parameters<typeof testCard>[0] = {}) {
  const card = testCard(options);
  const seen: CardObservation[] = [];
  const stop = card.observe((o) => seen.push(o));
  return { card, seen, stop };
}

function apdus(seen: CardObservation[]) {
  return seen.flatMap((o) => (o.type === 'apdu' ? [o] : []));
}

describe('card observers', () => {
  it('see every answered command with its status word, elapsed time and data', () => {
    const { card, seen } = watched();
    selectSsse(card);
    send(card, '00B2012C00');
    const [select, read] = apdus(seen);
    expect(select?.command).toMatchObject({
      cla: 0x00,
      ins: 0xa4,
      p1: 0x04,
      p2: 0x00,
      lc: 15,
      le: 256,
      masked: false,
      malformed: false,
    });
    expect(select?.response.sw).toBe(0x9000);
    expect(read?.response.sw).toBe(0x9000);
    expect(read?.response.data).not.toBeNull();
    expect(read?.response.length).toBe(read?.response.data?.length);
    expect(read?.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(Math.abs((read?.time ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('never see the data of a PIN command, nor anything that spells the PIN', () => {
    const { card, seen } = watched();
    selectSsse(card);
    expect(sw(card, '0020000003123456')).toBe('9000');
    const verify = apdus(seen)[1]!;
    expect(verify.command).toMatchObject({ ins: 0x20, lc: 3, data: null, masked: true });
    expect(verify.response.data).toBeNull();
    const text = JSON.stringify(seen, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v));
    expect(text).not.toContain('123456');
    expect(PIN_MASK).toBe('****');
  });

  it('mask malformed bytes whose INS is a PIN command, and report them as malformed', () => {
    const { card, seen } = watched();
    card.transmit(Uint8Array.of(0x00, 0x20, 0x00, 0x00, 0x05, 0x12, 0x34));
    const [bad] = apdus(seen);
    expect(bad?.command).toMatchObject({ malformed: true, masked: true, data: null });
    expect(bad?.response.sw).toBe(0x6700);
  });

  it('see power changes, and stop seeing anything once they stop watching', () => {
    const { card, seen, stop } = watched();
    card.reset('warm');
    card.reset('cold');
    card.powerOff();
    card.powerOn();
    expect(seen.map((o) => (o.type === 'power' ? o.change : o.type))).toEqual([
      'warm-reset',
      'cold-reset',
      'power-off',
      'power-on',
    ]);
    stop();
    selectSsse(card);
    expect(seen).toHaveLength(4);
  });

  it('that throw do not change the answer', () => {
    const card = testCard();
    card.observe(() => {
      throw new Error('observer bug');
    });
    expect(selectSsse(card).sw).toBe(0x9000);
  });
});

describe('tear at the next durable write', () => {
  it('answers 6581 to the write, keeps the record as it was, and tears only once', () => {
    const { card, seen } = watched();
    selectSsse(card);
    send(card, '00A4000C02DF02');
    expect(externalAuth(card, KID.UK)).toBe(0x9000);
    card.tearAtNextDurableWrite();
    expect(sw(card, apdu('00E20038', workRecord('E000003', '20240101', 'x')))).toBe('6581');
    expect(seen.filter((o) => o.type === 'tear-armed' || o.type === 'write-failed').map((o) => o.type)).toEqual([
      'tear-armed',
      'write-failed',
    ]);
    expect(seen.find((o) => o.type === 'write-failed')).toMatchObject({ torn: true });
    // The security state is gone (as after a power loss): authenticate again, and the write works.
    selectSsse(card);
    send(card, '00A4000C02DF02');
    expect(externalAuth(card, KID.UK)).toBe(0x9000);
    expect(sw(card, apdu('00E20038', workRecord('E000003', '20240101', 'x')))).toBe('9000');
  });

  it('a torn VERIFY spends no try and verifies nothing', () => {
    const persisted: CardState[] = [];
    const card = ssseCard({ onDurableChange: (s) => persisted.push(s) });
    card.tearAtNextDurableWrite();
    expect(sw(card, '0020000003123456')).toBe('6581');
    expect(card.securityState().verifiedPins).toEqual([]);
    expect(persisted).toHaveLength(0);
    selectSsse(card);
    expect(sw(card, '0020000000')).toBe('63C3');
  });
});

describe('restoreState and changeContents', () => {
  it('restore a saved state: counters and records come back, through the persistence hook', () => {
    const persisted: CardState[] = [];
    const card = testCard({ onDurableChange: (s) => persisted.push(s) });
    const seen: CardObservation[] = [];
    card.observe((o) => seen.push(o));
    const saved = card.exportState();
    selectSsse(card);
    expect(sw(card, '0020000003000000')).toBe('63C2');
    persisted.length = 0;
    card.restoreState(saved);
    expect(persisted).toHaveLength(1);
    selectSsse(card);
    expect(sw(card, '0020000000')).toBe('63C3');
    expect(seen.some((o) => o.type === 'restored')).toBe(true);
  });

  it('refuse a state of another card shape and leave the card as it was', () => {
    const card = testCard();
    const other = testCard({ workRecords: 0 }).exportState();
    const mf = other.mf as unknown as { children: unknown[] };
    mf.children = [];
    expectThrowsClass(() => card.restoreState(other), CardConfigError, /another file tree/);
    expect(selectSsse(card).sw).toBe(0x9000);
  });

  it('change a record from outside the card OS; a failing change rolls back', () => {
    const { card, seen } = watched();
    const ef06 = () => {
      const ssse = card.tree.child(FID.SSSE);
      const ef = ssse?.kind === 'df' ? ssse.child(FID.EF06) : undefined;
      if (ef?.kind !== 'ef') throw new Error('no EF06');
      return ef;
    };
    const before = ef06().record(2);
    const name = ef06().record(2)!.slice();
    name[2] = 0x41;
    card.changeContents('SSSE/EF06 record 2', () => ef06().updateRecord(2, name));
    expect(ef06().record(2)).toEqual(name);
    expect(seen.at(-1)).toMatchObject({ type: 'changed', what: 'SSSE/EF06 record 2' });
    expect(() =>
      card.changeContents('two records', (tree) => {
        ef06().updateRecord(2, before!);
        expect(tree).toBe(card.tree);
        throw new Error('half way');
      }),
    ).toThrow('half way');
    expect(ef06().record(2)).toEqual(name);
  });
});
