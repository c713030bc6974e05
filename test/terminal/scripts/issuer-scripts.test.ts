import { describe as group, expect, it } from 'vitest';
import { CLA, INS, SW } from '../../../src/apdu/index.js';
import type { SimulatedCard } from '../../../src/card-sim/index.js';
import { samplePerson, buildSscCard } from '../../../src/card-sim/index.js';
import {
  InvalidArgumentError,
  MemoryTransport,
  PinIncorrectError,
  SoftwarePsam,
  SscCard,
  applyIssuerScripts,
  formatTracePretty,
  scriptOutcome,
  type IssuerHost,
  type IssuerScriptCommand,
  type ScriptCard,
  type ScriptOutcome,
  type TraceEvent,
} from '../../../src/terminal/index.js';

/*
 * The SDK's issuer-script hook: an online terminal opens a card with an IssuerHost; the host
 * hands out the card's pending scripts, MACs each over the card's challenge, takes the reports.
 * Here the host is a small test double with the office's software secure module (PIN_CHANGE
 * test master key); the office's own adapter is tested with the registry (test/office).
 */

const office = SoftwarePsam.withTestKeys(['PIN_CHANGE']);

interface Queued {
  current: string;
  next: string;
}

class TestHost implements IssuerHost {
  readonly reports: Array<{ id: string; outcome: ScriptOutcome }> = [];
  readonly asked: ScriptCard[] = [];
  failScripts = false;
  failMac = false;
  failReport = false;
  private readonly scripts: IssuerScriptCommand[] = [];

  constructor(
    private readonly identifier: string,
    private readonly algorithm: '3des' | 'sm4',
  ) {}

  async queue(q: Queued): Promise<void> {
    const data = await office.encipherPinChange({
      algorithm: this.algorithm,
      cardIdentifier: this.identifier,
      currentPin: q.current,
      newPin: q.next,
    });
    this.scripts.push({
      id: String(this.scripts.length + 1),
      kind: 'pin_change',
      application: 'ssse',
      command: { cla: CLA.PROPRIETARY_SM, ins: INS.CHANGE_PIN, p1: 1, p2: 0, data },
    });
  }

  async scriptsFor(card: ScriptCard): Promise<IssuerScriptCommand[]> {
    this.asked.push(card);
    if (this.failScripts) throw new Error('host unreachable');
    const done = new Set(this.reports.map((r) => r.id));
    return this.scripts.filter((s) => !done.has(s.id));
  }

  async macFor(script: IssuerScriptCommand, challenge: Uint8Array): Promise<Uint8Array> {
    if (this.failMac) throw new Error('secure module offline');
    const c = script.command;
    return office.commandMac({
      key: 'PIN_CHANGE',
      algorithm: this.algorithm,
      cardIdentifier: this.identifier,
      header: Uint8Array.of(c.cla, c.ins, c.p1, c.p2),
      data: c.data,
      challenge,
    });
  }

  async report(script: IssuerScriptCommand, outcome: ScriptOutcome): Promise<void> {
    if (this.failReport) throw new Error('host went away');
    this.reports.push({ id: script.id, outcome });
  }
}

function rig(who = 'zhang-wei'): {
  sim: SimulatedCard;
  host: TestHost;
  identifier: string;
  open: (host?: IssuerHost, trace?: TraceEvent[]) => Promise<SscCard>;
} {
  const doc = samplePerson(who);
  const sim = buildSscCard(doc);
  const algorithm = doc.specVersion === '2.00' ? '3des' : 'sm4';
  const host = new TestHost(doc.card.identifier, algorithm);
  const open = (h?: IssuerHost, trace?: TraceEvent[]) =>
    SscCard.open(new MemoryTransport(sim), {
      refuseInitialPin: false,
      psam: SoftwarePsam.withTestKeys(['RKSSSE']),
      ...(h === undefined ? {} : { issuerHost: h }),
      ...(trace === undefined ? {} : { trace: (e: TraceEvent) => trace.push(e) }),
    });
  return { sim, host, identifier: doc.card.identifier, open };
}

/** A card with the change 123456 → 246810 queued, opened online while the host fails at `step`. */
async function openWhileHostFails(
  step: 'failScripts' | 'failMac' | 'failReport',
): Promise<{ r: ReturnType<typeof rig>; card: SscCard }> {
  const r = rig();
  await r.host.queue({ current: '123456', next: '246810' });
  r.host[step] = true;
  return { r, card: await r.open(r.host) };
}

