import { expect } from 'vitest';
import { buildSscCard, samplePerson, type SimulatedCard } from '../../src/card-sim/index.js';
import {
  InitialPinInEffectError,
  MemoryTransport,
  SscCard,
  type SscCardOptions,
  type TraceEvent,
} from '../../src/terminal/index.js';

/** An SscCard opened over a memory transport on a simulated sample card, with its trace. */
export interface Rig {
  sim: SimulatedCard;
  transport: MemoryTransport;
  card: SscCard;
  trace: TraceEvent[];
}

/** Opens the sample card of `person` (T=1 unless `transmission` says otherwise), tracing every exchange. */
export async function rig(person: string, opts: SscCardOptions & { transmission?: 'T=0' | 'T=1' } = {}): Promise<Rig> {
  const sim = buildSscCard(samplePerson(person), { transmission: opts.transmission ?? 'T=1' });
  const transport = new MemoryTransport(sim);
  const trace: TraceEvent[] = [];
  const card = await SscCard.open(transport, { ...opts, trace: (e) => trace.push(e) });
  return { sim, transport, card, trace };
}

/** The PIN {@link unlock} changes the initial one to. */
export const NEW_PIN = '135790';

/** Takes the card past the initial-PIN policy: verify (refused by policy), change, verify the new one. */
export async function unlock(card: SscCard): Promise<void> {
  await expect(card.verifyPin('123456')).rejects.toBeInstanceOf(InitialPinInEffectError);
  await card.changePin('123456', NEW_PIN);
  await card.verifyPin(NEW_PIN);
}
