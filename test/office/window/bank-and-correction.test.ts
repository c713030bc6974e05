import { expect, it } from 'vitest';
import { buildSscCard, validatePersonalization } from '../../../src/card-sim/index.js';
import type { SimulatedCard } from '../../../src/card-sim/index.js';
import { OfficeArgumentError, applyCorrections } from '../../../src/office/index.js';
import { windowCorrectionOperation } from '../../../src/office/window/card-making.js';
import { SoftwarePsam, SscCard } from '../../../src/terminal/index.js';
import { ADMIN, BANK, WINDOW } from '../fixtures.js';
import {
  atCounter,
  bankAt,
  bankTries,
  bankVerifies,
  chipPin,
  issueChip,
  stateOf,
  story,
  verifies,
  windowAt,
  windowPsam,
  wrongBankPinsAtAtm,
  wrongPinsAtPharmacy,
  describeWindowSuite,
} from './counter.js';

/*
 * The bank branch's acts on the bank side (activation, unlock with the holder's bank PIN, reset)
 * and the window's correction re-issue, on both backends.
 */

describeWindowSuite('bank branch and correction', (reg) => {
  /** A financial card activated at the bank, its bank PIN the sample default 888888. */
  async function bankCard() {
    const issued = await issueChip(reg(), { financial: true });
    const activated = await atCounter(issued.chip, (ch) =>
      bankAt(reg()).activateBank(ch, { idNumber: issued.idNumber }),
    );
    expect(activated.bank).toBe('active');
    return issued;
  }

  it('activates the bank side at a branch (ID checked, the bank application unblocked on the chip), once', async () => {
    const { card, chip, idNumber } = await issueChip(reg(), { financial: true });
    expect(card.bank).toBe('inactive');
    const before = stateOf(chip);
    await expect(atCounter(chip, (ch) => windowAt(reg()).activateBank(ch, { idNumber }))).rejects.toMatchObject({
      code: 'ROLE_NOT_ALLOWED',
    });
    expect(stateOf(chip)).toBe(before);
    await atCounter(chip, (ch) => bankAt(reg()).activateBank(ch, { idNumber }));
    const activated = stateOf(chip);
    expect(activated).not.toBe(before);
    await expect(atCounter(chip, (ch) => bankAt(reg()).activateBank(ch, { idNumber }))).rejects.toMatchObject({
      code: 'CARD_STATE',
      state: 'active',
    });
    expect(stateOf(chip)).toBe(activated);
    expect(await story(reg(), card.cardNumber)).toEqual([
      'issue_card:ok',
      'activate_bank:ok',
      'activate_bank:refused:CARD_STATE',
    ]);
    // The role is refused before the card is read: recorded against the person.
    expect(
      (await reg().historyOfPerson(idNumber)).map((e) => [e.operation, e.reason, e.role, e.cardNumber]),
    ).toContainEqual(['activate_bank', 'ROLE_NOT_ALLOWED', 'window', null]);
  });

  it('unlocks a bank PIN locked at an ATM only with the correct bank PIN: a wrong one is refused and changes nothing', async () => {
    const { card, chip, idNumber } = await bankCard();
    await wrongBankPinsAtAtm(chip);
    const before = stateOf(chip);
    const wrong = atCounter(chip, (ch) => bankAt(reg()).bankUnlock(ch, { idNumber, bankPin: '864209' }));
    await expect(wrong).rejects.toMatchObject({ code: 'BANK_PIN_MISMATCH', details: { triesLeft: 0 } });
    expect(stateOf(chip)).toBe(before);
    // The lock the window saw is recorded in its own operation; the refused unlock rolled back only itself.
    expect(await reg().cardStatus(card.cardNumber)).toMatchObject({ bank: 'pin_locked', ssc: 'active' });
    const result = await atCounter(chip, (ch) => bankAt(reg()).bankUnlock(ch, { idNumber, bankPin: '888888' }));
    expect(result).toMatchObject({ cardCommand: 'bank PIN UNBLOCK', lockRecorded: false, card: { bank: 'active' } });
    expect(await bankTries(chip)).toBe(3);
    expect(await bankVerifies(chip, '888888')).toBe(true);
    expect((await story(reg(), card.cardNumber)).slice(2)).toEqual([
      'pin_locked:ok',
      'pin_unlock:refused:BANK_PIN_MISMATCH',
      'pin_unlock:ok',
    ]);
    const h = await reg().history(card.cardNumber);
    expect(h.at(-1)).toMatchObject({
      role: 'bank',
      details: { side: 'bank', from: 'pin_locked', to: 'active', cardCommand: 'bank PIN UNBLOCK' },
    });
    expect(h.at(-3)!.details).toMatchObject({ side: 'bank', from: 'active', to: 'pin_locked' });
    expect(JSON.stringify(h)).not.toMatch(/864209|888888/);
  });

  it('a reconciling bank unlock still has the chip check the bank PIN', async () => {
    const { card, chip, idNumber } = await bankCard();
    await reg().recordPinLocked(BANK, { cardNumber: card.cardNumber, side: 'bank' });
    await expect(
      atCounter(chip, (ch) => bankAt(reg()).bankUnlock(ch, { idNumber, bankPin: '111111' })),
    ).rejects.toMatchObject({ code: 'BANK_PIN_MISMATCH' });
    const ok = await atCounter(chip, (ch) => bankAt(reg()).bankUnlock(ch, { idNumber, bankPin: '888888' }));
    expect(ok).toMatchObject({ reconciled: true, cardCommand: 'bank PIN UNBLOCK', card: { bank: 'active' } });
  });

  it('resets a forgotten bank PIN to a new one typed twice; the application PIN is left alone', async () => {
    const { card, chip, idNumber } = await bankCard();
    const before = stateOf(chip);
    await expect(
      atCounter(chip, (ch) => bankAt(reg()).bankReset(ch, { idNumber, newPin: '502718', newPinAgain: '502719' })),
    ).rejects.toMatchObject({
      code: 'NEW_PIN_MISMATCH',
    });
    await expect(
      atCounter(chip, (ch) => bankAt(reg()).bankReset(ch, { idNumber, newPin: '5027', newPinAgain: '5027' })),
    ).rejects.toMatchObject({ code: 'NEW_PIN_FORMAT' });
    expect(stateOf(chip)).toBe(before);
    const result = await atCounter(chip, (ch) =>
      bankAt(reg()).bankReset(ch, { idNumber, newPin: '502718', newPinAgain: '502718' }),
    );
    expect(result).toMatchObject({
      cardCommand: 'bank RELOAD PIN',
      card: { bank: 'active', ssc: 'active', pinInitial: true },
    });
    expect(await bankVerifies(chip, '502718')).toBe(true);
    expect(await verifies(chip, '123456')).toBe(true);
    expect((await reg().history(card.cardNumber)).at(-1)!.details).toEqual({
      side: 'bank',
      from: 'active',
      to: 'active',
      cardCommand: 'bank RELOAD PIN',
      chipBlocked: false,
    });
  });

  it('refuses bank acts on a card without a bank side, a bank side not activated, a window terminal, a wrong bank PIN format', async () => {
    const plain = await issueChip(reg());
    const before = stateOf(plain.chip);
    await expect(
      atCounter(plain.chip, (ch) =>
        bankAt(reg()).bankReset(ch, { idNumber: plain.idNumber, newPin: '502718', newPinAgain: '502718' }),
      ),
    ).rejects.toMatchObject({
      code: 'CARD_STATE',
      state: null,
    });
    expect(stateOf(plain.chip)).toBe(before);
    const inactive = await issueChip(reg(), { financial: true });
    await expect(
      atCounter(inactive.chip, (ch) =>
        bankAt(reg()).bankUnlock(ch, { idNumber: inactive.idNumber, bankPin: '888888' }),
      ),
    ).rejects.toMatchObject({
      code: 'CARD_STATE',
      state: 'inactive',
    });
    const { card, chip, idNumber } = await bankCard();
    await wrongBankPinsAtAtm(chip);
    const locked = stateOf(chip);
    await expect(
      atCounter(chip, (ch) => windowAt(reg()).bankUnlock(ch, { idNumber, bankPin: '888888' })),
    ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
    await expect(
      atCounter(chip, (ch) => bankAt(reg()).bankUnlock(ch, { idNumber, bankPin: '88888a' })),
    ).rejects.toMatchObject({ code: 'BANK_PIN_FORMAT' });
    expect(stateOf(chip)).toBe(locked);
    expect((await story(reg(), card.cardNumber)).slice(-1)).toEqual(['pin_unlock:refused:BANK_PIN_FORMAT']);
    expect(await story(reg(), plain.card.cardNumber)).toEqual(['issue_card:ok', 'pin_reset:refused:CARD_STATE']);
  });

  it('a correction keeps both versions and re-makes the card from the corrected one: same numbers, PIN initial, unlocked', async () => {
    const { card, chip, idNumber, stored } = await issueChip(reg(), { name: '张三丰', birthDate: '1961-04-05' });
    await wrongPinsAtPharmacy(chip);
    await reg().recordPinLocked(WINDOW, { cardNumber: card.cardNumber });
    await atCounter(chip, (ch) => windowAt(reg()).resetPin(ch, { idNumber, newPin: '602851', newPinAgain: '602851' }));
    await wrongPinsAtPharmacy(chip);
    await reg().recordPinLocked(WINDOW, { cardNumber: card.cardNumber });
    let remade: SimulatedCard | undefined;
    const v2 = await windowAt(reg()).correctCard(card.cardNumber, {
      changes: { 'person.name': '张三峰' },
      reason: 'name misprinted',
      validate: (d) => void validatePersonalization(d),
      makeCard: (document) => {
        remade = buildSscCard(document);
      },
    });
    expect(v2).toMatchObject({ version: 2, reason: 'correction: name misprinted' });
    const versions = await reg().personalizations(card.cardNumber);
    expect(versions.map((v) => (v.document['person'] as { name: string }).name)).toEqual(['张三丰', '张三峰']);
    expect(versions[0]!.document).toEqual(stored);
    expect(await reg().cardStatus(card.cardNumber)).toMatchObject({
      holderName: '张三峰',
      ssc: 'active',
      pinInitial: true,
      personalizationVersion: 2,
    });
    const made = remade as unknown as SimulatedCard;
    const info = await atCounter(made, async (ch) => (await SscCard.open(ch)).readCardInfo());
    expect(info).toMatchObject({
      cardNumber: card.cardNumber,
      cardIdentifier: card.cardIdentifier,
      issueDate: card.issueDate,
    });
    expect(
      await atCounter(made, async (ch) => (await SscCard.open(ch, { psam: windowPsam() })).readCardholder()),
    ).toMatchObject({
      name: '张三峰',
      idNumber,
    });
    expect(await chipPin(made)).toEqual({ blocked: false, triesLeft: 3 });
    expect(await verifies(made, '123456')).toBe(true);
    expect((await reg().history(card.cardNumber)).at(-1)).toMatchObject({
      operation: 'correct_personalization',
      result: 'ok',
      details: { version: 2, reason: 'name misprinted', cardMade: true, pinInitial: true, unlocked: ['ssc'] },
    });
    // The re-made card works at the window like the first.
    const unlock = atCounter(made, (ch) => windowAt(reg()).unlockPin(ch, { idNumber }));
    await expect(unlock).rejects.toMatchObject({ code: 'PIN_NOT_LOCKED' });
  });

  it('a correction without a card records the version only; refusals: a stale base version, a blocked card, fixed fields', async () => {
    const { card, idNumber } = await issueChip(reg());
    const v2 = await windowAt(reg()).correctCard(card.cardNumber, {
      changes: { 'person.birthplace': '110105' },
      reason: 'birthplace',
    });
    expect(v2.version).toBe(2);
    expect((await reg().history(card.cardNumber)).at(-1)!.details).toEqual({ version: 2, reason: 'birthplace' });
    const stale = reg().perform(windowCorrectionOperation, WINDOW, {
      cardNumber: card.cardNumber,
      document: v2.document,
      reason: 'again',
      baseVersion: 1,
    });
    await expect(stale).rejects.toMatchObject({
      code: 'PERSONALIZATION_CHANGED',
      details: { expected: 1, found: 2 },
    });
    expect(() => applyCorrections(v2.document, { 'card.number': 'S99999999' })).toThrow(OfficeArgumentError);
    expect(() => applyCorrections(v2.document, { 'person.idNumber': idNumber })).toThrow(/cannot be changed/);
    expect(() => applyCorrections(v2.document, { 'pin.initial': '000000' })).toThrow(/PINs and keys/);
    expect(() => applyCorrections(v2.document, { 'person.name.first': 'x' })).toThrow(/not an object/);
    expect(() => applyCorrections(v2.document, {})).toThrow(/at least one/);
    expect(
      applyCorrections(
        { pin: { tryLimit: 3 }, card: { type: '1' }, person: { flag: true } },
        { 'person.flag': 'false', 'card.type': '2' },
      ),
    ).toEqual({
      pin: { tryLimit: 3 },
      card: { type: '2' },
      person: { flag: false },
    });
    await reg().blockCard(ADMIN, { cardNumber: card.cardNumber, side: 'ssc', reason: 'deceased' });
    await expect(
      windowAt(reg()).correctCard(card.cardNumber, {
        changes: { 'person.name': '某' },
        reason: 'x',
        makeCard: () => undefined,
      }),
    ).rejects.toMatchObject({
      code: 'CARD_STATE',
    });
    await expect(
      windowAt(reg()).correctCard('Z00000000', { changes: { 'person.name': '某' }, reason: 'x' }),
    ).rejects.toMatchObject({ code: 'CARD_NOT_FOUND' });
    expect(await story(reg(), 'Z00000000')).toEqual(['correct_personalization:refused:CARD_NOT_FOUND']);
    expect((await reg().personalizations(card.cardNumber)).length).toBe(2);
    await expect(
      windowAt(reg(), {}, BANK).correctCard(card.cardNumber, { changes: { 'person.name': '某' }, reason: 'x' }),
    ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
  });

  it('corrects the cardholder data on the chip in place: EF06 rewritten, PINs untouched, one history entry', async () => {
    const { card, chip, idNumber } = await issueChip(reg(), { spec: '3.00' });
    const desk = windowAt(
      reg(),
      {},
      WINDOW,
      SoftwarePsam.withTestKeys(['RKSSSE', 'ISSUANCE', 'PIN_UNBLOCK', 'PIN_RELOAD']),
    );
    await wrongPinsAtPharmacy(chip, 1);
    const pinBefore = await chipPin(chip);
    const v2 = await atCounter(chip, (ch) =>
      desk.correctCard(card.cardNumber, {
        changes: { 'person.name': '李秀兰', 'person.birthDate': '19700315' },
        reason: 'name and birth date misprinted',
        card: ch,
        idNumber,
      }),
    );
    expect(v2.version).toBe(2);
    expect((v2.document['person'] as Record<string, unknown>)['name']).toBe('李秀兰');
    const holder = await atCounter(chip, async (ch) =>
      (await SscCard.open(ch, { psam: windowPsam() })).readCardholder(),
    );
    expect(holder).toMatchObject({ name: '李秀兰', birthDate: '1970-03-15', idNumber });
    expect(await chipPin(chip)).toEqual(pinBefore);
    expect(await reg().cardStatus(card.cardNumber)).toMatchObject({
      personalizationVersion: 2,
      pinInitial: card.pinInitial,
    });
    const last = (await reg().history(card.cardNumber)).at(-1);
    expect(last).toMatchObject({
      operation: 'correct_personalization',
      result: 'ok',
      details: { cardWritten: true },
    });
  });

  it('in place: another card, another holder, a path EF06 does not hold or a module without the issuance key are refused; the chip is unchanged', async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    const other = await issueChip(reg());
    const desk = windowAt(
      reg(),
      {},
      WINDOW,
      SoftwarePsam.withTestKeys(['RKSSSE', 'ISSUANCE', 'PIN_UNBLOCK', 'PIN_RELOAD']),
    );
    const before = stateOf(chip);
    const correct = (changes: Record<string, string>, id = idNumber, at = chip, d = desk) =>
      atCounter(at, (ch) => d.correctCard(card.cardNumber, { changes, reason: 'x', card: ch, idNumber: id }));
    await expect(correct({ 'person.name': '某' }, other.idNumber, other.chip)).rejects.toMatchObject({
      code: 'OTHER_CARD_PRESENTED',
    });
    await expect(correct({ 'person.name': '某' }, other.idNumber)).rejects.toMatchObject({
      code: 'CARD_HOLDER_MISMATCH',
    });
    await expect(correct({ 'health.bloodType': 'A' })).rejects.toBeInstanceOf(OfficeArgumentError);
    await expect(correct({ 'person.name': '某' }, idNumber, chip, windowAt(reg()))).rejects.toMatchObject({
      code: 'CARD_SIDE_FAILED',
    });
    expect(stateOf(chip)).toBe(before);
    expect(await reg().cardStatus(card.cardNumber)).toMatchObject({ personalizationVersion: 1 });
    expect((await story(reg(), card.cardNumber)).filter((e) => e.startsWith('correct_personalization'))).toEqual([
      'correct_personalization:refused:OTHER_CARD_PRESENTED',
      'correct_personalization:refused:CARD_HOLDER_MISMATCH',
      'correct_personalization:refused:CARD_SIDE_FAILED',
    ]);
  });
});
