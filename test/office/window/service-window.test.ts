import { expect, it } from 'vitest';
import { buildSscCard, findSsse } from '../../../src/card-sim/index.js';
import {
  CardChangedNotRecordedError,
  OfficeArgumentError,
  OperationRefusedError,
  ServiceWindow,
} from '../../../src/office/index.js';
import { databaseOf } from '../../../src/office/registry.js';
import { WINDOW_PIN_OPERATIONS } from '../../../src/office/window/pin-operations.js';
import { IssuerTerminal, SoftwarePsam, SscCard } from '../../../src/terminal/index.js';
import type { TraceEvent } from '../../../src/terminal/index.js';
import { ADMIN, BANK, POS, WINDOW, personDocument } from '../fixtures.js';
import {
  atCounter,
  chipPin,
  issueChip,
  stateOf,
  story,
  verifies,
  windowAt,
  windowPsam,
  wrongPinsAtPharmacy,
  describeWindowSuite,
} from './counter.js';

/*
 * The service window's application-PIN acts and the issue, on both backends: each act against a
 * simulated chip and the registry, each refusal with the chip's state compared before and after
 * (nothing written) and its history entry.
 */

describeWindowSuite('service window', (reg) => {
  it('issues a card: the registry records it and the chip is made from the stored document, in one operation', async () => {
    const { card, chip, stored, idNumber } = await issueChip(reg(), { spec: '2.00' });
    expect(card).toMatchObject({
      idNumber,
      ssc: 'active',
      pinInitial: true,
      personalizationVersion: 1,
      issueDate: '2025-06-02',
    });
    const info = await atCounter(chip, async (ch) => (await SscCard.open(ch)).readCardInfo());
    expect(info).toMatchObject({
      cardNumber: card.cardNumber,
      cardIdentifier: card.cardIdentifier,
      issueDate: '2025-06-02',
      specVersion: '2.00',
    });
    expect(stored['card']).toMatchObject({ number: card.cardNumber });
    expect(await verifies(chip, '123456')).toBe(true);
    const entry = (await reg().history(card.cardNumber))[0]!;
    expect(entry).toMatchObject({
      operation: 'issue_card',
      result: 'ok',
      role: 'window',
      details: { cardMade: true },
    });
  });

  it('a card that cannot be made is not issued: the registry rolls back and records the refusal', async () => {
    const doc = personDocument();
    const idNumber = (doc['person'] as { idNumber: string }).idNumber;
    const failing = windowAt(reg()).issueCard({
      document: doc,
      makeCard: () => {
        throw Object.assign(new Error('printer jammed'), { code: 'PRINTER' });
      },
    });
    await expect(failing).rejects.toMatchObject({ code: 'CARD_SIDE_FAILED' });
    expect(await reg().cardsOf(idNumber)).toEqual([]);
    expect((await reg().historyOfPerson(idNumber)).map((e) => [e.operation, e.result, e.reason])).toEqual([
      ['issue_card', 'refused', 'CARD_SIDE_FAILED'],
    ]);
  });

  it('unlocks a PIN locked at a pharmacy: the lock the registry had not heard of is recorded, PIN UNBLOCK restores the counter, the PIN stays', async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    await wrongPinsAtPharmacy(chip);
    expect((await reg().cardStatus(card.cardNumber)).ssc).toBe('active');
    const result = await atCounter(chip, (ch) => windowAt(reg()).unlockPin(ch, { idNumber: idNumber.toLowerCase() }));
    expect(result).toMatchObject({
      cardCommand: 'PIN UNBLOCK',
      reconciled: false,
      lockRecorded: true,
      card: { ssc: 'active', pinInitial: true },
    });
    expect(await chipPin(chip)).toEqual({ blocked: false, triesLeft: 3 });
    expect(await verifies(chip, '123456')).toBe(true);
    expect(await story(reg(), card.cardNumber)).toEqual(['issue_card:ok', 'pin_locked:ok', 'pin_unlock:ok']);
    const [, locked, unlocked] = await reg().history(card.cardNumber);
    expect(locked!.details).toEqual({ side: 'ssc', from: 'active', to: 'pin_locked', pinInitial: true });
    expect(unlocked).toMatchObject({
      role: 'window',
      idNumber,
      details: { side: 'ssc', from: 'pin_locked', to: 'active', cardCommand: 'PIN UNBLOCK', chipBlocked: true },
    });
  });

  it('resets a forgotten PIN to one the holder chooses (the default rule): RELOAD PIN, the PIN is no longer initial', async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    await wrongPinsAtPharmacy(chip, 2);
    const desk = windowAt(reg());
    expect(desk.settings.resetPinRule).toBe('holder-chooses');
    const result = await atCounter(chip, (ch) =>
      desk.resetPin(ch, { idNumber, newPin: '602851', newPinAgain: '602851' }),
    );
    expect(result).toMatchObject({
      cardCommand: 'RELOAD PIN',
      lockRecorded: false,
      card: { ssc: 'active', pinInitial: false },
    });
    expect(await chipPin(chip)).toEqual({ blocked: false, triesLeft: 3 });
    expect(await verifies(chip, '602851')).toBe(true);
    const last = (await reg().history(card.cardNumber)).at(-1)!;
    expect(last).toMatchObject({ operation: 'pin_reset', result: 'ok' });
    expect(last.details).toEqual({
      side: 'ssc',
      from: 'active',
      to: 'active',
      pinInitial: false,
      resetRule: 'holder-chooses',
      cardCommand: 'RELOAD PIN',
      chipBlocked: false,
    });
    expect(JSON.stringify(await reg().history(card.cardNumber))).not.toContain('602851');
  });

  it("resets a blocked PIN to the initial PIN where the region's rule is 'initial': the registry records it initial again", async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    await atCounter(chip, (ch) => windowAt(reg()).resetPin(ch, { idNumber, newPin: '135790', newPinAgain: '135790' }));
    expect((await reg().cardStatus(card.cardNumber)).pinInitial).toBe(false);
    await wrongPinsAtPharmacy(chip);
    const desk = windowAt(reg(), { resetPinRule: 'initial' });
    await expect(
      atCounter(chip, (ch) => desk.resetPin(ch, { idNumber, newPin: '111111', newPinAgain: '111111' })),
    ).rejects.toBeInstanceOf(OfficeArgumentError);
    const result = await atCounter(chip, (ch) => desk.resetPin(ch, { idNumber }));
    expect(result).toMatchObject({
      cardCommand: 'RELOAD PIN',
      lockRecorded: true,
      card: { ssc: 'active', pinInitial: true },
    });
    expect(await verifies(chip, '123456')).toBe(true);
    expect((await reg().history(card.cardNumber)).at(-1)!.details).toMatchObject({
      from: 'pin_locked',
      to: 'active',
      pinInitial: true,
      resetRule: 'initial',
    });
    expect(() => windowAt(reg(), { resetPinRule: 'sometimes' as never })).toThrow(OfficeArgumentError);
  });

  it("reconciles: a chip already unlocked (the last visit's commit was lost) is recorded unlocked without a card command", async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    await wrongPinsAtPharmacy(chip);
    await reg().recordPinLocked(POS, { cardNumber: card.cardNumber });
    // The earlier visit's PIN UNBLOCK reached the chip; its commit did not.
    await atCounter(chip, async (ch) => {
      const psam = windowPsam();
      await new IssuerTerminal(await SscCard.open(ch, { psam }), psam).unblockPin();
    });
    const before = stateOf(chip);
    const trace: TraceEvent[] = [];
    const result = await atCounter(chip, (ch) => windowAt(reg()).unlockPin(ch, { idNumber }), trace);
    expect(result).toMatchObject({
      cardCommand: null,
      reconciled: true,
      lockRecorded: false,
      card: { ssc: 'active' },
    });
    expect(trace.map((e) => e.command.name)).not.toContain('PIN UNBLOCK');
    expect(stateOf(chip)).toBe(before);
    expect((await reg().history(card.cardNumber)).at(-1)!.details).toMatchObject({
      from: 'pin_locked',
      to: 'active',
      cardCommand: null,
      reconciled: true,
    });
  });

  it('a card changed but not recorded says so; the next visit reconciles from what the chip answers', async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    await wrongPinsAtPharmacy(chip);
    await reg().recordPinLocked(POS, { cardNumber: card.cardNumber });
    // The commit of this terminal's successful acts fails (as if the store died after the card step).
    const doomed = { ...WINDOW, terminalId: `doomed-${reg().backend}` };
    const db = databaseOf(reg());
    await db.exec(`CREATE OR REPLACE FUNCTION fail_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.terminal_id LIKE 'doomed-%' AND NEW.result = 'ok' THEN RAISE EXCEPTION 'store lost'; END IF; RETURN NEW; END $$;
        DROP TRIGGER IF EXISTS doomed ON history;
        CREATE TRIGGER doomed BEFORE INSERT ON history FOR EACH ROW EXECUTE FUNCTION fail_doomed();`);
    try {
      const lost = atCounter(chip, (ch) => windowAt(reg(), {}, doomed).unlockPin(ch, { idNumber }));
      await expect(lost).rejects.toBeInstanceOf(CardChangedNotRecordedError);
      await expect(lost).rejects.toMatchObject({ code: 'CARD_CHANGED_NOT_RECORDED', cardNumber: card.cardNumber });
    } finally {
      await db.exec('DROP TRIGGER doomed ON history; DROP FUNCTION fail_doomed();');
    }
    expect(await chipPin(chip)).toEqual({ blocked: false, triesLeft: 3 });
    expect((await reg().cardStatus(card.cardNumber)).ssc).toBe('pin_locked');
    const next = await atCounter(chip, (ch) => windowAt(reg()).unlockPin(ch, { idNumber }));
    expect(next).toMatchObject({ reconciled: true, cardCommand: null, card: { ssc: 'active' } });
  });

  // ---- refusals: nothing written to the card, the refusal in the history ------------------------

  it('refuses a wrong ID number before anything is sent to change the card', async () => {
    const { card, chip } = await issueChip(reg());
    await wrongPinsAtPharmacy(chip);
    const before = stateOf(chip);
    const other = (personDocument()['person'] as { idNumber: string }).idNumber;
    const trace: TraceEvent[] = [];
    const refused = atCounter(chip, (ch) => windowAt(reg()).unlockPin(ch, { idNumber: other }), trace);
    await expect(refused).rejects.toMatchObject({ code: 'ID_MISMATCH' });
    expect(stateOf(chip)).toBe(before);
    // Only the EF05 read: no EF06 read, no PIN state, no challenge, no command.
    expect(new Set(trace.map((e) => e.command.name))).toEqual(new Set(['SELECT', 'READ RECORD']));
    expect(trace.filter((e) => e.command.name === 'READ RECORD').every((e) => e.command.p2 === (0x05 << 3) + 4)).toBe(
      true,
    );
    expect(await story(reg(), card.cardNumber)).toEqual(['issue_card:ok', 'pin_unlock:refused:ID_MISMATCH']);
    expect((await reg().history(card.cardNumber)).at(-1)).toMatchObject({
      idNumber: other,
      role: 'window',
      terminalId: WINDOW.terminalId,
    });
  });

  it('refuses a chip whose EF06 is not the ID shown although the registry agrees (the card needs a correction)', async () => {
    const { card, stored, idNumber } = await issueChip(reg());
    const wrongChipDoc = structuredClone(stored);
    // Someone else's identity in EF06 (name kept), under the registry's card number and identifier.
    wrongChipDoc['person'] = {
      ...(personDocument()['person'] as object),
      name: (stored['person'] as { name: string }).name,
    };
    const chip = buildSscCard(wrongChipDoc);
    const before = stateOf(chip);
    await expect(
      atCounter(chip, (ch) => windowAt(reg()).resetPin(ch, { idNumber, newPin: '602851', newPinAgain: '602851' })),
    ).rejects.toMatchObject({
      code: 'CARD_HOLDER_MISMATCH',
    });
    expect(stateOf(chip)).toBe(before);
    expect(await story(reg(), card.cardNumber)).toEqual(['issue_card:ok', 'pin_reset:refused:CARD_HOLDER_MISMATCH']);
  });

  it('refuses a chip the registry does not know, and one carrying a known card number with another identifier', async () => {
    const stranger = personDocument();
    Object.assign(stranger['card'] as Record<string, unknown>, {
      number: 'Q12345678',
      identifier: '3101049012345678',
      issueDate: '2024-01-02',
      expiryDate: '2034-01-02',
    });
    const unknown = buildSscCard(stranger);
    const strangerId = (stranger['person'] as { idNumber: string }).idNumber;
    const before = stateOf(unknown);
    await expect(
      atCounter(unknown, (ch) => windowAt(reg()).unlockPin(ch, { idNumber: strangerId })),
    ).rejects.toMatchObject({ code: 'CARD_NOT_FOUND' });
    expect(stateOf(unknown)).toBe(before);
    expect(await story(reg(), 'Q12345678')).toEqual(['pin_unlock:refused:CARD_NOT_FOUND']);

    const { card, stored, idNumber } = await issueChip(reg());
    const forged = structuredClone(stored);
    (forged['card'] as Record<string, unknown>)['identifier'] = '4403059999999999';
    const fake = buildSscCard(forged);
    await expect(atCounter(fake, (ch) => windowAt(reg()).unlockPin(ch, { idNumber }))).rejects.toMatchObject({
      code: 'CARD_IDENTITY_MISMATCH',
    });
    expect((await story(reg(), card.cardNumber)).at(-1)).toBe('pin_unlock:refused:CARD_IDENTITY_MISMATCH');
  });

  it('refuses a card blocked, lost or replaced in the registry', async () => {
    for (const state of ['blocked', 'lost_temporary', 'lost_written', 'replaced'] as const) {
      const { card, chip, idNumber } = await issueChip(reg());
      await wrongPinsAtPharmacy(chip);
      if (state === 'blocked')
        await reg().blockCard(ADMIN, { cardNumber: card.cardNumber, side: 'ssc', reason: 'fraud' });
      else
        await databaseOf(reg()).query('UPDATE cards SET ssc_status = $2 WHERE card_number = $1', [
          card.cardNumber,
          state,
        ]);
      const before = stateOf(chip);
      const refused = atCounter(chip, (ch) => windowAt(reg()).unlockPin(ch, { idNumber }));
      await expect(refused).rejects.toMatchObject({ code: 'CARD_STATE', state });
      expect(stateOf(chip)).toBe(before);
      expect((await story(reg(), card.cardNumber)).at(-1)).toBe('pin_unlock:refused:CARD_STATE');
    }
  });

  it("refuses a card whose application is blocked on the chip, recording it against the holder's card", async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    findSsse(chip.tree)!.blockApplication('temporary');
    const before = stateOf(chip);
    const refused = atCounter(chip, (ch) =>
      windowAt(reg()).resetPin(ch, { idNumber, newPin: '602851', newPinAgain: '602851' }),
    );
    await expect(refused).rejects.toMatchObject({ code: 'CARD_APPLICATION_BLOCKED', details: { permanent: false } });
    expect(stateOf(chip)).toBe(before);
    expect(await story(reg(), card.cardNumber)).toEqual([
      'issue_card:ok',
      'pin_reset:refused:CARD_APPLICATION_BLOCKED',
    ]);
  });

  it('refuses new PINs that differ, break the format or are the initial PIN; none reaches the card', async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    const before = stateOf(chip);
    const cases = [
      ['602851', '602852', 'NEW_PIN_MISMATCH'],
      ['60285', '60285', 'NEW_PIN_FORMAT'],
      ['12a456', '12a456', 'NEW_PIN_FORMAT'],
      ['123456', '123456', 'NEW_PIN_INITIAL'],
    ] as const;
    for (const [newPin, newPinAgain, code] of cases) {
      const refused = atCounter(chip, (ch) => windowAt(reg()).resetPin(ch, { idNumber, newPin, newPinAgain }));
      await expect(refused).rejects.toBeInstanceOf(OperationRefusedError);
      await expect(refused).rejects.toMatchObject({ code });
      expect(((await refused.catch((e: unknown) => e)) as Error).message).not.toMatch(/60285|12a456|123456/);
    }
    expect(stateOf(chip)).toBe(before);
    expect((await story(reg(), card.cardNumber)).slice(1)).toEqual(
      cases.map(([, , code]) => `pin_reset:refused:${code}`),
    );
    const h = JSON.stringify(await reg().history(card.cardNumber));
    for (const pin of ['602851', '602852', '12a456']) expect(h).not.toContain(pin);
  });

  it('refuses an unlock when nothing is locked, and a bank terminal acting on the application PIN', async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    const before = stateOf(chip);
    await expect(atCounter(chip, (ch) => windowAt(reg()).unlockPin(ch, { idNumber }))).rejects.toMatchObject({
      code: 'PIN_NOT_LOCKED',
      details: { triesLeft: 3 },
    });
    const trace: TraceEvent[] = [];
    const bankDesk = new ServiceWindow(reg(), BANK, SoftwarePsam.withTestKeys(['RKSSSE', 'PIN_UNBLOCK', 'PIN_RELOAD']));
    await expect(
      atCounter(chip, (ch) => bankDesk.resetPin(ch, { idNumber, newPin: '602851', newPinAgain: '602851' }), trace),
    ).rejects.toMatchObject({
      code: 'ROLE_NOT_ALLOWED',
    });
    expect(trace).toEqual([]);
    expect(stateOf(chip)).toBe(before);
    expect((await story(reg(), card.cardNumber)).slice(1)).toEqual(['pin_unlock:refused:PIN_NOT_LOCKED']);
    expect((await reg().historyOfPerson(idNumber)).at(-1)).toMatchObject({
      operation: 'pin_reset',
      result: 'refused',
      reason: 'ROLE_NOT_ALLOWED',
      role: 'bank',
      cardNumber: null,
    });
  });

  it('decides under the lock from both states: a chip lock the registry lost track of in between is PIN_STATE_CHANGED, nothing sent', async () => {
    const { card, idNumber } = await issueChip(reg());
    let sent = 0;
    const act = reg().perform(WINDOW_PIN_OPERATIONS.ssc.unlock, WINDOW, {
      act: 'unlock',
      side: 'ssc',
      cardNumber: card.cardNumber,
      cardIdentifier: card.cardIdentifier,
      idNumber,
      readPin: async () => ({ blocked: true, triesLeft: 0 }),
      command: async () => {
        sent += 1;
      },
      commandName: 'PIN UNBLOCK',
    });
    await expect(act).rejects.toMatchObject({ code: 'PIN_STATE_CHANGED' });
    expect(sent).toBe(0);
    expect((await reg().cardStatus(card.cardNumber)).ssc).toBe('active');
  });

  it('a failing card step rolls the registry back: the lock recorded stays, the unlock is refused, the chip unchanged', async () => {
    const { card, chip, idNumber } = await issueChip(reg());
    await wrongPinsAtPharmacy(chip);
    const noUnblockKey = windowAt(reg(), {}, WINDOW, SoftwarePsam.withTestKeys(['RKSSSE', 'PIN_RELOAD']));
    const before = stateOf(chip);
    const refused = atCounter(chip, (ch) => noUnblockKey.unlockPin(ch, { idNumber }));
    await expect(refused).rejects.toMatchObject({
      code: 'CARD_SIDE_FAILED',
      details: { cause: 'ISSUER_KEY_MISSING' },
    });
    expect(stateOf(chip)).toBe(before);
    expect(await reg().cardStatus(card.cardNumber)).toMatchObject({ ssc: 'pin_locked' });
    expect(await story(reg(), card.cardNumber)).toEqual([
      'issue_card:ok',
      'pin_locked:ok',
      'pin_unlock:refused:CARD_SIDE_FAILED',
    ]);
  });
});
