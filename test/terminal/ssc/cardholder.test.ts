import { describe, expect, it } from 'vitest';
import { buildSscCard, samplePerson, SimulatedCard, type CardState } from '../../../src/card-sim/index.js';
import {
  MemoryTransport,
  SoftwarePsam,
  SscCard,
  type SecureModule,
  type TraceEvent,
} from '../../../src/terminal/index.js';

/*
 * readCardInfo on 3.00 cards reads EF0D (人员识别号, 初次申请地代码) after external authentication
 * with key 0D when the secure module holds that key; readInsurance finds the participation where
 * cards made before keep it (DF03/EF05).
 */

async function open(sim: SimulatedCard, psam?: SecureModule): Promise<{ card: SscCard; trace: TraceEvent[] }> {
  sim.powerOn();
  const trace: TraceEvent[] = [];
  const card = await SscCard.open(new MemoryTransport(sim), {
    refuseInitialPin: false,
    trace: (e) => trace.push(e),
    ...(psam === undefined ? {} : { psam }),
  });
  return { card, trace };
}

const auths = (trace: TraceEvent[]): number[] =>
  trace.filter((e) => e.command.name === 'EXTERNAL AUTHENTICATE').map((e) => e.command.p2);

describe('readCardInfo and EF0D', () => {
  it('a 3.00 card with a secure module holding RKEF0D: person identifier and first application region', async () => {
    const doc = samplePerson('wang-yan');
    const { card, trace } = await open(buildSscCard(doc), SoftwarePsam.withTestKeys(['RKEF0D']));
    const info = await card.readCardInfo();
    expect(info.cardIdentifier).toBe('440305D1560000059001570042FFFFFF');
    expect(info.regionCode).toBe('440305');
    expect(info.personId).toBe(`440305${doc.person.idNumber.slice(-6)}`);
    expect(info.firstApplicationRegion).toBe('440305');
    expect(auths(trace)).toEqual([0x0d]);
  });

  it('without RKEF0D, or on a 2.00 card, EF0D is not read and its fields are absent', async () => {
    const v3 = await open(buildSscCard(samplePerson('li-xiuying')), SoftwarePsam.withTestKeys(['RKSSSE']));
    const info = await v3.card.readCardInfo();
    expect('personId' in info || 'firstApplicationRegion' in info).toBe(false);
    expect(auths(v3.trace)).toEqual([]);
    const v2 = await open(buildSscCard(samplePerson('zhang-wei')), SoftwarePsam.withTestKeys(['RKEF0D']));
    expect((await v2.card.readCardInfo()).personId).toBeUndefined();
    expect(auths(v2.trace)).toEqual([]);
  });
});

describe('readInsurance', () => {
  it('reads DF03/EF08, and DF03/EF05 on a card made before the §7 items took EF05', async () => {
    const doc = samplePerson('zhang-wei');
    const now = await open(buildSscCard(doc));
    await now.card.verifyPin('123456');
    const expected = await now.card.readInsurance();
    expect(expected.pension.status).toBe('participating');

    // The same card as an older image: the participation in DF03/EF05 (SFI 5), no §7 files.
    const state = buildSscCard(doc).exportState() as CardState;
    const ssse = state.mf.children.find((c) => c.type === 'df' && c.label === 'SSSE') as CardState['mf'];
    const df03 = ssse.children.find((c) => c.type === 'df' && c.fid === 'DF03') as CardState['mf'];
    const insurance = df03.children.find((c) => c.type === 'ef' && c.fid === 'EF08');
    if (insurance === undefined || insurance.type !== 'ef') throw new Error('no DF03/EF08 in the state');
    df03.children = [{ ...insurance, fid: 'EF05', sfi: 5, label: 'EF05' }];
    const old = await open(SimulatedCard.fromState(state));
    await old.card.verifyPin('123456');
    expect(await old.card.readInsurance()).toEqual(expected);
  });
});
