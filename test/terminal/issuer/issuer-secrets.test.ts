import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDirPerTest } from '../../support/temp-dir.js';
import { toHex } from '../../../src/apdu/index.js';
import { closeCardImage, loadCardImage, openCardImage } from '../../../src/card-sim/index.js';
import { encodePinBcd, encodePinBlockFormat2 } from '../../../src/pin/index.js';
import {
  IssuerTerminal,
  MASK,
  MemoryTransport,
  SoftwarePsam,
  SscCard,
  formatTraceJson,
  formatTracePretty,
  type CommandMacInput,
  type IssuerSecureModule,
  type PinBlockInput,
} from '../../../src/terminal/index.js';
import { WINDOW_KEYS, blockBankPin, windowRig, wrongAppPins } from './rig.js';
import { saveSampleImage } from '../../support/card-image.js';

/** Upper-case hex of `bytes`, with and without spaces: how a trace would show them. */
function hexForms(bytes: Uint8Array): string[] {
  return [toHex(bytes), toHex(bytes, { spaces: true })].map((s) => s.toUpperCase());
}

/** Every way a PIN could show up in a trace: its digits, its BCD bytes, its format-2 block. */
function pinForms(pin: string): string[] {
  return [pin, ...hexForms(encodePinBcd(pin)), ...hexForms(encodePinBlockFormat2(pin))];
}

