import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SscardError, encodeResponse, type CommandApdu } from '../../src/apdu/index.js';
import { type SimulatedCard, samplePerson, buildSscCard } from '../../src/card-sim/index.js';
import { CardChannel, MemoryTransport, SoftwarePsam, SscCard } from '../../src/terminal/index.js';

/*
 * A scripted card that answers with random and adversarial bytes: endless 61xx, 6Cxx loops, 0- and
 * 1-byte answers, huge answers, answers that are not bytes, failures, late answers and no answer
 * at all. Whatever it does, every SDK call must settle within its time budget, and every failure
 * must be an SscardError with a code.
 */

type Behaviour =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'sw'; sw: number; data: Uint8Array }
  | { kind: 'huge'; sw: number }
  | { kind: 'never' }
  | { kind: 'throw' }
  | { kind: 'reject-non-error' }
  | { kind: 'not-bytes' }
  | { kind: 'late'; ms: number; then: Behaviour }
  /** Passes the command to a real simulated card and returns its answer. */
  | { kind: 'honest' }
  /** The real card's answer with one byte replaced, or cut short. */
  | { kind: 'corrupt'; at: number; value: number; cut: boolean };

const adversarialSw = fc.oneof(
  fc.integer({ min: 0x6100, max: 0x61ff }),
  fc.integer({ min: 0x6c00, max: 0x6cff }),
  fc.constantFrom(0x9000, 0x6a83, 0x6982, 0x6983, 0x63c0, 0x63c2, 0x6700, 0x6f00, 0x6282),
  fc.integer({ min: 0, max: 0xffff }),
);

const plain: fc.Arbitrary<Behaviour> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 1 }) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('sw' as const),
      sw: adversarialSw,
      data: fc.uint8Array({ maxLength: 130 }),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('huge' as const), sw: fc.constantFrom(0x9000, 0x61ff, 0x6100) }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'never' } as const), weight: 1 },
  { arbitrary: fc.constant({ kind: 'throw' } as const), weight: 1 },
  { arbitrary: fc.constant({ kind: 'reject-non-error' } as const), weight: 1 },
  { arbitrary: fc.constant({ kind: 'not-bytes' } as const), weight: 1 },
);

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  { arbitrary: plain, weight: 5 },
  {
    arbitrary: fc.record({ kind: fc.constant('late' as const), ms: fc.integer({ min: 0, max: 4 }), then: plain }),
    weight: 1,
  },
);

/** Mostly a real card, sometimes corrupted or hostile: reaches deep into SscCard's parsing. */
const mostlyHonest: fc.Arbitrary<Behaviour> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'honest' } as const), weight: 12 },
  {
    arbitrary: fc.record({
      kind: fc.constant('corrupt' as const),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
      cut: fc.boolean(),
    }),
    weight: 3,
  },
  { arbitrary: behaviour, weight: 1 },
);

/** The script is replayed cyclically, so a one-step script like [61xx] means "61xx forever". */
const script = fc.array(behaviour, { minLength: 1, maxLength: 12 });

function act(b: Behaviour, cmd: Uint8Array, card: SimulatedCard | undefined): Uint8Array | Promise<Uint8Array> {
  switch (b.kind) {
    case 'honest':
      return card === undefined ? encodeResponse(new Uint8Array(0), 0x9000) : card.transmit(cmd);
    case 'corrupt': {
      const real = card === undefined ? encodeResponse(new Uint8Array(0), 0x9000) : card.transmit(cmd);
      const i = b.at % real.length;
      if (b.cut) return real.slice(0, i);
      const out = real.slice();
      out[i] = b.value;
      return out;
    }
    case 'bytes':
      return b.bytes;
    case 'sw':
      return encodeResponse(b.data, b.sw);
    case 'huge':
      return encodeResponse(new Uint8Array(70_000).fill(0x5a), b.sw);
    case 'never':
      return new Promise<Uint8Array>(() => {});
    case 'throw':
      throw new TypeError('card firmware exploded');
    case 'reject-non-error':
      return Promise.reject('a string, not an Error');
    case 'not-bytes':
      return [0x90, 0x00] as unknown as Uint8Array;
    case 'late':
      return new Promise<Uint8Array>((resolve, reject) =>
        setTimeout(() => {
          try {
            Promise.resolve(act(b.then, cmd, card)).then(resolve, reject);
          } catch (e) {
            reject(e);
          }
        }, b.ms),
      );
  }
}

function hostileResponder(
  steps: Behaviour[],
  card?: SimulatedCard,
): (cmd: Uint8Array) => Uint8Array | Promise<Uint8Array> {
  let i = 0;
  if (card !== undefined && !card.powered) card.powerOn();
  return (cmd) => act(steps[i++ % steps.length] as Behaviour, cmd, card);
}

type Outcome = { settled: true; error?: unknown } | { settled: false };

