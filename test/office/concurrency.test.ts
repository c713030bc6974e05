import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_TRANSITIONS, OperationRefusedError, Registry, nextState } from '../../src/office/index.js';
import type { CardEvent, CardStatus, OperationContext, SscState } from '../../src/office/index.js';
import { databaseOf } from '../../src/office/registry.js';
import { freshDatabase, pgLab } from './pg-lab.js';
import type { FreshDatabase } from './pg-lab.js';
import { crowdPersonDocument } from '../support/crowd-person.js';

/*
 * Many terminals at once against a real PostgreSQL server: CLIENTS registries (each with its own
 * connection pool, like separate window, POS and hotline processes) perform OPS random operations
 * each on a small set of cards, so that resets race resets, unlocks race blocks and issues race
 * issues of the same person. Afterwards the invariants must hold and the history must tell the
 * same story as the clients saw.
 */

const CLIENTS = Number(process.env.SSCARD_CONCURRENCY_CLIENTS ?? 16);
const OPS = Number(process.env.SSCARD_CONCURRENCY_OPS ?? 200);
const CARDS = 12;
const RACE_PEOPLE = 24;

const WINDOW: OperationContext = { terminalId: 'window-setup', role: 'window', channel: 'counter' };
const POS: OperationContext = { terminalId: 'pos-1', role: 'pos', channel: 'terminal' };

