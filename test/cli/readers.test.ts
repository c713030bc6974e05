import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/apdu/index.js';
import type { VpcdConnection } from '../../src/bridge/index.js';
import { MasterFile, SimulatedCard, buildSscCard, samplePerson } from '../../src/card-sim/index.js';
import { describeAtr } from '../../src/cli/actions/readers.js';
import { VPCD_SLOTS, pcscLab } from '../pcsc/lab.js';
import { insertCard, removeCard, spawnCli, stopChild, useReaderSlot, type CliChild } from '../terminal/pcsc/rig.js';
import { cli } from './run-cli.js';

/* `sscard readers` and `sscard watch` against the real pcscd with vpcd readers. */

describe('ATR description', () => {
  it('decodes protocols, historical and card-specific bytes; a broken ATR is described, not thrown', () => {
    const sim = buildSscCard(samplePerson('zhang-wei'));
    expect(describeAtr(sim.atr)).toEqual({
      protocols: 'T=1',
      // The card issuer's data object starts with the byte that makes the TCK the 8th card byte (26).
      historical: '80 31 C0 62 53 43 58 4E 11 01 05 90 00 31 00',
      cardBytes: '11 01 05 90 00 31 00 26',
    });
    expect(describeAtr(fromHex('3B 9F 13 81'))).toEqual({
      problem: expect.stringMatching(/ATR ends before|historical/),
    });
  });
});

const lab = pcscLab('sscard readers/watch PC/SC suite');

describe.runIf(lab.run)('sscard readers and watch', () => {
  const bridges: VpcdConnection[] = [];
  const children: CliChild[] = [];
  const slot = useReaderSlot(lab, async () => {
    for (const c of children.splice(0)) await stopChild(c, 'SIGKILL');
    for (const b of bridges.splice(0)) await b.close();
  });

  it('lists the readers with card presence and the ATR decoded (text and JSON)', async () => {
    const sim = buildSscCard(samplePerson('li-xiuying'), { transmission: 'T=0' });
    bridges.push(await insertCard(slot, sim));
    const text = await cli('readers');
    expect(text.code).toBe(0);
    for (const s of VPCD_SLOTS) expect(text.stdout).toContain(s.reader);
    expect(text.stdout).toContain(`${slot.reader}: card present`);
    expect(text.stdout).toContain(`ATR ${toHex(sim.atr, { spaces: true })}`);
    expect(text.stdout).toContain('protocols T=0;');
    const json = await cli('readers', '--json');
    const readers = JSON.parse(json.stdout) as Array<{
      name: string;
      cardPresent: boolean;
      atr?: { hex: string; protocols: string };
    }>;
    expect(readers.find((r) => r.name === slot.reader)).toMatchObject({
      cardPresent: true,
      atr: { hex: toHex(sim.atr), protocols: 'T=0', cardBytes: toHex(sim.atr.subarray(-8), { spaces: true }) },
    });
    // Every backend sees the same readers; a name that is none is refused before anything runs.
    for (const backend of ['smartcard', 'pcscd-socket', 'auto']) {
      const forced = await cli('readers', '--json', '--backend', backend);
      expect(forced.code, forced.stderr).toBe(0);
      expect(JSON.parse(forced.stdout)).toEqual(readers);
    }
    const bad = await cli('readers', '--backend', 'winscard');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('must be one of auto, smartcard, pcsclite, pcscd-socket');
  });

  it('watch: insert/remove events; each social security card read through the SDK; a foreign card named as such', async () => {
    const watch = spawnCli(['watch', '--reader', slot.reader, '--timeout', '25']);
    children.push(watch);
    await watch.waitFor(new RegExp(`reader attached: ${slot.reader} \\(empty\\)`));

    const zhang = buildSscCard(samplePerson('zhang-wei'));
    let bridge = await insertCard(slot, zhang);
    await watch.waitFor(/social security card in .*: card number A10500031, holder 张伟 \(spec 2\.00\)/);
    expect(watch.stdout()).toContain(`card inserted: ${slot.reader} ATR ${toHex(zhang.atr, { spaces: true })}`);
    await removeCard(slot, bridge);
    await watch.waitFor(new RegExp(`card removed: ${slot.reader}`));

    // Spec 3.00: the card number is free, the holder needs the RKSSSE key the watch does not have.
    bridge = await insertCard(slot, buildSscCard(samplePerson('wang-yan'), { transmission: 'T=0' }));
    await watch.waitFor(
      /card number G44030157, holder \(not readable\) \(spec 3\.00\); cardholder data needs external authentication/,
    );
    await removeCard(slot, bridge);

    bridge = await insertCard(
      slot,
      new SimulatedCard({ tree: new MasterFile({ atrCardBytes: fromHex('0102030405060708') }) }),
    );
    await watch.waitFor(/card in .*: not a social security card \(no SSSE application\)/);
    await removeCard(slot, bridge);
    await watch.waitFor(/card removed:[\s\S]*card removed:[\s\S]*card removed:/);

    expect(await stopChild(watch, 'SIGTERM')).toBe(0);
    const lines = watch.stdout().trim().split('\n');
    expect(lines.filter((l) => l.startsWith('card inserted:'))).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith('card removed:'))).toHaveLength(3);
    // Only the chosen reader is watched.
    expect(lines.every((l) => l.includes(slot.reader))).toBe(true);
  }, 60_000);

  it('watch --json reports a card already present and ends by itself after --timeout', async () => {
    const sim = buildSscCard(samplePerson('abdurahman'));
    bridges.push(await insertCard(slot, sim));
    const started = Date.now();
    const watch = spawnCli(['watch', '--reader', slot.reader, '--timeout', '3', '--json']);
    children.push(watch);
    expect(await watch.exited).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    const events = watch
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e['type'])).toEqual(['reader-attached', 'card-inserted', 'card-read']);
    expect(events[1]).toEqual({ type: 'card-inserted', reader: slot.reader, atr: toHex(sim.atr) });
    expect(events[2]).toMatchObject({
      reader: slot.reader,
      social: true,
      cardNumber: samplePerson('abdurahman').card.number,
      holder: samplePerson('abdurahman').person.name,
      specVersion: '2.00',
    });
  }, 30_000);
});
