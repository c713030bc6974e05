import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/apdu/index.js';
import { connectToVpcd } from '../../src/bridge/index.js';
import type { VpcdConnection, VpcdEvent } from '../../src/bridge/index.js';
import { acquireReaderSlot, CARD_HOST, openscReaderIndex, pcscLab, runOpensc, runPyscard } from '../pcsc/lab.js';
import type { ReaderSlot } from '../pcsc/lab.js';
import { FixedCard } from './fixed-card.js';

/*
 * The bridge behind the machine's real pcscd + vsmartcard vpcd reader, driven by real PC/SC
 * clients (pyscard and opensc-tool). Needs the lab: scripts/pcsc-lab up.
 */

const lab = pcscLab('vpcd bridge PC/SC suite');

describe.runIf(lab.run)('vpcd bridge behind a real pcscd reader', () => {
  let slot: ReaderSlot & { release(): void };
  const inserted: VpcdConnection[] = [];

  beforeAll(async () => {
    lab.assertReady();
    slot = await acquireReaderSlot({ timeoutMs: 60_000 });
    // A card some earlier run left in this slot would make the reader answer for it.
    const empty = await runPyscard({ reader: slot.reader, wait: 'empty', timeoutS: 3 });
    expect(empty.error, `reader ${slot.reader} is occupied by another card`).toBeUndefined();
  });

  afterAll(() => {
    slot?.release();
  });

  afterEach(async () => {
    const open = inserted.splice(0);
    for (const bridge of open) await bridge.close();
    if (open.length > 0) {
      // Leave the reader empty for the next test (pcscd notices a removal within ~0.4 s).
      const empty = await runPyscard({ reader: slot.reader, wait: 'empty', timeoutS: 3 });
      expect(empty.error).toBeUndefined();
    }
  });

  async function insert(
    card: FixedCard,
    log?: (line: string) => void,
  ): Promise<{ bridge: VpcdConnection; events: VpcdEvent[] }> {
    const bridge = await connectToVpcd({
      card,
      host: CARD_HOST,
      port: slot.port,
      connectTimeoutMs: 5_000,
      ...(log === undefined ? {} : { log }),
    });
    inserted.push(bridge);
    const events: VpcdEvent[] = [];
    bridge.onEvent((e) => events.push(e));
    await bridge.waitAttached(3_000);
    return { bridge, events };
  }

  it('pyscard sees the ATR and round-trips APDUs; the card gets exactly the bytes sent', async () => {
    const card = new FixedCard('3B 80 80 01 01', {
      '00A4000C023F00': '9000',
      '00B2010400': '5A 08 01 02 03 04 05 06 07 08 90 00',
      '0084000008': '11 22 33 44 55 66 77 88 90 00',
    });
    await insert(card);
    const r = await runPyscard({
      reader: slot.reader,
      apdus: ['00A4000C023F00', '00B2010400', '0084000008', '00CA9F1700'],
    });
    expect(r.error).toBeUndefined();
    expect(r.atr).toBe('3B80800101');
    expect(r.responses).toEqual(['9000', '5A080102030405060708' + '9000', '1122334455667788' + '9000', 'CA9000']);
    expect(card.commands.map((c) => toHex(c))).toEqual(['00A4000C023F00', '00B2010400', '0084000008', '00CA9F1700']);
    expect(card.powered).toBe(true);
  });

  it('opensc-tool reaches the card through the same reader', async () => {
    const card = new FixedCard('3B 80 80 01 01', { '00A4000C023F00': '6F 03 84 01 41 90 00' });
    await insert(card);
    const r = await runOpensc(['-r', String(openscReaderIndex(slot.reader)), '-s', '00A4000C023F00']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Received \(SW1=0x90, SW2=0x00\):\s*\n6F 03 84 01 41/);
    expect(card.commands.map((c) => toHex(c))).toContain('00A4000C023F00');
  });

  it('carries an extended-length answer up to the 65535-byte frame; one byte more is answered 6700', async () => {
    const card = new FixedCard();
    card.fallback = (c) => {
      // Extended Le: 00 B0 00 00 00 Le1 Le2; answer Le data bytes + 9000.
      const le = ((c[5] ?? 0) << 8) | (c[6] ?? 0);
      const out = new Uint8Array(le + 2).fill(0xa5);
      out.set([0x90, 0x00], le);
      return out;
    };
    const { events } = await insert(card);
    const r = await runPyscard({ reader: slot.reader, apdus: ['00B0000000FFFD', '00B0000000FFFE'] });
    expect(r.error).toBeUndefined();
    const [fits, tooLong] = r.responses ?? [];
    expect(fits?.length).toBe(65535 * 2);
    expect(fits?.endsWith('A5A59000')).toBe(true);
    expect(tooLong).toBe('6700');
    expect(events.find((e) => e.type === 'warning')).toMatchObject({ code: 'RESPONSE_TOO_LONG' });
  });

  it('a reset or power cycle from the host reaches the card', async () => {
    const card = new FixedCard('3B 80 80 01 01');
    await insert(card);
    const reset = await runPyscard({ reader: slot.reader, apdus: ['00B0000001'], reconnect: 'reset' });
    expect(reset.error).toBeUndefined();
    expect(reset.atrAfterReconnect).toBe('3B80800101');
    expect(reset.responseAfterReconnect).toBe('B09000');
    expect(card.controls).toContain('reset-warm');
    const before = card.controls.length;
    const unpower = await runPyscard({ reader: slot.reader, apdus: ['00B0000001'], reconnect: 'unpower' });
    expect(unpower.error).toBeUndefined();
    expect(card.controls.slice(before)).toEqual(expect.arrayContaining(['power-off', 'power-on']));
    expect(card.powered).toBe(true);
  });

  it('logs real PIN traffic with the PIN masked', async () => {
    const lines: string[] = [];
    const card = new FixedCard('3B 80 80 01 01', { '0020000003246813': '9000', '0020000003111111': '63C2' });
    await insert(card, (l) => lines.push(l));
    const r = await runPyscard({ reader: slot.reader, apdus: ['0020000003246813', '0020000003111111'] });
    expect(r.responses).toEqual(['9000', '63C2']);
    const text = lines.join('\n');
    expect(text).toContain('vpcd: -> 00 20 00 00 ****');
    expect(text).toContain('vpcd: <- 63 C2');
    expect(text).not.toMatch(/24 ?68 ?13|11 ?11 ?11/);
  });

  it('close() removes the card from the reader; connecting again inserts it again', async () => {
    const card = new FixedCard('3B 80 80 01 01');
    const { bridge } = await insert(card);
    await bridge.close();
    const empty = await runPyscard({ reader: slot.reader, wait: 'empty', timeoutS: 3 });
    expect(empty.error).toBeUndefined();
    expect(card.powered).toBe(false);
    const again = new FixedCard('3B 80 80 01 02');
    await insert(again);
    const r = await runPyscard({ reader: slot.reader, apdus: ['00A4000C023F00'] });
    expect(r.atr).toBe('3B80800102');
    expect(r.responses).toEqual(['A49000']);
  });

  it('a second card goes to the other reader slot and both answer', async () => {
    const other = await acquireReaderSlot({ timeoutMs: 30_000, exclude: [slot.slot] });
    const card2 = new FixedCard('3B 80 80 01 02');
    const bridge2 = await connectToVpcd({ card: card2, host: CARD_HOST, port: other.port, connectTimeoutMs: 5_000 });
    try {
      await bridge2.waitAttached(3_000);
      await insert(new FixedCard('3B 80 80 01 01'));
      const [r1, r2] = await Promise.all([
        runPyscard({ reader: slot.reader, apdus: ['00B0000001'] }),
        runPyscard({ reader: other.reader, apdus: ['00B2000001'] }),
      ]);
      expect([r1.atr, r1.responses]).toEqual(['3B80800101', ['B09000']]);
      expect([r2.atr, r2.responses]).toEqual(['3B80800102', ['B29000']]);
    } finally {
      await bridge2.close();
      await runPyscard({ reader: other.reader, wait: 'empty', timeoutS: 3 });
      other.release();
    }
  });
});