describe('IssuerTerminal and secrets', () => {
  it('the trace masks the data of every issuer PIN command and holds no PIN in any form', async () => {
    // A fixed challenge keeps the scan deterministic (no random bytes that might spell a PIN).
    const { card, window, trace } = await windowRig('wang-yan', { random: (n) => new Uint8Array(n).fill(0xa5) });
    const pins = { unblockTo: '602851', reloadTo: '739104', bankHeld: '246810', bankTo: '917364' };
    await wrongAppPins(card, 3);
    await window.unblockPin();
    await window.unblockPin(pins.unblockTo);
    await window.reloadPin(pins.reloadTo);
    await blockBankPin(card);
    await window.bankUnblock(pins.bankHeld);
    await window.bankUnblock('000001').catch(() => undefined);
    await window.bankReload(pins.bankTo);

    const issuerCommands = trace.filter((e) => e.command.ins === 0x24 || e.command.ins === 0x5e);
    expect(issuerCommands.map((e) => [e.command.name, e.command.cla, e.command.p2])).toEqual([
      ['PIN UNBLOCK', 0x84, 0x00],
      ['PIN UNBLOCK', 0x84, 0x00],
      ['RELOAD PIN', 0x80, 0x00],
      ['PIN UNBLOCK', 0x84, 0x80],
      ['PIN UNBLOCK', 0x84, 0x80],
      ['RELOAD PIN', 0x80, 0x80],
    ]);
    for (const e of issuerCommands) {
      expect(e.command).toMatchObject({ masked: true, data: MASK });
      expect(e.command.lc).toBeGreaterThan(0);
    }
    const output = trace
      .map((e) => `${formatTracePretty(e)}\n${formatTraceJson(e)}`)
      .join('\n')
      .toUpperCase();
    for (const pin of Object.values(pins)) {
      for (const form of pinForms(pin)) expect(output).not.toContain(form);
    }
  });

  it('wipes the PIN data and cryptograms it builds once the command is sent', async () => {
    const real = SoftwarePsam.withTestKeys(WINDOW_KEYS);
    const macInputs: Uint8Array[] = [];
    const cryptograms: Uint8Array[] = [];
    const spy: IssuerSecureModule = {
      hasKey: (k) => real.hasKey(k),
      externalAuthenticate: (input) => real.externalAuthenticate(input),
      commandMac: async (input: CommandMacInput) => {
        macInputs.push(input.data);
        return real.commandMac(input);
      },
      encipherPinBlock: async (input: PinBlockInput) => {
        const out = await real.encipherPinBlock(input);
        cryptograms.push(out);
        return out;
      },
    };
    const { card, window } = await windowRig('zhang-wei', { psam: spy });
    await wrongAppPins(card, 3);
    await window.unblockPin('602851');
    await window.reloadPin('739104');
    await window.bankReload('917364');
    await window.bankUnblock('917364');
    // MAC inputs: the cryptogram, the BCD PIN, the format-2 block, the bank cryptogram.
    expect(macInputs.map((d) => d.length)).toEqual([8, 3, 8, 8]);
    expect(cryptograms).toHaveLength(2);
    for (const buffer of [...macInputs, ...cryptograms]) expect(buffer.every((b) => b === 0)).toBe(true);
    // The card still got the real values.
    await card.verifyPin('739104');
    await card.bank.verifyPin('917364');
  });

  it('a captured PIN UNBLOCK or RELOAD PIN replayed later is refused: its challenge was used up', async () => {
    const { recorder, card, window } = await windowRig('zhang-wei');
    await wrongAppPins(card, 3);
    await window.unblockPin();
    await window.reloadPin('739104');
    await blockBankPin(card);
    await window.bankUnblock('888888');
    const captured = recorder.sent.filter((b) => b[1] === 0x24 || (b[0] === 0x80 && b[1] === 0x5e && b[2] === 0x00));
    expect(captured.map((b) => toHex(b.subarray(0, 4)))).toEqual(['84240000', '805E0000', '84240080']);
    const [unblock, reload, bankUnblock] = captured as [Uint8Array, Uint8Array, Uint8Array];

    await wrongAppPins(card, 3, '739104');
    await blockBankPin(card);
    const replay = async (bytes: Uint8Array, select: Uint8Array, withChallenge: boolean): Promise<number> =>
      card.channel.exclusive(async (s) => {
        await s.send({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: select, ne: 256 });
        if (withChallenge) await s.send({ cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, data: new Uint8Array(0), ne: 8 });
        const r = await s.transmit(bytes);
        await s.reset();
        return r.sw;
      });
    const ssse = recorder.sent[0]!.subarray(5, 5 + recorder.sent[0]![4]!);
    const bank = Uint8Array.of(0xa0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01);
    expect(await replay(unblock, ssse, false)).toBe(0x6984);
    expect(await replay(unblock, ssse, true)).toBe(0x6988);
    // RELOAD PIN of the SSSE wants a challenge too (the zero-IV form is off unless personalized):
    // without one 6984, with a new one the MAC fails.
    expect(await replay(reload, ssse, false)).toBe(0x6984);
    expect(await replay(reload, ssse, true)).toBe(0x6988);
    expect(await replay(bankUnblock, bank, false)).toBe(0x6984);
    expect(await replay(bankUnblock, bank, true)).toBe(0x6988);
    expect((await card.pinStatus()).blocked).toBe(true);
    expect(await card.bank.pinTriesLeft()).toBe(0);
  });

  it('property: after a MAC-only unblock the old PIN verifies and the counter is full, for any PIN and any wrong tries', async () => {
    const pinArb = fc.stringMatching(/^[0-9]{6}$/);
    await fc.assert(
      fc.asyncProperty(
        pinArb,
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        fc.constantFrom('zhang-wei', 'wang-yan'),
        async (pin, tryLimit, wrongSeed, who) => {
          const wrongTries = wrongSeed % (tryLimit + 1);
          const { card, window } = await windowRig(who, {
            edit: (doc) => {
              doc.pin = { initial: pin, tryLimit };
            },
          });
          await wrongAppPins(card, wrongTries, pin);
          expect((await card.pinStatus()).blocked).toBe(wrongTries === tryLimit);
          await window.unblockPin();
          expect(await card.pinStatus()).toEqual({ triesLeft: tryLimit, verified: false, blocked: false });
          await card.verifyPin(pin);
          expect((await card.pinStatus()).verified).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('IssuerTerminal through a card image', () => {
  const tmp = tempDirPerTest('sscard-issuer-');

  it("each operation's result is on disk when it returns", async () => {
    const path = join(tmp.path, 'card.json');
    saveSampleImage(path, 'zhang-wei');
    const reopen = async (): Promise<{ card: SscCard; close: () => Promise<void> }> => {
      const sim = openCardImage(path, { powered: true });
      const card = await SscCard.open(new MemoryTransport(sim), { refuseInitialPin: false });
      return {
        card,
        close: async () => {
          await card.close();
          closeCardImage(sim);
        },
      };
    };
    const psam = SoftwarePsam.withTestKeys(WINDOW_KEYS);
    const first = await reopen();
    await wrongAppPins(first.card, 3);
    await blockBankPin(first.card);
    const window = new IssuerTerminal(first.card, psam);
    await window.unblockPin();
    await window.bankReload('917364');
    await first.close();

    const saved = loadCardImage(path, { powered: true });
    const check = await SscCard.open(new MemoryTransport(saved), { refuseInitialPin: false });
    expect(await check.pinStatus()).toEqual({ triesLeft: 3, verified: false, blocked: false });
    await check.verifyPin('123456');
    expect(await check.bank.pinTriesLeft()).toBe(3);
    await check.bank.verifyPin('917364');
  });
});
