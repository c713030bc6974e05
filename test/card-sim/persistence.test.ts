import { describe, expect, it } from 'vitest';
import { SimulatedCard, type CardState } from '../../src/card-sim/index.js';
import { send, sw } from '../support/card-exchange.js';
import { appTries } from '../support/card-image.js';
import { KID, apdu, buildTestTree, externalAuth, selectSsse, workRecord } from './fixtures.js';

function keyTries(state: CardState, kid: number): number {
  const ssse = state.mf.children[0] as { keys: { id: number; triesLeft: number }[] };
  return ssse.keys.find((k) => k.id === kid)!.triesLeft;
}

/** A card whose hook records every state; `failAt` = the 1-based hook call that throws. */
function recordingCard(): { card: SimulatedCard; states: CardState[]; failAt: { call?: number } } {
  const states: CardState[] = [];
  const failAt: { call?: number } = {};
  let calls = 0;
  const card = new SimulatedCard({
    tree: buildTestTree(),
    powered: true,
    onDurableChange: (state) => {
      calls += 1;
      if (failAt.call === calls) throw new Error('power lost while writing');
      states.push(JSON.parse(JSON.stringify(state)) as CardState);
    },
  });
  return { card, states, failAt };
}

describe('persistence hook', () => {
  it('is called with the spent try before the comparison, even for the right PIN', () => {
    const { card, states } = recordingCard();
    selectSsse(card);
    expect(states).toHaveLength(0); // SELECT changes nothing durable
    expect(sw(card, '0020000003123456')).toBe('9000');
    expect(states.map(appTries)).toEqual([2, 3]); // spend, then restore
    expect(sw(card, '0020000003000000')).toBe('63C2');
    expect(states.map(appTries)).toEqual([2, 3, 2]);
    send(card, '0020000000'); // empty VERIFY changes nothing
    send(card, '00B2072C00');
    expect(states).toHaveLength(3);
  });

  it('is called for record writes and key counters', () => {
    const { card, states } = recordingCard();
    selectSsse(card);
    send(card, '00A4000C02DF02');
    expect(externalAuth(card, KID.UK)).toBe(0x9000);
    expect(states.map((s) => keyTries(s, KID.UK))).toEqual([2, 3]);
    expect(sw(card, apdu('00E20038', workRecord('E000003', '20240101', 'x')))).toBe('9000');
    const last = states[states.length - 1]!;
    const df02 = (
      last.mf.children[0] as unknown as { children: { fid: string; children?: { records: string[] }[] }[] }
    ).children.find((c) => c.fid === 'DF02');
    expect(df02?.children?.[0]?.records[0]).toMatch(/^45303030303033/);
  });

  it('tear after the try is spent: 6581, the card and a card loaded from the last persisted state both show the try spent', () => {
    const { card, states, failAt } = recordingCard();
    selectSsse(card);
    failAt.call = 2; // the spend is persisted, the restore after the match is not
    expect(sw(card, '0020000003123456')).toBe('6581');
    expect(states.map(appTries)).toEqual([2]);
    expect(card.securityState().verifiedPins).toEqual([]);
    selectSsse(card);
    expect(sw(card, '0020000000')).toBe('63C2'); // rolled back to what was persisted
    const reloaded = SimulatedCard.fromState(states[states.length - 1], { powered: true });
    selectSsse(reloaded);
    expect(sw(reloaded, '0020000000')).toBe('63C2');
    expect(sw(reloaded, '0020000003123456')).toBe('9000');
  });

  it('tear before the spend is durable: 6581 whatever the PIN, nothing compared, nothing spent', () => {
    for (const pin of ['123456', '999999']) {
      const { card, states, failAt } = recordingCard();
      selectSsse(card);
      failAt.call = 1;
      expect(sw(card, `0020000003${pin}`)).toBe('6581');
      expect(states).toHaveLength(0);
      selectSsse(card);
      expect(sw(card, '0020000000')).toBe('63C3');
    }
  });

  it('a failed write leaves the record as it was persisted', () => {
    const { card, failAt } = recordingCard();
    selectSsse(card);
    send(card, '00A4000C02DF02');
    expect(externalAuth(card, KID.UK)).toBe(0x9000);
    failAt.call = 3;
    expect(sw(card, apdu('00E20038', workRecord('E000003', '20240101', 'x')))).toBe('6581');
    selectSsse(card);
    send(card, '0020000003123456');
    send(card, '00A4000C02DF02');
    expect(send(card, '00B2013C00').data.subarray(0, 7)).toEqual(new TextEncoder().encode('E000002'));
  });

  it('a hook failure during EXTERNAL AUTHENTICATE answers 6581 and leaves the key unauthenticated', () => {
    const { card, failAt } = recordingCard();
    selectSsse(card);
    failAt.call = 1;
    expect(externalAuth(card, KID.RK)).toBe(0x6581);
    selectSsse(card);
    expect(sw(card, '00B2013400')).toBe('6982');
    expect(keyTries(card.exportState(), KID.RK)).toBe(3); // the unpersisted spend was rolled back
  });
});

