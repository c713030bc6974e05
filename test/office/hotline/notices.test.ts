import { describe, expect, it } from 'vitest';
import { noticesFor, type PinChangeScript } from '../../../src/office/index.js';

/*
 * What a caller is told of the card's earlier PIN changes, from the registry's records of them
 * (noticesFor, no database): a pending change (it will be replaced), one that expired or failed
 * and was not told before; nothing for one applied, replaced or already told.
 */

const NOW = new Date('2025-03-20T09:00:00+08:00');
const DAY = 86_400_000;

/** A change made `ageDays` before NOW, valid `validDays` (null: no expiry). */
function script(id: number, change: Partial<PinChangeScript> & { ageDays?: number; validDays?: number | null }) {
  const { ageDays = 1, validDays = 30, ...fields } = change;
  const createdAt = new Date(NOW.getTime() - ageDays * DAY);
  return {
    id,
    cardNumber: 'A12345678',
    state: 'pending',
    createdAt,
    expiresAt: validDays === null ? null : new Date(createdAt.getTime() + validDays * DAY),
    settledAt: null,
    outcome: null,
    holderToldAt: null,
    payload: {} as PinChangeScript['payload'],
    ...fields,
  } satisfies PinChangeScript;
}

const told = new Date(NOW.getTime() - DAY);

describe('notices of earlier PIN changes', () => {
  it.each([
    ['pending, a day old', script(1, {}), [{ kind: 'pending', scriptId: 1, date: '2025-03-19' }]],
    [
      'pending, told already (pending is said on every call)',
      script(1, { holderToldAt: told }),
      [{ kind: 'pending', scriptId: 1, date: '2025-03-19' }],
    ],
    [
      'pending with no expiry',
      script(1, { ageDays: 400, validDays: null }),
      [{ kind: 'pending', scriptId: 1, date: '2024-02-14' }],
    ],
    [
      'pending, its expiry a millisecond away',
      script(1, { ageDays: 30 - 1 / DAY }),
      [{ kind: 'pending', scriptId: 1, date: '2025-02-18' }],
    ],
    [
      'pending, its expiry now: expired',
      script(1, { ageDays: 30 }),
      [{ kind: 'expired', scriptId: 1, date: '2025-02-18', days: 30 }],
    ],
    ['pending past expiry, told already', script(1, { ageDays: 40, holderToldAt: told }), []],
    [
      'expired, 7 days valid',
      script(1, { state: 'expired', ageDays: 9, validDays: 7, outcome: { result: 'expired' } }),
      [{ kind: 'expired', scriptId: 1, date: '2025-03-11', days: 7 }],
    ],
    [
      'expired, no expiry recorded',
      script(1, { state: 'expired', validDays: null }),
      [{ kind: 'expired', scriptId: 1, date: '2025-03-19', days: 0 }],
    ],
    ['expired, told already', script(1, { state: 'expired', holderToldAt: told }), []],
    [
      'failed on a wrong current PIN',
      script(1, { state: 'failed', outcome: { result: 'failed', reason: 'pin_incorrect', triesLeft: 2 } }),
      [{ kind: 'failed_pin', scriptId: 1, date: '2025-03-19', triesLeft: 2 }],
    ],
    [
      'failed on a wrong current PIN, the last try',
      script(1, { state: 'failed', outcome: { result: 'failed', reason: 'pin_incorrect', triesLeft: 0 } }),
      [{ kind: 'failed_pin', scriptId: 1, date: '2025-03-19', triesLeft: 0 }],
    ],
    [
      'failed, the MAC refused',
      script(1, { state: 'failed', outcome: { result: 'failed', reason: 'mac_rejected', sw: 0x6988 } }),
      [{ kind: 'failed', scriptId: 1, date: '2025-03-19' }],
    ],
    [
      'failed, pin_incorrect recorded without the tries',
      script(1, { state: 'failed', outcome: { result: 'failed', reason: 'pin_incorrect' } }),
      [{ kind: 'failed', scriptId: 1, date: '2025-03-19' }],
    ],
    [
      'failed with no outcome recorded',
      script(1, { state: 'failed' }),
      [{ kind: 'failed', scriptId: 1, date: '2025-03-19' }],
    ],
    [
      'failed, told already',
      script(1, {
        state: 'failed',
        holderToldAt: told,
        outcome: { result: 'failed', reason: 'pin_incorrect', triesLeft: 1 },
      }),
      [],
    ],
    [
      'failed, long past its expiry: still failed',
      script(1, { state: 'failed', ageDays: 40, outcome: { result: 'failed', reason: 'pin_incorrect', triesLeft: 1 } }),
      [{ kind: 'failed_pin', scriptId: 1, date: '2025-02-08', triesLeft: 1 }],
    ],
    ['applied', script(1, { state: 'applied', outcome: { result: 'applied' } }), []],
    ['applied, long past its expiry', script(1, { state: 'applied', ageDays: 40, outcome: { result: 'applied' } }), []],
    ['replaced by a newer one', script(1, { state: 'cancelled', outcome: { result: 'replaced', by: 2 } }), []],
  ] as const)('%s', (_what, one, expected) => {
    expect(noticesFor([one], NOW)).toEqual(expected);
  });

  it("the date is the change's day in China, not in UTC", () => {
    // 2025-03-18T20:00Z is 04:00 on the 19th in Beijing.
    const late = { ...script(1, {}), createdAt: new Date('2025-03-18T20:00:00Z') };
    expect(noticesFor([late], NOW)).toEqual([{ kind: 'pending', scriptId: 1, date: '2025-03-19' }]);
  });

  it('in the order they were made, whatever the order given, which is left as it was', () => {
    const given = [
      script(12, { state: 'failed', ageDays: 2 }),
      script(3, { state: 'expired', ageDays: 50 }),
      script(20, { ageDays: 1 }),
    ];
    expect(noticesFor(given, NOW).map((n) => `${n.kind} ${n.scriptId}`)).toEqual([
      'expired 3',
      'failed 12',
      'pending 20',
    ]);
    expect(given.map((s) => s.id)).toEqual([12, 3, 20]);
  });
});
