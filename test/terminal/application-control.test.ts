import { describe, expect, it } from 'vitest';
import { samplePerson, buildSscCard, inspectSscTree } from '../../src/card-sim/index.js';
import { issuerTestMasterKey } from '../../src/keys/index.js';
import {
  APPLICATION_CONTROL_KEYS,
  ApplicationBlockedError,
  ApplicationControl,
  IssuerKeyMissingError,
  IssuerMacRejectedError,
  MemoryTransport,
  SoftwarePsam,
  SscCard,
  type TraceEvent,
} from '../../src/terminal/index.js';

/** A financial card whose bank application is personalized inactive, as the registry issues them. */
function newFinancialCard() {
  const doc = { ...samplePerson('wang-yan'), bankApplication: { state: 'inactive' as const } };
  return buildSscCard(doc);
}

describe('ApplicationControl', () => {
  it('each application has its own control key', () => {
    expect(APPLICATION_CONTROL_KEYS).toEqual({ ssse: 'APP_CONTROL', bank: 'BANK_APP_CONTROL' });
  });

  it('activates an inactive bank application at the bank (APPLICATION UNBLOCK under BANK_APP_CONTROL)', async () => {
    const sim = newFinancialCard();
    expect(inspectSscTree(sim.tree).applications).toEqual({ ssse: 'usable', bank: 'temporary' });
    const trace: TraceEvent[] = [];
    const card = await SscCard.open(new MemoryTransport(sim), { trace: (t) => void trace.push(t) });
    await expect(card.bank.verifyPin('246810')).rejects.toBeInstanceOf(ApplicationBlockedError);
    const branch = ApplicationControl.forCard(card, SoftwarePsam.withTestKeys(['BANK_APP_CONTROL']));
    expect(branch.canControl('bank')).toBe(true);
    expect(branch.canControl('ssse')).toBe(false);
    trace.length = 0;
    expect(await branch.unblock('bank')).toBe('unblocked');
    expect(trace.map((t) => `${t.command.name} ${t.response?.sw.toString(16)}`)).toEqual([
      // The card identifier (the diversification input) from EF05, then the bank application.
      'SELECT 9000',
      'READ RECORD 9000',
      'SELECT 6a81',
      'GET CHALLENGE 9000',
      'APPLICATION UNBLOCK 9000',
    ]);
    // The session knows it was moved: the holder's reads and the bank PIN work at once.
    expect((await card.readCardInfo()).cardNumber).toBe(samplePerson('wang-yan').card.number);
    await card.bank.verifyPin('246810');
    expect(await branch.unblock('bank')).toBe('not_blocked');
    await card.close();
    expect(inspectSscTree(sim.tree).applications).toEqual({ ssse: 'usable', bank: 'usable' });
  });

  it('refuses without the key (nothing sent) and with another issuer key (the card refuses the MAC)', async () => {
    const sim = newFinancialCard();
    const trace: TraceEvent[] = [];
    const card = await SscCard.open(new MemoryTransport(sim), { trace: (t) => void trace.push(t) });
    trace.length = 0;
    await expect(
      ApplicationControl.forCard(card, SoftwarePsam.withTestKeys(['APP_CONTROL'])).unblock('bank'),
    ).rejects.toBeInstanceOf(IssuerKeyMissingError);
    expect(trace).toEqual([]);
    const forged = new SoftwarePsam({ BANK_APP_CONTROL: issuerTestMasterKey('APP_CONTROL') });
    await expect(ApplicationControl.forCard(card, forged).unblock('bank')).rejects.toBeInstanceOf(
      IssuerMacRejectedError,
    );
    expect(inspectSscTree(sim.tree).applications.bank).toBe('temporary');
    await card.close();
  });

  it('a permanent block is final', async () => {
    const sim = buildSscCard(samplePerson('li-xiuying'));
    const card = await SscCard.open(new MemoryTransport(sim));
    const control = ApplicationControl.forCard(card, SoftwarePsam.withTestKeys(['APP_CONTROL']));
    await control.block('ssse', { permanent: true });
    await control.block('ssse');
    expect(inspectSscTree(sim.tree).applications.ssse).toBe('permanent');
    await expect(control.unblock('ssse')).rejects.toMatchObject({ code: 'APPLICATION_BLOCKED', permanent: true });
    await card.close();
  });

  it('checks its arguments', () => {
    const sim = buildSscCard(samplePerson('li-xiuying'));
    const psam = SoftwarePsam.withTestKeys(['APP_CONTROL']);
    const transport = new MemoryTransport(sim);
    expect(() =>
      ApplicationControl.forChannel(transport as never, psam, { cardIdentifier: '12', algorithm: 'sm4' }),
    ).toThrow(/16 to 32 digits/);
    expect(() =>
      ApplicationControl.forChannel(transport as never, psam, {
        cardIdentifier: '1101059000000001',
        algorithm: 'aes' as 'sm4',
      }),
    ).toThrow(/algorithm/);
    expect(() =>
      ApplicationControl.forSession({} as never, {} as never, { cardIdentifier: '1101059000000001', algorithm: 'sm4' }),
    ).toThrow(/secure module/);
  });
});