group('applying issuer scripts when a card is opened online', () => {
  for (const who of ['zhang-wei', 'wang-yan']) {
    it(`${who}: the pending PIN change is applied and reported; the new PIN works`, async () => {
      const r = rig(who);
      await r.host.queue({ current: '123456', next: '246810' });
      const card = await r.open(r.host);
      expect(r.host.asked).toEqual([{ cardNumber: samplePerson(who).card.number, cardIdentifier: r.identifier }]);
      expect(card.issuerScripts).toEqual({
        online: true,
        entries: [{ id: '1', kind: 'pin_change', outcome: { result: 'applied' }, reported: true }],
      });
      expect(r.host.reports).toEqual([{ id: '1', outcome: { result: 'applied' } }]);
      await card.verifyPin('246810');
      await expect(card.verifyPin('123456')).rejects.toBeInstanceOf(PinIncorrectError);
    });
  }

  it('a wrong current PIN is reported with the tries left; the old PIN still works', async () => {
    const r = rig();
    await r.host.queue({ current: '654321', next: '246810' });
    const card = await r.open(r.host);
    expect(card.issuerScripts?.entries[0]?.outcome).toEqual({
      result: 'failed',
      reason: 'pin_incorrect',
      triesLeft: 2,
    });
    expect(r.host.reports).toHaveLength(1);
    await card.verifyPin('123456');
  });

  it('several scripts go in order, each on its own challenge', async () => {
    const r = rig();
    await r.host.queue({ current: '123456', next: '246810' });
    await r.host.queue({ current: '246810', next: '135790' });
    const card = await r.open(r.host);
    expect(card.issuerScripts?.entries.map((e) => e.outcome?.result)).toEqual(['applied', 'applied']);
    await card.verifyPin('135790');
  });

  it('an unreachable host leaves the terminal offline: the card opens and works', async () => {
    const { card } = await openWhileHostFails('failScripts');
    expect(card.issuerScripts?.online).toBe(false);
    expect(card.issuerScripts?.hostError?.code).toBe('ISSUER_HOST');
    await card.verifyPin('123456');
  });

  it('no MAC from the host: nothing is sent, nothing reported, the script stays for next time', async () => {
    const { r, card } = await openWhileHostFails('failMac');
    const entry = card.issuerScripts?.entries[0];
    expect(entry?.outcome).toBeUndefined();
    expect(entry?.reported).toBe(false);
    expect(entry?.error?.message).toMatch(/no MAC/);
    expect(r.host.reports).toEqual([]);
    expect((await card.pinStatus()).triesLeft).toBe(3);
    r.host.failMac = false;
    const again = await r.open(r.host);
    expect(again.issuerScripts?.entries[0]?.outcome).toEqual({ result: 'applied' });
  });

  it('a lost report keeps the outcome; the next terminal sends the script again, harmlessly', async () => {
    const { r, card } = await openWhileHostFails('failReport');
    expect(card.issuerScripts?.entries[0]).toMatchObject({ outcome: { result: 'applied' }, reported: false });
    r.host.failReport = false;
    const again = await r.open(r.host);
    expect(again.issuerScripts?.entries[0]).toMatchObject({ outcome: { result: 'applied' }, reported: true });
    expect((await again.pinStatus()).triesLeft).toBe(3);
    await again.verifyPin('246810');
  });

  it('without a host no script is looked for; a thing that is not a host is refused', async () => {
    const r = rig();
    const card = await r.open();
    expect(card.issuerScripts).toBeUndefined();
    await expect(applyIssuerScripts(card, {} as IssuerHost)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('the trace shows the script as CHANGE PIN with its data masked', async () => {
    const r = rig();
    await r.host.queue({ current: '123456', next: '246810' });
    const trace: TraceEvent[] = [];
    await r.open(r.host, trace);
    const lines = trace.map((e) => formatTracePretty(e));
    expect(lines.some((l) => /CHANGE PIN/.test(l) && l.includes('****'))).toBe(true);
  });
});

group('scriptOutcome', () => {
  it('maps the card answers to outcomes', () => {
    expect(scriptOutcome(SW.OK)).toEqual({ result: 'applied' });
    expect(scriptOutcome(0x63c1)).toEqual({ result: 'failed', reason: 'pin_incorrect', triesLeft: 1 });
    expect(scriptOutcome(0x63c0)).toEqual({ result: 'failed', reason: 'pin_incorrect', triesLeft: 0 });
    const cases: Array<[number, string]> = [
      [0x6988, 'mac_rejected'],
      [0x6983, 'key_blocked'],
      [0x6a88, 'key_missing'],
      [0x6a80, 'data_rejected'],
      [0x6700, 'data_rejected'],
      [0x6985, 'new_pin_refused'],
      [0x6a81, 'application_blocked'],
      [0x9303, 'application_blocked'],
      [0x6f00, 'card_refused'],
    ];
    for (const [sw, reason] of cases) expect(scriptOutcome(sw)).toEqual({ result: 'failed', reason, sw });
  });
});

group('the office secure module for PIN change scripts', () => {
  it('needs the PIN_CHANGE master key, and refuses a PIN the block cannot carry without naming it', async () => {
    const input = {
      algorithm: '3des' as const,
      cardIdentifier: '1101059000310026',
      currentPin: '123456',
      newPin: '246810',
    };
    await expect(SoftwarePsam.withTestKeys(['PIN_UNBLOCK']).encipherPinChange(input)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const bad = office.encipherPinChange({ ...input, newPin: '24681x' });
    await expect(bad).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(bad).rejects.not.toThrow(/24681/);
    expect((await office.encipherPinChange(input)).length).toBe(24);
  });
});
