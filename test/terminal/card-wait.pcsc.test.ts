import { describe, expect, it } from 'vitest';
import type { VpcdConnection } from '../../src/bridge/index.js';
import { buildSscCard, samplePerson } from '../../src/card-sim/index.js';
import { AbortError, SmartcardTransport, SscCard, waitForCard } from '../../src/terminal/index.js';
import { pcscLab } from '../pcsc/lab.js';
import { insertCard, removeCard, useReaderSlot } from './pcsc/rig.js';

/* waitForCard against the real pcscd with a vpcd reader: the reader watch underneath is pcscd's. */

const lab = pcscLab('waitForCard PC/SC suite');

describe.runIf(lab.run)('waitForCard with pcscd', () => {
  const bridges: VpcdConnection[] = [];
  const slot = useReaderSlot(lab, async () => {
    for (const b of bridges.splice(0)) await b.close();
  });

  it('resolves when a card goes in, at once when one is in; abort ends a wait on an empty reader', async () => {
    const waiting = waitForCard({ reader: slot.reader, timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const sim = buildSscCard(samplePerson('zhang-wei'));
    const bridge = await insertCard(slot, sim);
    bridges.push(bridge);
    expect(await waiting).toEqual({ reader: slot.reader, atr: sim.atr });
    expect(await waitForCard({ reader: slot.reader, timeoutMs: 5000 })).toEqual({ reader: slot.reader, atr: sim.atr });

    // What a POS does next: connect and open the card.
    const transport = await SmartcardTransport.connect({ reader: slot.reader });
    try {
      expect((await (await SscCard.open(transport)).readCardholder()).name).toBe('张伟');
    } finally {
      await transport.close();
    }

    await removeCard(slot, bridge);
    bridges.splice(bridges.indexOf(bridge), 1);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    await expect(waitForCard({ reader: slot.reader, signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
