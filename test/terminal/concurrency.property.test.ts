import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, encodeResponse } from '../../src/apdu/index.js';
import { CardChannel, MemoryTransport, type CardSession } from '../../src/terminal/index.js';
import { ScriptedCard } from './scripted-card.js';

/*
 * Many callers on one card, with fast-check's scheduler deciding in which order the card's answers
 * and the callers' starts resolve. The card is a T=0-style card with ONE pending-response buffer,
 * like a real chip: if two callers' commands interleaved, a GET RESPONSE would fetch someone
 * else's data, and an exclusive block would see foreign commands between its own.
 */

interface Plan {
  /** Run as one exclusive block (else: independent single commands). */
  exclusive: boolean;
  /** Inside the block, send all commands at once instead of one after the other. */
  concurrentInside: boolean;
  /** Per command: does the card answer it with 61xx (so a GET RESPONSE must follow)? */
  chained: boolean[];
}

const plan: fc.Arbitrary<Plan> = fc.record({
  exclusive: fc.boolean(),
  concurrentInside: fc.boolean(),
  chained: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
});

/** Command data identifies its sender: [caller, step]. */
function command(caller: number, step: number, chained: boolean): Uint8Array {
  return Uint8Array.of(0x00, 0xca, 0x00, chained ? 0x01 : 0x00, 0x02, caller, step, 0x00);
}

describe('serialization (fast-check scheduler)', () => {
  it('callers never interleave: blocks stay contiguous, every GET RESPONSE follows its own command', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(plan, { minLength: 2, maxLength: 6 }), async (s, plans) => {
        /** Commands the card saw, as [caller, step] (GET RESPONSE as [-1, -1]). */
        const seen: Array<[number, number]> = [];
        let pending: Uint8Array | undefined;
        const card = new ScriptedCard((cmd) => {
          let answer: Uint8Array;
          if (cmd?.ins === 0xc0) {
            seen.push([-1, -1]);
            answer =
              pending === undefined ? encodeResponse(new Uint8Array(0), 0x6985) : encodeResponse(pending, 0x9000);
            pending = undefined;
          } else {
            const [caller = -1, step = -1] = cmd?.data ?? [];
            seen.push([caller, step]);
            const echo = Uint8Array.of(caller, step, 0xee);
            pending = undefined;
            if (cmd?.p2 === 0x01) {
              pending = echo;
              answer = encodeResponse(new Uint8Array(0), 0x6103);
            } else {
              answer = encodeResponse(echo, 0x9000);
            }
          }
          // The scheduler decides when this answer arrives relative to everything else.
          return s.schedule(Promise.resolve(answer), `answer to ${seen.at(-1)?.join('/')}`);
        });
        const channel = new CardChannel(new MemoryTransport(card), { timeoutMs: 60_000 });

        const answers: Array<Array<Uint8Array>> = plans.map(() => []);
        const run = async (caller: number, p: Plan): Promise<void> => {
          const step = async (via: CardSession | CardChannel, i: number): Promise<void> => {
            const r = await via.transmit(command(caller, i, p.chained[i] as boolean));
            (answers[caller] as Uint8Array[])[i] = r.data;
          };
          if (p.exclusive) {
            await channel.exclusive(async (session) => {
              if (p.concurrentInside) await Promise.all(p.chained.map((_, i) => step(session, i)));
              else for (let i = 0; i < p.chained.length; i++) await step(session, i);
            });
          } else {
            await Promise.all(p.chained.map((_, i) => step(channel, i)));
          }
        };
        const done = plans.map((p, caller) =>
          s.schedule(Promise.resolve(caller), `start caller ${caller}`).then(() => run(caller, p)),
        );
        // Releases scheduled answers and starts, in the scheduler's order, until every caller is done.
        await s.waitFor(Promise.all(done));

        // Every caller got its own answers.
        plans.forEach((p, caller) => {
          p.chained.forEach((_, i) => {
            expect(bytesEqual(answers[caller]?.[i] ?? new Uint8Array(0), Uint8Array.of(caller, i, 0xee))).toBe(true);
          });
        });
        // Every GET RESPONSE directly follows a chained command.
        seen.forEach(([caller], idx) => {
          if (caller !== -1) return;
          const before = seen[idx - 1];
          expect(before).toBeDefined();
          expect(before?.[0]).not.toBe(-1);
        });
        // An exclusive caller's commands are one contiguous run (GET RESPONSE aside).
        const commands = seen.filter(([c]) => c !== -1);
        plans.forEach((p, caller) => {
          if (!p.exclusive) return;
          const positions = commands.flatMap(([c], i) => (c === caller ? [i] : []));
          expect(positions.length).toBe(p.chained.length);
          expect((positions.at(-1) as number) - (positions[0] as number)).toBe(positions.length - 1);
        });
      }),
      { numRuns: 80 },
    );
  });
});
