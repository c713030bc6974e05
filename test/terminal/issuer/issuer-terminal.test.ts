import { describe, expect, it } from 'vitest';
import { buildSscCard, SimulatedCard, samplePerson, BANK_AID } from '../../../src/card-sim/index.js';
import {
  ApplicationBlockedError,
  BankPinMismatchError,
  CardAlgorithmUnknownError,
  CardKeyMissingError,
  HolderMismatchError,
  InvalidArgumentError,
  IssuerKeyBlockedError,
  IssuerKeyMissingError,
  IssuerMacRejectedError,
  IssuerTerminal,
  NewPinRejectedError,
  NoBankApplicationError,
  PinBlockedError,
  SoftwarePsam,
  type SscCard,
} from '../../../src/terminal/index.js';
import { WINDOW_KEYS, blockBankPin, stateJson, windowRig, wrongAppPins } from './rig.js';

const PEOPLE = [
  { who: 'zhang-wei', algorithm: '3des', bankPin: '888888' },
  { who: 'wang-yan', algorithm: 'sm4', bankPin: '246810' },
] as const;

async function appTries(card: SscCard): Promise<number | null> {
  return (await card.pinStatus()).triesLeft;
}

describe.each(PEOPLE)('IssuerTerminal, $who ($algorithm)', ({ who, bankPin }) => {
  it("checks the holder's ID number against EF06 (read by the SscCard, with RKSSSE on 3.00 cards)", async () => {
    const { window } = await windowRig(who);
    const idNumber = samplePerson(who).person.idNumber;
    const holder = await window.checkHolder(` ${idNumber.toLowerCase()} `);
    expect(holder.idNumber).toBe(idNumber);
    expect(await window.readCardholder()).toEqual(holder);
    const other = samplePerson('abdurahman').person.idNumber;
    const err = await window.checkHolder(other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HolderMismatchError);
    expect(err).toMatchObject({ code: 'HOLDER_MISMATCH' });
    expect((err as Error).message).not.toContain(other);
    expect((err as Error).message).not.toContain(idNumber);
    await expect(window.checkHolder('')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('unblockPin(): a blocked PIN gets its full counter back and the old PIN still verifies', async () => {
    const { card, window } = await windowRig(who);
    await wrongAppPins(card, 3);
    expect((await card.pinStatus()).blocked).toBe(true);
    await window.unblockPin();
    expect(await card.pinStatus()).toEqual({ triesLeft: 3, verified: false, blocked: false });
    await card.verifyPin('123456');
  });

  it('unblockPin(newPin): the PIN the holder chooses replaces the old one', async () => {
    const { card, window } = await windowRig(who);
    await wrongAppPins(card, 3);
    await window.unblockPin('602851');
    await expect(card.verifyPin('123456')).rejects.toMatchObject({ code: 'PIN_INCORRECT', triesLeft: 2 });
    await card.verifyPin('602851');
  });

  it('reloadPin(newPin): a forgotten PIN is replaced, blocked or not', async () => {
    const { card, window } = await windowRig(who);
    await wrongAppPins(card, 1);
    await window.reloadPin('135790');
    expect(await appTries(card)).toBe(3);
    await card.verifyPin('135790');
    await wrongAppPins(card, 3, '135790');
    await window.reloadPin('246802');
    await card.verifyPin('246802');
  });

  it('bankUnblock(bankPin): the right bank PIN unlocks the bank PIN, which stays', async () => {
    const { card, window } = await windowRig(who);
    await blockBankPin(card);
    expect(await card.bank.pinTriesLeft()).toBe(0);
    await window.bankUnblock(bankPin);
    expect(await card.bank.pinTriesLeft()).toBe(3);
    await card.bank.verifyPin(bankPin);
  });

  it('bankUnblock with a wrong bank PIN: BankPinMismatchError, the card stays blocked and unchanged', async () => {
    const { sim, card, window } = await windowRig(who);
    await blockBankPin(card);
    const before = stateJson(sim);
    const err = await window.bankUnblock('135791').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BankPinMismatchError);
    expect(err).toMatchObject({ code: 'BANK_PIN_MISMATCH', sw: 0x63c0, triesLeft: 0 });
    expect(stateJson(sim)).toBe(before);
    expect(await card.bank.pinTriesLeft()).toBe(0);
    await expect(card.bank.verifyPin(bankPin)).rejects.toBeInstanceOf(PinBlockedError);
  });

  it('bankReload(newBankPin): the bank PIN is replaced and unblocked; the application PIN is untouched', async () => {
    const { card, window } = await windowRig(who);
    await blockBankPin(card);
    await wrongAppPins(card, 1);
    await window.bankReload('975312');
    expect(await card.bank.pinTriesLeft()).toBe(3);
    await card.bank.verifyPin('975312');
    expect(await appTries(card)).toBe(2);
  });

  it('the SscCard keeps working after each operation (the window leaves no stale selection behind)', async () => {
    const { card, window } = await windowRig(who);
    await card.verifyPin('123456');
    const records = await card.readWorkRecord();
    await window.bankReload('975312');
    // The operation ended with a reset: the verified PIN is gone and the card re-selects the SSSE.
    expect((await card.pinStatus()).verified).toBe(false);
    await card.verifyPin('123456');
    expect(await card.readWorkRecord()).toEqual(records);
    expect((await card.readCardInfo()).cardIdentifier).toBe(samplePerson(who).card.identifier);
  });
});

describe('IssuerTerminal refusals', () => {
  it('a secure module without the master key: IssuerKeyMissingError, nothing sent', async () => {
    const psam = SoftwarePsam.withTestKeys(['RKSSSE']);
    const { card, window, trace } = await windowRig('zhang-wei', { psam });
    await wrongAppPins(card, 3);
    const sentBefore = trace.length;
    for (const [op, key] of [
      [() => window.unblockPin(), 'PIN_UNBLOCK'],
      [() => window.reloadPin('135790'), 'PIN_RELOAD'],
      [() => window.bankUnblock('888888'), 'BANK_PIN_UNBLOCK'],
      [() => window.bankReload('135790'), 'BANK_PIN_RELOAD'],
    ] as const) {
      await expect(op()).rejects.toMatchObject({ code: 'ISSUER_KEY_MISSING', key });
      await expect(op()).rejects.toBeInstanceOf(IssuerKeyMissingError);
    }
    expect(trace.length).toBe(sentBefore);
  });

  it("keys of another issuer: IssuerMacRejectedError (6988); three of them block the card's key (IssuerKeyBlockedError)", async () => {
    const other = new SoftwarePsam({
      PIN_UNBLOCK: new Uint8Array(16).fill(0x42),
      BANK_PIN_RELOAD: new Uint8Array(16).fill(0x24),
    });
    const { sim, card, window } = await windowRig('zhang-wei', { psam: other });
    await wrongAppPins(card, 3);
    const err = await window.unblockPin().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IssuerMacRejectedError);
    expect(err).toMatchObject({ code: 'ISSUER_MAC_REJECTED', sw: 0x6988, command: 'PIN UNBLOCK' });
    await expect(window.bankReload('135790')).rejects.toBeInstanceOf(IssuerMacRejectedError);
    expect((await card.pinStatus()).blocked).toBe(true);
    await expect(window.unblockPin()).rejects.toBeInstanceOf(IssuerMacRejectedError);
    await expect(window.unblockPin()).rejects.toBeInstanceOf(IssuerMacRejectedError);
    const blocked = await window.unblockPin().catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(IssuerKeyBlockedError);
    expect(blocked).toMatchObject({ code: 'ISSUER_KEY_BLOCKED', sw: 0x6983 });
    // Even the issuer's real keys are refused now: the card's unblock key is blocked.
    const real = new IssuerTerminal(card, SoftwarePsam.withTestKeys(WINDOW_KEYS));
    await expect(real.unblockPin()).rejects.toBeInstanceOf(IssuerKeyBlockedError);
    expect(stateJson(sim)).toContain('"triesLeft":0');
  });

  it('a card whose bank application has no PIN keys (an older image): CardKeyMissingError (6A88)', async () => {
    const state = buildSscCard(samplePerson('zhang-wei')).exportState();
    const bank = state.mf.children.find((c) => c.type === 'df' && c.fid === 'A001');
    if (bank?.type !== 'df') throw new Error('no bank DF in the state');
    bank.keys = [];
    const { window } = await windowRig('zhang-wei', { sim: SimulatedCard.fromState(state) });
    const err = await window.bankReload('135790').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardKeyMissingError);
    expect(err).toMatchObject({ code: 'CARD_KEY_MISSING', sw: 0x6a88 });
    await expect(window.bankUnblock('888888')).rejects.toBeInstanceOf(CardKeyMissingError);
  });

  it('a card without a bank application: NoBankApplicationError', async () => {
    const { window } = await windowRig('abdurahman');
    const err = await window.bankUnblock('888888').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoBankApplicationError);
    expect(err).toMatchObject({ code: 'NO_BANK_APPLICATION', sw: 0x6a82 });
  });

  it('a blocked application or card: ApplicationBlockedError', async () => {
    const { sim, window } = await windowRig('zhang-wei');
    sim.tree.findByDfName(BANK_AID)!.blockApplication('permanent');
    await expect(window.bankUnblock('888888')).rejects.toMatchObject({ code: 'APPLICATION_BLOCKED', permanent: true });
    sim.tree.blockCard();
    const err = await window.unblockPin().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationBlockedError);
    expect(err).toMatchObject({ sw: 0x6a81, permanent: false });
  });

  it('a new PIN outside the rules: NewPinRejectedError, nothing sent; a malformed bank PIN: InvalidArgumentError', async () => {
    const { window, trace } = await windowRig('zhang-wei');
    const before = trace.length;
    await expect(window.reloadPin('12345')).rejects.toMatchObject({ code: 'NEW_PIN_REJECTED', problem: 'format' });
    await expect(window.unblockPin('12a456')).rejects.toBeInstanceOf(NewPinRejectedError);
    await expect(window.bankReload('1234567')).rejects.toBeInstanceOf(NewPinRejectedError);
    await expect(window.bankUnblock('8888')).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(trace.length).toBe(before);
  });

  it('a card that did not announce its algorithm: CardAlgorithmUnknownError; a module without encipherPinBlock is refused', async () => {
    const { card } = await windowRig('zhang-wei');
    const silent = Object.create(card, { algorithm: { value: undefined } }) as SscCard;
    const window = new IssuerTerminal(silent, SoftwarePsam.withTestKeys(WINDOW_KEYS));
    await expect(window.unblockPin()).rejects.toBeInstanceOf(CardAlgorithmUnknownError);
    const macOnly = {
      hasKey: () => true,
      externalAuthenticate: async () => new Uint8Array(8),
      commandMac: async () => new Uint8Array(4),
    };
    expect(() => new IssuerTerminal(card, macOnly as never)).toThrow(InvalidArgumentError);
  });
});