/** Deterministic per client, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function documentFor(i: number, birthYear: number): Record<string, unknown> {
  return crowdPersonDocument(i, { region: '310104', birthYear, namePrefix: '并发', initializingOrg: '31' });
}

const lab = pgLab('registry concurrency suite');

describe.runIf(lab.run)(`registry under ${CLIENTS} concurrent clients x ${OPS} operations [postgres]`, () => {
  let db: FreshDatabase;
  let setup: Registry;
  const cards: { cardNumber: string; idNumber: string }[] = [];

  beforeAll(async () => {
    lab.assertReady();
    db = await freshDatabase(lab.url, 'concurrency');
    setup = await Registry.open(db.url, { poolSize: 2 });
    for (let i = 0; i < CARDS; i++) {
      const issued = await setup.issueCard(WINDOW, { document: documentFor(i, 1970) });
      cards.push({ cardNumber: issued.card.cardNumber, idNumber: issued.card.idNumber });
    }
  }, 120_000);
  afterAll(async () => {
    await setup?.close();
    await db?.drop();
  });

  it(
    'keeps every rule, loses no history entry, and the history replays to the final states',
    { timeout: 600_000 },
    async () => {
      const counts = { ok: 0, refused: 0, byOperation: new Map<string, number>() };
      const refusedCodes = new Map<string, number>();
      const raceWins = new Map<string, number>();
      const unexpected: unknown[] = [];

      const client = async (c: number): Promise<void> => {
        const registry = await Registry.open(db.url, { poolSize: 2 });
        const random = rng(1000 + c);
        try {
          for (let n = 0; n < OPS; n++) {
            const card = cards[Math.floor(random() * cards.length)]!;
            const roll = random();
            let op: string;
            let run: () => Promise<unknown>;
            if (roll < 0.25) {
              op = 'pin_locked';
              run = () => registry.recordPinLocked({ ...POS, terminalId: `pos-${c}` }, { cardNumber: card.cardNumber });
            } else if (roll < 0.45) {
              op = 'pin_reset';
              // Half the resets set the initial PIN again, half a PIN the holder chose.
              const pinInitial = random() < 0.5;
              run = () =>
                registry.recordPinReset(
                  { ...WINDOW, terminalId: `window-${c}` },
                  { cardNumber: card.cardNumber, idNumber: card.idNumber, pinInitial },
                );
            } else if (roll < 0.65) {
              op = 'pin_unlock';
              run = () =>
                registry.recordPinUnlock(
                  { ...WINDOW, terminalId: `window-${c}` },
                  { cardNumber: card.cardNumber, idNumber: card.idNumber },
                );
            } else if (roll < 0.85) {
              op = 'pin_changed';
              run = () =>
                registry.recordPinChanged({ ...POS, terminalId: `pos-${c}` }, { cardNumber: card.cardNumber });
            } else if (roll < 0.87) {
              // Blocks race the others on two cards only, so the rest stay usable to the end.
              const target = cards[Math.floor(random() * 2)]!;
              op = 'block_card';
              run = () =>
                registry.blockCard(
                  { ...WINDOW, terminalId: `window-${c}` },
                  { cardNumber: target.cardNumber, side: 'ssc', reason: 'test' },
                );
            } else if (roll < 0.93) {
              op = 'queue_script';
              run = () =>
                registry.queueScript(
                  { ...WINDOW, terminalId: `window-${c}` },
                  { cardNumber: card.cardNumber, kind: 'marker', payload: { c, n } },
                );
            } else {
              // Several clients issue to the same few people at once: one issue each may win.
              const who = Math.floor(random() * RACE_PEOPLE);
              op = 'issue_card';
              run = async () => {
                await registry.issueCard(
                  { ...WINDOW, terminalId: `window-${c}` },
                  { document: documentFor(100 + who, 1990) },
                );
                raceWins.set(String(who), (raceWins.get(String(who)) ?? 0) + 1);
              };
            }
            counts.byOperation.set(op, (counts.byOperation.get(op) ?? 0) + 1);
            try {
              await run();
              counts.ok += 1;
            } catch (err) {
              if (err instanceof OperationRefusedError) {
                counts.refused += 1;
                refusedCodes.set(err.code, (refusedCodes.get(err.code) ?? 0) + 1);
              } else {
                unexpected.push(err);
              }
            }
          }
        } finally {
          await registry.close();
        }
      };
      const started = Date.now();
      await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      const seconds = (Date.now() - started) / 1000;

      expect(unexpected).toEqual([]);
      expect(counts.ok + counts.refused).toBe(CLIENTS * OPS);
      const q = databaseOf(setup);

      // No lost history entry: one per operation, ok and refused as the clients saw them.
      const h = await q.query<{ result: string; n: number }>(
        "SELECT result, count(*)::int AS n FROM history WHERE terminal_id <> 'window-setup' GROUP BY result",
      );
      const byResult = Object.fromEntries(h.rows.map((r) => [r.result, r.n]));
      expect(byResult).toEqual({ ok: counts.ok, refused: counts.refused });
      const reasons = await q.query<{ reason: string; n: number }>(
        "SELECT reason, count(*)::int AS n FROM history WHERE result = 'refused' GROUP BY reason",
      );
      expect(Object.fromEntries(reasons.rows.map((r) => [r.reason, r.n]))).toEqual(Object.fromEntries(refusedCodes));

      // One issue per person at most, and every winner is a live card.
      for (const [, wins] of raceWins) expect(wins).toBe(1);
      const live = await q.query<{ id_number: string; n: number }>(
        "SELECT id_number, count(*)::int AS n FROM cards WHERE ssc_status NOT IN ('replaced', 'blocked') GROUP BY id_number HAVING count(*) > 1",
      );
      expect(live.rows).toEqual([]);
      const issuedRace = await q.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM cards WHERE card_number NOT IN (SELECT unnest($1::text[]))',
        [cards.map((c) => c.cardNumber)],
      );
      expect(issuedRace.rows[0]!.n).toBe(raceWins.size);

      // No card both active and replaced on its two sides (the constraint) and no impossible state.
      const mixed = await q.query(
        "SELECT card_number FROM cards WHERE bank_status IS NOT NULL AND (ssc_status = 'replaced') <> (bank_status = 'replaced')",
      );
      expect(mixed.rows).toEqual([]);

      // Replay: per card, the ok entries in id order walk the transition table from 'active' to the
      // final state, each entry's from/to agreeing; the PIN-initial flag is the last reset/change's.
      for (const card of cards) {
        const entries = await setup.history(card.cardNumber, { limit: 100_000 });
        let state: SscState = 'active';
        let pinInitial = true;
        for (const e of entries) {
          if (e.result !== 'ok') continue;
          const d = e.details as { from?: SscState; to?: SscState; pinInitial?: boolean };
          const event: CardEvent | undefined = (
            { pin_locked: 'pin_lock', pin_unlock: 'pin_unlock', pin_reset: 'pin_reset', block_card: 'block' } as const
          )[e.operation as 'pin_locked'];
          if (event !== undefined) {
            expect(d.from).toBe(state);
            const to = nextState('ssc', event, state);
            expect(to).toBeDefined();
            expect(d.to).toBe(to);
            state = to as SscState;
          }
          if (e.operation === 'pin_reset') pinInitial = d.pinInitial as boolean;
          if (e.operation === 'pin_changed') {
            expect(state).toBe('active');
            pinInitial = false;
          }
        }
        const final: CardStatus = await setup.cardStatus(card.cardNumber);
        expect(final.ssc).toBe(state);
        expect(final.pinInitial).toBe(pinInitial);
      }
      expect(Object.keys(CARD_TRANSITIONS)).toContain('pin_reset');
      console.log(
        `concurrency: ${CLIENTS} clients x ${OPS} operations in ${seconds.toFixed(1)} s: ${counts.ok} ok, ${counts.refused} refused ` +
          `(${[...refusedCodes].map(([k, v]) => `${k} ${v}`).join(', ')}); ${raceWins.size} race issues won once each`,
      );
    },
  );
});