/** Settles `p` against a watchdog: a call still pending after `ms` counts as a hang. */
async function within(p: Promise<unknown>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  const outcome = p.then(
    (): Outcome => ({ settled: true }),
    (error: unknown): Outcome => ({ settled: true, error }),
  );
  try {
    return await Promise.race([outcome, watchdog]);
  } finally {
    clearTimeout(timer);
  }
}

function expectTyped(outcome: Outcome): void {
  expect(outcome.settled).toBe(true);
  if (outcome.settled && 'error' in outcome) {
    expect(outcome.error).toBeInstanceOf(SscardError);
    expect((outcome.error as SscardError).code).toMatch(/^[A-Z][A-Z_]+$/);
  }
}

const TIMEOUT_MS = 25;

const command: fc.Arbitrary<CommandApdu> = fc
  .record({
    cla: fc.constantFrom(0x00, 0x01, 0x80, 0x84, 0x45),
    ins: fc.constantFrom(0xa4, 0xb2, 0xb0, 0x20, 0xca, 0x84, 0xdc),
    p1: fc.integer({ min: 0, max: 255 }),
    p2: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 40 }),
    ne: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
  })
  .map((c) => {
    const out: CommandApdu = { cla: c.cla, ins: c.ins, p1: c.p1, p2: c.p2, data: c.data };
    if (c.ne !== undefined) out.ne = c.ne;
    return out;
  });

describe('a hostile card never hangs the SDK and never produces an untyped error', () => {
  it('channel: transmit and send', async () => {
    await fc.assert(
      fc.asyncProperty(
        script,
        fc.array(fc.tuple(command, fc.boolean()), { minLength: 1, maxLength: 3 }),
        async (steps, calls) => {
          const channel = new CardChannel(new MemoryTransport(hostileResponder(steps)), {
            timeoutMs: TIMEOUT_MS,
            maxGetResponseRounds: 16,
            maxResponseBytes: 4096,
          });
          for (const [cmd, check] of calls) {
            // One command's whole GET RESPONSE chain shares its time limit.
            const outcome = await within(check ? channel.send(cmd) : channel.transmit(cmd), TIMEOUT_MS + 500);
            expectTyped(outcome);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('SscCard: open and every read, PIN and write operation', async () => {
    type Op = (card: SscCard) => Promise<unknown>;
    const ops: Array<[string, Op]> = [
      ['readCardInfo', (c) => c.readCardInfo()],
      ['readCardholder', (c) => c.readCardholder()],
      ['pinStatus', (c) => c.pinStatus()],
      ['verifyPin', (c) => c.verifyPin('135790')],
      ['changePin', (c) => c.changePin('135790', '246801')],
      ['readWorkRecord', (c) => c.readWorkRecord()],
      ['readHealth', (c) => c.readHealth()],
      ['readContraindications', (c) => c.readContraindications()],
      ['readMedicalHistory', (c) => c.readMedicalHistory()],
      [
        'appendMedicalHistory',
        (c) => c.appendMedicalHistory({ date: '2024-01-02', icd10: 'J06.900', diagnosis: 'x', institution: 'y' }),
      ],
      ['bank.verifyPin', (c) => c.bank.verifyPin('888888')],
      ['bank.pinTriesLeft', (c) => c.bank.pinTriesLeft()],
    ];
    const psam = SoftwarePsam.withTestKeys(['HEALTH', 'RKSSSE']);
    const person = fc.constantFrom('zhang-wei', 'li-xiuying', 'abdurahman');
    let reached = 0;
    let succeeded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(mostlyHonest, { minLength: 1, maxLength: 40 }),
        person,
        fc.constantFrom<'T=0' | 'T=1'>('T=0', 'T=1'),
        fc.array(fc.constantFrom(...ops), { minLength: 1, maxLength: 4 }),
        async (steps, who, transmission, chosen) => {
          const sim = buildSscCard(samplePerson(who), { transmission });
          const transport = new MemoryTransport(hostileResponder(steps, sim));
          let card: SscCard | undefined;
          const opened = await within(
            SscCard.open(transport, {
              timeoutMs: TIMEOUT_MS,
              maxGetResponseRounds: 16,
              maxResponseBytes: 4096,
              psam,
              refuseInitialPin: false,
            }).then((c) => {
              card = c;
            }),
            3000,
          );
          expectTyped(opened);
          if (card === undefined) return;
          for (const [, op] of chosen) {
            reached++;
            // Bounded by the number of commands an operation may send (at most ~260) times their time.
            const outcome = await within(op(card), 10_000);
            expectTyped(outcome);
            if (outcome.settled && !('error' in outcome)) succeeded++;
          }
        },
      ),
      { numRuns: 150 },
    );
    // The property is only meaningful if operations ran, and some of them got through.
    expect(reached).toBeGreaterThan(100);
    expect(succeeded).toBeGreaterThan(10);
  });
});
