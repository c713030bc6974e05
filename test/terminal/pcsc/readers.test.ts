import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/apdu/index.js';
import type { VpcdConnection } from '../../../src/bridge/index.js';
import { buildSscCard, samplePerson } from '../../../src/card-sim/index.js';
import {
  listReaders as listReadersOn,
  watchReaders as watchReadersOn,
  type PcscBackendName,
  type PcscBackendSetting,
  resolvePcscBackend,
  type ReaderEvent,
  type ReaderWatch,
  type WatchReadersOptions,
} from '../../../src/terminal/pcsc/index.js';
import { VPCD_SLOTS, pcscLab } from '../../pcsc/lab.js';
import { insertCard, removeCard, useReaderSlot } from './rig.js';
import { until } from '../../support/until.js';

/* listReaders() and watchReaders() against the real pcscd with vpcd readers: by default (pcscd's socket here), and on the binding. */

const lab = pcscLab('PC/SC readers suite');

function readersSuite(backend: PcscBackendSetting, runsOn: PcscBackendName): void {
  describe.runIf(lab.run)(`PC/SC readers and their events (backend ${backend})`, () => {
    const listReaders = () => listReadersOn({ backend });
    const watchReaders = (listener: (e: ReaderEvent) => void, opts: WatchReadersOptions = {}) =>
      watchReadersOn(listener, { ...opts, backend });
    const bridges: VpcdConnection[] = [];
    const watches: ReaderWatch[] = [];
    const slot = useReaderSlot(lab, async () => {
      for (const w of watches.splice(0)) w.close();
      for (const b of bridges.splice(0)) await b.close();
    });

    it(`runs on the ${runsOn} backend`, async () => {
      expect((await resolvePcscBackend(backend)).name).toBe(runsOn);
    });

    it('listReaders names both vpcd readers and shows a card with its ATR', async () => {
      const before = await listReaders();
      for (const s of VPCD_SLOTS) expect(before.map((r) => r.name)).toContain(s.reader);
      expect(before.find((r) => r.name === slot.reader)).toMatchObject({ cardPresent: false });
      const sim = buildSscCard(samplePerson('zhang-wei'));
      bridges.push(await insertCard(slot, sim));
      const after = (await listReaders()).find((r) => r.name === slot.reader);
      expect(after?.cardPresent).toBe(true);
      expect(after?.mute).toBe(false);
      expect(toHex(after?.atr ?? new Uint8Array(0))).toBe(toHex(sim.atr));
    });

    it('watchReaders reports the readers present at start, then insertion with the ATR and removal', async () => {
      const events: ReaderEvent[] = [];
      watches.push(await watchReaders((e) => events.push(e)));
      await until('initial reader-attached events', () =>
        VPCD_SLOTS.every((s) => events.some((e) => e.type === 'reader-attached' && e.reader === s.reader)),
      );
      const mine = (): ReaderEvent[] => events.filter((e) => e.type !== 'error' && e.reader === slot.reader);
      expect(mine()).toEqual([{ type: 'reader-attached', reader: slot.reader, cardPresent: false }]);

      const sim = buildSscCard(samplePerson('li-xiuying'), { transmission: 'T=0' });
      const bridge = await insertCard(slot, sim);
      bridges.push(bridge);
      await until('card-inserted', () => mine().some((e) => e.type === 'card-inserted'));
      const inserted = mine().find((e) => e.type === 'card-inserted');
      expect(inserted).toEqual({ type: 'card-inserted', reader: slot.reader, atr: sim.atr });

      const pulled = Date.now();
      await removeCard(slot, bridge);
      await until('card-removed', () => mine().some((e) => e.type === 'card-removed'));
      expect(Date.now() - pulled).toBeLessThan(2000);
      expect(mine().map((e) => e.type)).toEqual(['reader-attached', 'card-inserted', 'card-removed']);
      expect(watches[0]?.readers().find((r) => r.name === slot.reader)?.cardPresent).toBe(false);
    });

    it('a card already in the reader is reported at start; with initial: false only changes are', async () => {
      const sim = buildSscCard(samplePerson('zhang-wei'));
      const bridge = await insertCard(slot, sim);
      bridges.push(bridge);
      const all: ReaderEvent[] = [];
      const changes: ReaderEvent[] = [];
      watches.push(await watchReaders((e) => all.push(e)));
      watches.push(await watchReaders((e) => changes.push(e), { initial: false }));
      const mine = (list: ReaderEvent[]): ReaderEvent[] =>
        list.filter((e) => e.type !== 'error' && e.reader === slot.reader);
      await until('the initial card-inserted', () => mine(all).some((e) => e.type === 'card-inserted'));
      expect(mine(all)).toEqual([
        { type: 'reader-attached', reader: slot.reader, cardPresent: true, atr: sim.atr },
        { type: 'card-inserted', reader: slot.reader, atr: sim.atr },
      ]);
      // Give the second watch time to report (wrongly) what was there before it began.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(mine(changes)).toEqual([]);
      await removeCard(slot, bridge);
      await until('card-removed on both watches', () =>
        [all, changes].every((l) => mine(l).some((e) => e.type === 'card-removed')),
      );
      expect(mine(changes)).toEqual([{ type: 'card-removed', reader: slot.reader }]);
    });
  });
}

readersSuite('auto', 'pcscd-socket');
readersSuite('smartcard', 'smartcard');
