import { afterAll, beforeAll, expect, it } from 'vitest';
import { OperationRefusedError, nextState } from '../../../src/office/index.js';
import type { CardEvent, HistoryEntry, Registry, SscState } from '../../../src/office/index.js';
import { SscCard } from '../../../src/terminal/index.js';
import { ADMIN, WINDOW, describeBackends } from '../fixtures.js';
import { chipPin, insert, issueChip, stateOf, verifies, windowAt, windowPsam, wrongPinsAtPharmacy } from './counter.js';

/*
 * Windows racing each other and the back office on one card. On the server each window has its
 * own registry (its own connection pool, as separate processes would); on the embedded store they
 * share the one registry of the process. Whatever the order, each act is done whole or refused
 * whole, and afterwards the chip and the registry agree.
 */

const ROUNDS = 4;

/** The ok entries of a card, walked through the transition table from 'active': every step must be allowed. */
function replay(entries: HistoryEntry[]): SscState {
  let state: SscState = 'active';
  const events: Record<string, CardEvent> = {
    pin_locked: 'pin_lock',
    pin_unlock: 'pin_unlock',
    pin_reset: 'pin_reset',
    block_card: 'block',
  };
  for (const e of entries) {
    const event = events[e.operation];
    if (e.result !== 'ok' || event === undefined || (e.details as { side?: string }).side !== 'ssc') continue;
    expect((e.details as { from?: string }).from, `entry ${e.id} ${e.operation}`).toBe(state);
    const to = nextState('ssc', event, state);
    expect(to, `entry ${e.id} ${e.operation} from ${state}`).toBeDefined();
    state = to as SscState;
  }
  return state;
}

describeBackends('windows racing on one card', (backend, name) => {
  const reg = () => backend().registry;
  let other: Registry | undefined;
  beforeAll(async () => {
    if (name === 'postgres') other = await backend().reopen({ poolSize: 3 });
  });
  afterAll(async () => {
    await other?.close();
  });
  const second = () => other ?? reg();

  it(
    'two windows resetting the same card at once: serialised or refused, and the chip holds the PIN of the reset recorded last',
    { timeout: 120_000 },
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { card, chip, idNumber } = await issueChip(reg());
        if (round % 2 === 0) await wrongPinsAtPharmacy(chip);
        // One card at the counter that both windows reach (each act is one exclusive block on it).
        const channel = insert(chip);
        const pins = { 'window-a': '246810', 'window-b': '975319' } as const;
        let results: PromiseSettledResult<unknown>[];
        try {
          const shared = await SscCard.open(channel, { psam: windowPsam() });
          const desks = [
            windowAt(reg(), {}, { ...WINDOW, terminalId: 'window-a' }),
            windowAt(second(), {}, { ...WINDOW, terminalId: 'window-b' }),
          ];
          results = await Promise.allSettled(
            desks.map((desk) => {
              const pin = pins[desk.ctx.terminalId as keyof typeof pins];
              return desk.resetPin(shared, { idNumber, newPin: pin, newPinAgain: pin });
            }),
          );
        } finally {
          await channel.close();
        }
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OperationRefusedError);
        const entries = await reg().history(card.cardNumber);
        const resets = entries.filter((e) => e.operation === 'pin_reset' && e.result === 'ok');
        expect(resets.length).toBe(results.filter((r) => r.status === 'fulfilled').length);
        expect(resets.length).toBeGreaterThanOrEqual(1);
        const winner = pins[resets.at(-1)!.terminalId as keyof typeof pins];
        const status = await reg().cardStatus(card.cardNumber);
        expect(status).toMatchObject({ ssc: 'active', pinInitial: false });
        expect(replay(entries)).toBe(status.ssc);
        expect(await chipPin(chip)).toEqual({ blocked: false, triesLeft: 3 });
        expect(await verifies(chip, winner)).toBe(true);
      }
    },
  );

  it(
    'an unlock racing a block: the unlock is done before the block or refused without touching the card',
    { timeout: 120_000 },
    async () => {
      const outcomes = new Set<string>();
      for (let round = 0; round < ROUNDS; round++) {
        const { card, chip, idNumber } = await issueChip(reg());
        await wrongPinsAtPharmacy(chip);
        await reg().recordPinLocked(WINDOW, { cardNumber: card.cardNumber });
        const locked = stateOf(chip);
        const channel = insert(chip);
        let unlock: PromiseSettledResult<unknown>;
        let block: PromiseSettledResult<unknown>;
        try {
          // Alternately the block and the unlock get a head start of a few milliseconds.
          const later = <T>(ms: number, fn: () => Promise<T>): Promise<T> =>
            new Promise((resolve) => setTimeout(resolve, ms)).then(fn);
          [unlock, block] = await Promise.allSettled([
            later(round % 2 === 0 ? 0 : 10, () => windowAt(reg()).unlockPin(channel, { idNumber })),
            later(round % 2 === 0 ? 5 : 0, () =>
              second().blockCard(ADMIN, { cardNumber: card.cardNumber, side: 'ssc', reason: 'fraud' }),
            ),
          ]);
        } finally {
          await channel.close();
        }
        expect(block.status).toBe('fulfilled');
        const entries = await reg().history(card.cardNumber);
        expect(replay(entries)).toBe('blocked');
        expect((await reg().cardStatus(card.cardNumber)).ssc).toBe('blocked');
        const ops = entries.filter((e) => e.result === 'ok').map((e) => e.operation);
        if (unlock.status === 'fulfilled') {
          outcomes.add('unlock first');
          expect(ops.slice(-2)).toEqual(['pin_unlock', 'block_card']);
          expect(await chipPin(chip)).toEqual({ blocked: false, triesLeft: 3 });
        } else {
          outcomes.add('block first');
          expect(unlock.reason).toMatchObject({ code: 'CARD_STATE', state: 'blocked' });
          expect(ops).not.toContain('pin_unlock');
          expect(stateOf(chip)).toBe(locked);
        }
      }
      console.log(`unlock racing a block [${name}]: ${[...outcomes].join(', ')}`);
    },
  );
});
