import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/apdu/index.js';
import { VPCD_WARM_UP_EXCHANGES, warmUpVpcdAnswers, warmUpVpcdAnswersInTurns } from '../../src/bridge/index.js';
import { FixedCard } from './fixed-card.js';

const COMMANDS = [fromHex('00A4000C023F00'), fromHex('00B2072C00'), fromHex('00CA000000')];

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('warmUpVpcdAnswers', () => {
  it('answers each command in turn, as whole frames, with an ATR request after each pass', () => {
    const card = new FixedCard();
    expect(warmUpVpcdAnswers(card, COMMANDS, 7)).toBe(7);
    expect(card.commands.map((c) => toHex(c))).toEqual([
      '00A4000C023F00',
      '00B2072C00',
      '00CA000000',
      '00A4000C023F00',
      '00B2072C00',
      '00CA000000',
      '00A4000C023F00',
    ]);
    // Powered on for the warm-up, off after it; the ATR request is no command.
    expect(card.controls).toEqual(['power-on', 'power-off']);
    expect(card.powered).toBe(false);
  });

  it('runs VPCD_WARM_UP_EXCHANGES by default and nothing without commands', () => {
    const card = new FixedCard();
    expect(warmUpVpcdAnswers(card, COMMANDS)).toBe(VPCD_WARM_UP_EXCHANGES);
    expect(card.commands).toHaveLength(VPCD_WARM_UP_EXCHANGES);
    const idle = new FixedCard();
    expect(warmUpVpcdAnswers(idle, [], 10)).toBe(0);
    expect(idle.commands).toHaveLength(0);
  });
});

describe('warmUpVpcdAnswersInTurns', () => {
  it('runs a slice per turn of the event loop and resolves with all exchanges', async () => {
    const card = new FixedCard();
    const warmUp = warmUpVpcdAnswersInTurns(card, COMMANDS, { exchanges: 25, exchangesPerTurn: 10 });
    // Nothing runs before the first turn: the caller goes on (connects) first.
    expect(card.commands).toHaveLength(0);
    await nextTurn();
    expect(card.commands).toHaveLength(10);
    await expect(warmUp.done).resolves.toBe(25);
    expect(card.commands).toHaveLength(25);
    expect(card.powered).toBe(false);
  });

  it('stop() ends it between turns, with the card powered off', async () => {
    const card = new FixedCard();
    const warmUp = warmUpVpcdAnswersInTurns(card, COMMANDS, { exchanges: 1000, exchangesPerTurn: 10 });
    await nextTurn();
    warmUp.stop();
    const done = await warmUp.done;
    expect(done).toBe(10);
    expect(card.commands).toHaveLength(10);
    expect(card.powered).toBe(false);
  });

  it('stop() before the first turn runs nothing', async () => {
    const card = new FixedCard();
    const warmUp = warmUpVpcdAnswersInTurns(card, COMMANDS, { exchanges: 100 });
    warmUp.stop();
    await expect(warmUp.done).resolves.toBe(0);
    expect(card.commands).toHaveLength(0);
    expect(card.controls).toEqual([]);
  });
});