describe('VERIFY from inside a persistence hook', () => {
  /**
   * Two cards at the SSSE: `card` runs `hook(other)` while each of its durable changes is saved,
   * so a VERIFY on `other` starts while `card`'s try is being compared.
   */
  function cardsWithHook(hook: (other: SimulatedCard) => void): { card: SimulatedCard; other: SimulatedCard } {
    const other = new SimulatedCard({ tree: buildTestTree(), powered: true });
    selectSsse(other);
    const card = new SimulatedCard({ tree: buildTestTree(), powered: true, onDurableChange: () => hook(other) });
    selectSsse(card);
    return { card, other };
  }

  it('gives each card its own PIN digits: a VERIFY sent to another card while a try is being saved', () => {
    const inner: string[] = [];
    // A wrong PIN on the other card, while this card holds the right one being compared.
    const { card, other } = cardsWithHook((o) => {
      if (inner.length < 2) inner.push(sw(o, '0020000003654321'));
    });
    expect(sw(card, '0020000003123456')).toBe('9000');
    expect(inner).toEqual(['63C2', '63C1']);
    expect(sw(other, '0020000003123456')).toBe('9000');
  });

  it('keeps the digits of the try being saved when the hook sends several VERIFYs to another card', () => {
    const inner: string[] = [];
    // Two tries of the same length on the other card within one save of this card's try.
    const { card } = cardsWithHook((o) => {
      if (inner.length === 0) inner.push(sw(o, '0020000003654321'), sw(o, '0020000003654321'));
    });
    expect(sw(card, '0020000003123456')).toBe('9000');
    expect(inner).toEqual(['63C2', '63C1']);
  });
});

describe('persistence of a counter change as a delta (onDurableDelta)', () => {
  function deltaCard(failDelta: { at?: number } = {}): {
    card: SimulatedCard;
    deltas: Array<{ df: string[]; pin: string; triesLeft: number }>;
    states: CardState[];
  } {
    const deltas: Array<{ df: string[]; pin: string; triesLeft: number }> = [];
    const states: CardState[] = [];
    const card = new SimulatedCard({
      tree: buildTestTree(),
      powered: true,
      onDurableChange: (state) => {
        states.push(JSON.parse(JSON.stringify(state)) as CardState);
      },
      onDurableDelta: (delta) => {
        if (failDelta.at === deltas.length + 1) throw new Error('power lost while appending');
        deltas.push({ df: delta.df, pin: delta.pin, triesLeft: delta.triesLeft });
      },
    });
    return { card, deltas, states };
  }

  it('gets each spent and restored try, before the answer, and the whole state for anything else', () => {
    const { card, deltas, states } = deltaCard();
    selectSsse(card);
    expect(sw(card, '0020000003000000')).toBe('63C2');
    expect(sw(card, '0020000003123456')).toBe('9000');
    const ssse = (card.exportState().mf.children[0] as { fid: string }).fid;
    expect(deltas).toEqual([
      { df: [ssse], pin: deltas[0]?.pin, triesLeft: 2 },
      { df: [ssse], pin: deltas[0]?.pin, triesLeft: 1 },
      { df: [ssse], pin: deltas[0]?.pin, triesLeft: 3 },
    ]);
    expect(states).toHaveLength(0);
    send(card, '00A4000C02DF02');
    expect(externalAuth(card, KID.UK)).toBe(0x9000);
    expect(states.map((s) => keyTries(s, KID.UK))).toEqual([2, 3]);
    // The full states carry the counters the deltas set.
    expect(appTries(states[0]!)).toBe(3);
  });

  it('answers 6581 and rolls the counter back to the last written one when the delta cannot be written', () => {
    const { card, deltas } = deltaCard({ at: 2 });
    selectSsse(card);
    expect(sw(card, '0020000003000000')).toBe('63C2');
    expect(sw(card, '0020000003000000')).toBe('6581');
    expect(deltas.map((d) => d.triesLeft)).toEqual([2]);
    expect(appTries(card.exportState())).toBe(2);
  });

  it('is refused without onDurableChange', () => {
    expect(() => new SimulatedCard({ tree: buildTestTree(), onDurableDelta: () => {} })).toThrow(/onDurableChange/);
  });
});
