import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/apdu/index.js';
import { buildSscCard, samplePerson } from '../../src/card-sim/index.js';
import { SIM_WARM_UP_COMMANDS, warmUpServedCard } from '../../src/cli/actions/sim-warm-up.js';

describe('sim serve warm-up', () => {
  it('runs on a copy: the served card keeps its power, contents and current state', async () => {
    const card = buildSscCard(samplePerson('zhang-wei'));
    const before = card.exportState();
    const warmUp = warmUpServedCard(card, { exchanges: 600, exchangesPerTurn: 200 });
    await expect(warmUp.done).resolves.toBe(600);
    expect(card.powered).toBe(false);
    expect(card.exportState()).toEqual(before);
  });

  it('the warm-up commands take the card OS paths they are meant to (answers, not 6F00 or 6D00)', () => {
    const card = buildSscCard(samplePerson('zhang-wei'));
    card.powerOn();
    const sws = SIM_WARM_UP_COMMANDS.map((c) => toHex(card.transmit(c).subarray(-2)));
    expect(sws).toEqual(['9000', '9000', '9000', '9000', '6A88', '6A82']);
  });

  it('leaves a powered served card powered (only its copy is powered off)', async () => {
    const card = buildSscCard(samplePerson('zhang-wei'));
    card.powerOn();
    await warmUpServedCard(card, { exchanges: 6 }).done;
    expect(card.powered).toBe(true);
  });
});
