import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/apdu/index.js';
import { buildSscCard, samplePerson } from '../../../src/card-sim/index.js';
import { CardChannel, InvalidArgumentError, MemoryTransport } from '../../../src/terminal/index.js';
import { SscSession, sessionOf } from '../../../src/terminal/ssc/session.js';

const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF00';
const SELECT_BANK = '00A4040008A00000033301010100';
const SELECT_DF02 = '00A4000C02DF02';
const SELECT_DF10 = '00A4000C02DF10';
const READ_EF05_1 = '00B2012C00';
const READ_EF05_3 = '00B2032C00';

async function started(): Promise<{ session: SscSession; channel: CardChannel; sent: string[] }> {
  const sim = buildSscCard(samplePerson('zhang-wei'), { transmission: 'T=1' });
  const sent: string[] = [];
  const transport = new MemoryTransport(
    (bytes) => {
      sent.push(toHex(bytes));
      return sim.transmit(bytes);
    },
    { atr: sim.atr },
  );
  sim.powerOn();
  const channel = new CardChannel(transport);
  const { session } = await channel.exclusive((s) => SscSession.start(s, channel, undefined));
  return { session, channel, sent };
}

describe('SscSession', () => {
  it('starts in SSSE: selects it by name and reads the spec version', async () => {
    const { session, sent } = await started();
    expect(sent).toEqual([SELECT_SSSE, READ_EF05_3]);
    expect(session.algorithm).toBe('3des');
  });

  it('selects only what is not selected yet: a DF from its application root, else the application first', async () => {
    const { session, channel, sent } = await started();
    sent.length = 0;
    await channel.exclusive(async (s) => {
      await session.goTo(s, 'ssse');
      await session.goTo(s, 'df10');
      await session.goTo(s, 'df10');
      await session.goTo(s, 'df02');
      await session.goTo(s, 'bank');
      await session.goTo(s, 'df10');
    });
    expect(sent).toEqual([SELECT_DF10, SELECT_SSSE, SELECT_DF02, SELECT_BANK, SELECT_SSSE, SELECT_DF10]);
  });

  it('forgets where the card stands after a reset', async () => {
    const { session, channel, sent } = await started();
    await channel.reset();
    sent.length = 0;
    await channel.exclusive((s) => session.goTo(s, 'ssse'));
    expect(sent).toEqual([SELECT_SSSE]);
  });

  it('reads the card identifier once and goes back to the DF it was in', async () => {
    const { session, channel, sent } = await started();
    await channel.exclusive((s) => session.goTo(s, 'df10'));
    sent.length = 0;
    const first = await channel.exclusive((s) => session.identifier(s));
    expect(first).toBe(samplePerson('zhang-wei').card.identifier);
    expect(sent).toEqual([SELECT_SSSE, READ_EF05_1, SELECT_DF10]);
    sent.length = 0;
    expect(await channel.exclusive((s) => session.identifier(s))).toBe(first);
    expect(sent).toEqual([]);
  });

  it('has no session for an object SscCard.open did not make', () => {
    expect(() => sessionOf({})).toThrow(InvalidArgumentError);
  });
});
