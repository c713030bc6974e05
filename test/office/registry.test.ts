import { expect, it } from 'vitest';
import {
  CardNotFoundError,
  CardNumberTakenError,
  CardSideFailedError,
  CardStateError,
  DocumentInvalidError,
  IdMismatchError,
  OfficeArgumentError,
  PersonHasCardError,
  RoleNotAllowedError,
  SCHEMA_VERSION,
  ScriptStateError,
} from '../../src/office/index.js';
import type { OperationContext } from '../../src/office/index.js';
import { databaseOf } from '../../src/office/registry.js';
import {
  ADMIN,
  BANK,
  HOTLINE,
  POS,
  WINDOW,
  describeBackends,
  idOf,
  issueToNewPerson,
  manualClock,
  personDocument,
} from './fixtures.js';

const clock = manualClock('2025-03-01T02:00:00Z');

describeBackends(
  'registry',
  (backend) => {
    const reg = () => backend().registry;
    const issue = (opts: Parameters<typeof personDocument>[0] = {}) => issueToNewPerson(reg(), opts);

    it('issues a card: numbers from the sequence, dates from the clock, both sides, PIN initial, document stored without PINs', async () => {
      const { doc, card, stored } = await issue({ financial: true, spec: '2.00' });
      expect(card.cardNumber).toMatch(/^S[0-9]{8}$/);
      expect(card.cardIdentifier).toMatch(
        new RegExp(`^${(doc['person'] as { birthplace: string }).birthplace}9[0-9]{9}$`),
      );
      expect(card.cardIdentifier.slice(-9)).toBe(card.cardNumber.slice(-8).padStart(9, '0'));
      expect(card).toMatchObject({
        idNumber: idOf(doc),
        specVersion: '2.00',
        financial: true,
        ssc: 'active',
        bank: 'inactive',
        pinInitial: true,
      });
      expect(card).toMatchObject({
        issueDate: '2025-03-01',
        expiryDate: '2035-03-01',
        personalizationVersion: 1,
        pendingScripts: 0,
      });
      expect(stored['card']).toMatchObject({
        number: card.cardNumber,
        identifier: card.cardIdentifier,
        issueDate: '2025-03-01',
      });
      expect(stored['pin']).toEqual({ tryLimit: 3 });
      expect(stored['bankPin']).toEqual({});
      const kept = await reg().personalization(card.cardNumber);
      expect(kept).toMatchObject({ version: 1, reason: 'issue' });
      expect(kept.document).toEqual(stored);
      expect(JSON.stringify(kept.document)).not.toContain('123456');
      expect(await reg().cardStatus(card.cardNumber)).toEqual(card);
      const person = await reg().person(idOf(doc));
      expect(person).toMatchObject({ idNumber: idOf(doc), name: '测试人', ethnicity: '01' });
    });

    it('allocates distinct numbers and keeps the document prefix letter and region when given', async () => {
      const a = await issue();
      const b = await issue();
      expect(a.card.cardNumber).not.toBe(b.card.cardNumber);
      const doc = personDocument();
      (doc['card'] as Record<string, unknown>)['number'] = 'G44030157';
      (doc['card'] as Record<string, unknown>)['identifier'] = '4403059001570042';
      const c = await reg().issueCard(WINDOW, { document: doc });
      expect(c.card.cardNumber).toMatch(/^G[0-9]{8}$/);
      expect(c.card.cardIdentifier).toMatch(/^4403059[0-9]{9}$/);
      expect(c.card.cardNumber).not.toBe('G44030157');
    });

    it('takes card identifiers in the 32-character form real cards carry (region, D156000005, serial, F padding)', async () => {
      const doc = personDocument();
      (doc['card'] as Record<string, unknown>)['number'] = 'G44030158';
      (doc['card'] as Record<string, unknown>)['identifier'] = '440305D1560000059001570042FFFFFF';
      const kept = await reg().issueCard(WINDOW, { document: doc, keepNumbers: true });
      expect(kept.card.cardIdentifier).toBe('440305D1560000059001570042FFFFFF');
      expect(((await reg().cardStatus('G44030158')) as { cardIdentifier: string }).cardIdentifier).toBe(
        '440305D1560000059001570042FFFFFF',
      );
      const bad = personDocument();
      (bad['card'] as Record<string, unknown>)['identifier'] = '440305D1560000059001570042FFFF';
      await expect(reg().issueCard(WINDOW, { document: bad })).rejects.toMatchObject({ code: 'DOCUMENT_INVALID' });
    });

    it('refuses a second live card for the same person, and an explicit card number that is taken', async () => {
      const { doc, card } = await issue();
      const again = reg().issueCard(WINDOW, { document: doc });
      await expect(again).rejects.toBeInstanceOf(PersonHasCardError);
      await expect(again).rejects.toMatchObject({ code: 'PERSON_HAS_CARD' });
      const other = personDocument();
      other['card'] = { ...(other['card'] as object), number: card.cardNumber, identifier: '1101059999999999' };
      await expect(reg().issueCard(WINDOW, { document: other, keepNumbers: true })).rejects.toBeInstanceOf(
        CardNumberTakenError,
      );
      expect(await reg().cardsOf(idOf(other))).toEqual([]);
      const refused = await reg().historyOfPerson(idOf(doc));
      expect(refused.map((h) => [h.operation, h.result, h.reason])).toEqual([
        ['issue_card', 'ok', null],
        ['issue_card', 'refused', 'PERSON_HAS_CARD'],
      ]);
    });

    it('refuses documents it cannot keep: master keys, a bad ID number, a failing full check', async () => {
      const withKeys = { ...personDocument(), keys: { masters: {} } };
      await expect(reg().issueCard(WINDOW, { document: withKeys })).rejects.toMatchObject({
        code: 'DOCUMENT_INVALID',
        path: 'keys',
      });
      const badId = personDocument();
      (badId['person'] as Record<string, unknown>)['idNumber'] = '12345';
      await expect(reg().issueCard(WINDOW, { document: badId })).rejects.toMatchObject({
        code: 'DOCUMENT_INVALID',
        path: 'person.idNumber',
      });
      const doc = personDocument();
      const failing = reg().issueCard(WINDOW, {
        document: doc,
        validate: () => {
          throw Object.assign(new Error('card.type: must be one digit'), { path: 'card.type' });
        },
      });
      await expect(failing).rejects.toBeInstanceOf(DocumentInvalidError);
      await expect(failing).rejects.toMatchObject({ path: 'card.type', message: 'card.type: must be one digit' });
      expect(await reg().cardsOf(idOf(doc))).toEqual([]);
    });

    it('refuses operations on a card it does not have, and records the refusal', async () => {
      await expect(reg().cardStatus('Z99999999')).rejects.toBeInstanceOf(CardNotFoundError);
      await expect(reg().recordPinLocked(POS, { cardNumber: 'Z99999999' })).rejects.toMatchObject({
        code: 'CARD_NOT_FOUND',
      });
      const h = await reg().history('Z99999999');
      expect(h).toHaveLength(1);
      expect(h[0]).toMatchObject({
        operation: 'pin_locked',
        result: 'refused',
        reason: 'CARD_NOT_FOUND',
        terminalId: POS.terminalId,
        role: 'pos',
        channel: 'terminal',
      });
    });

    it('application PIN: locked at a POS, unlocked at a window after the ID check; a wrong ID changes nothing', async () => {
      const { doc, card } = await issue();
      await reg().recordPinChanged(POS, { cardNumber: card.cardNumber });
      expect((await reg().recordPinLocked(POS, { cardNumber: card.cardNumber })).ssc).toBe('pin_locked');
      await expect(reg().recordPinLocked(POS, { cardNumber: card.cardNumber })).rejects.toBeInstanceOf(CardStateError);
      const wrongId = personDocument();
      await expect(
        reg().recordPinUnlock(WINDOW, { cardNumber: card.cardNumber, idNumber: idOf(wrongId) }),
      ).rejects.toBeInstanceOf(IdMismatchError);
      expect((await reg().cardStatus(card.cardNumber)).ssc).toBe('pin_locked');
      const unlocked = await reg().recordPinUnlock(WINDOW, { cardNumber: card.cardNumber, idNumber: idOf(doc) });
      expect(unlocked).toMatchObject({ ssc: 'active', pinInitial: false });
      const h = await reg().history(card.cardNumber);
      expect(h.map((e) => `${e.operation}:${e.result}${e.reason === null ? '' : `:${e.reason}`}`)).toEqual([
        'issue_card:ok',
        'pin_changed:ok',
        'pin_locked:ok',
        'pin_locked:refused:CARD_STATE',
        'pin_unlock:refused:ID_MISMATCH',
        'pin_unlock:ok',
      ]);
      expect(h[2]!.details).toEqual({ side: 'ssc', from: 'active', to: 'pin_locked', pinInitial: false });
      expect(h.every((e, i) => i === 0 || e.id > h[i - 1]!.id)).toBe(true);
    });

    it('a PIN reset to the initial PIN makes the application PIN initial again; the PIN-initial flag follows the last act', async () => {
      const { doc, card } = await issue();
      expect((await reg().recordPinChanged(HOTLINE, { cardNumber: card.cardNumber })).pinInitial).toBe(false);
      const reset = await reg().recordPinReset(WINDOW, {
        cardNumber: card.cardNumber,
        idNumber: idOf(doc),
        pinInitial: true,
      });
      expect(reset).toMatchObject({ ssc: 'active', pinInitial: true });
      expect((await reg().history(card.cardNumber)).at(-1)!.details).toEqual({
        side: 'ssc',
        from: 'active',
        to: 'active',
        pinInitial: true,
      });
      expect((await reg().recordPinChanged(POS, { cardNumber: card.cardNumber })).pinInitial).toBe(false);
    });

    it('a PIN reset to a PIN the holder chose (the default) records the PIN as no longer initial', async () => {
      const { doc, card } = await issue();
      expect(card.pinInitial).toBe(true);
      const reset = await reg().recordPinReset(WINDOW, { cardNumber: card.cardNumber, idNumber: idOf(doc) });
      expect(reset).toMatchObject({ ssc: 'active', pinInitial: false });
      const again = await reg().recordPinReset(WINDOW, {
        cardNumber: card.cardNumber,
        idNumber: idOf(doc),
        pinInitial: false,
      });
      expect(again.pinInitial).toBe(false);
    });

    it('keeps the sides apart: the bank resets the bank PIN, a window may not; a plain card has no bank side', async () => {
      const { doc, card } = await issue({ financial: true });
      await expect(reg().recordPinLocked(BANK, { cardNumber: card.cardNumber, side: 'bank' })).rejects.toMatchObject({
        code: 'CARD_STATE',
        side: 'bank',
        state: 'inactive',
      });
      await databaseOf(reg()).query("UPDATE cards SET bank_status = 'active' WHERE card_number = $1", [
        card.cardNumber,
      ]);
      await reg().recordPinLocked(BANK, { cardNumber: card.cardNumber, side: 'bank' });
      await expect(
        reg().recordPinUnlock(WINDOW, { cardNumber: card.cardNumber, idNumber: idOf(doc), side: 'bank' }),
      ).rejects.toBeInstanceOf(RoleNotAllowedError);
      await expect(
        reg().recordPinReset(BANK, { cardNumber: card.cardNumber, idNumber: idOf(doc), side: 'ssc' }),
      ).rejects.toBeInstanceOf(RoleNotAllowedError);
      const after = await reg().recordPinReset(BANK, {
        cardNumber: card.cardNumber,
        idNumber: idOf(doc),
        side: 'bank',
      });
      expect(after).toMatchObject({ ssc: 'active', bank: 'active', pinInitial: true });
      const plain = await issue();
      await expect(
        reg().recordPinLocked(POS, { cardNumber: plain.card.cardNumber, side: 'bank' }),
      ).rejects.toMatchObject({ code: 'CARD_STATE', state: null });
    });

    it('refuses roles that may not act: a POS cannot reset a PIN, nobody but admin expires scripts', async () => {
      const { doc, card } = await issue();
      await expect(
        reg().recordPinReset(POS, { cardNumber: card.cardNumber, idNumber: idOf(doc) }),
      ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
      await expect(reg().expireScripts(WINDOW)).rejects.toBeInstanceOf(RoleNotAllowedError);
      const last = (await reg().history(card.cardNumber)).at(-1)!;
      expect(last).toMatchObject({
        operation: 'pin_reset',
        result: 'refused',
        reason: 'ROLE_NOT_ALLOWED',
        role: 'pos',
      });
    });

    it('a failing card-side step refuses the operation and changes nothing; a passing one runs under the lock', async () => {
      const { doc, card } = await issue();
      await reg().recordPinLocked(POS, { cardNumber: card.cardNumber });
      const failing = reg().recordPinReset(WINDOW, {
        cardNumber: card.cardNumber,
        idNumber: idOf(doc),
        cardSide: async () => {
          throw Object.assign(new Error('card removed'), { code: 'CARD_REMOVED' });
        },
      });
      await expect(failing).rejects.toBeInstanceOf(CardSideFailedError);
      expect((await reg().cardStatus(card.cardNumber)).ssc).toBe('pin_locked');
      expect((await reg().history(card.cardNumber)).at(-1)).toMatchObject({
        result: 'refused',
        reason: 'CARD_SIDE_FAILED',
        details: {},
      });
      let seen: string | undefined;
      await reg().recordPinReset(WINDOW, {
        cardNumber: card.cardNumber,
        idNumber: idOf(doc),
        cardSide: async (c) => {
          seen = c.ssc;
        },
      });
      expect(seen).toBe('pin_locked');
      expect((await reg().cardStatus(card.cardNumber)).ssc).toBe('active');
    });

    it('blocks one side for good', async () => {
      const { doc, card } = await issue();
      const blocked = await reg().blockCard(WINDOW, { cardNumber: card.cardNumber, side: 'ssc', reason: 'fraud' });
      expect(blocked.ssc).toBe('blocked');
      await expect(
        reg().recordPinReset(WINDOW, { cardNumber: card.cardNumber, idNumber: idOf(doc) }),
      ).rejects.toMatchObject({ code: 'CARD_STATE', state: 'blocked' });
      await expect(
        reg().blockCard(WINDOW, { cardNumber: card.cardNumber, side: 'ssc', reason: 'again' }),
      ).rejects.toBeInstanceOf(CardStateError);
      const entry = (await reg().history(card.cardNumber)).find(
        (e) => e.operation === 'block_card' && e.result === 'ok',
      );
      expect(entry!.details).toEqual({ side: 'ssc', from: 'active', to: 'blocked', pinInitial: true, reason: 'fraud' });
      // A blocked card is no longer live: the person may be issued a new one.
      await expect(reg().issueCard(WINDOW, { document: doc })).resolves.toMatchObject({
        card: { idNumber: idOf(doc) },
      });
    });

    it('a correction keeps every version; the card keeps its numbers; the ID number cannot change', async () => {
      const { doc, card, stored } = await issue();
      const fixed = structuredClone(doc);
      (fixed['person'] as Record<string, unknown>)['name'] = '测试仁';
      const v2 = await reg().correctPersonalization(WINDOW, {
        cardNumber: card.cardNumber,
        document: fixed,
        reason: 'name misprinted',
      });
      expect(v2).toMatchObject({ version: 2, reason: 'correction: name misprinted' });
      expect(v2.document['card']).toMatchObject({
        number: card.cardNumber,
        identifier: card.cardIdentifier,
        issueDate: card.issueDate,
      });
      const all = await reg().personalizations(card.cardNumber);
      expect(all.map((v) => v.version)).toEqual([1, 2]);
      expect(all[0]!.document).toEqual(stored);
      expect((all[1]!.document['person'] as { name: string }).name).toBe('测试仁');
      expect((await reg().cardStatus(card.cardNumber)).holderName).toBe('测试仁');
      expect((await reg().personalization(card.cardNumber, 1)).document).toEqual(stored);
      const otherPerson = structuredClone(doc);
      (otherPerson['person'] as Record<string, unknown>)['idNumber'] = idOf(personDocument());
      await expect(
        reg().correctPersonalization(WINDOW, { cardNumber: card.cardNumber, document: otherPerson, reason: 'x' }),
      ).rejects.toMatchObject({
        code: 'DOCUMENT_INVALID',
        path: 'person.idNumber',
      });
      expect((await reg().cardStatus(card.cardNumber)).personalizationVersion).toBe(2);
    });

    it('issuer scripts: queued, pending until applied or expired, never holding a clear PIN', async () => {
      const { card } = await issue();
      const s1 = await reg().queueScript(HOTLINE, {
        cardNumber: card.cardNumber,
        kind: 'pin_change',
        payload: { apdus: ['80240000'] },
      });
      const s2 = await reg().queueScript(HOTLINE, {
        cardNumber: card.cardNumber,
        kind: 'application_unblock',
        payload: { apdus: ['84180000'] },
        expiresAt: new Date(clock.now().getTime() + 86_400_000),
      });
      expect(s1).toMatchObject({ state: 'pending', kind: 'pin_change', cardNumber: card.cardNumber, settledAt: null });
      expect((await reg().pendingScripts(card.cardNumber)).map((s) => s.id)).toEqual([s1.id, s2.id]);
      expect((await reg().cardStatus(card.cardNumber)).pendingScripts).toBe(2);
      await expect(
        reg().queueScript(HOTLINE, { cardNumber: card.cardNumber, kind: 'pin_change', payload: { newPin: '654321' } }),
      ).rejects.toBeInstanceOf(OfficeArgumentError);
      const applied = await reg().markScriptApplied(POS, { scriptId: s1.id });
      expect(applied).toMatchObject({ state: 'applied' });
      await expect(reg().markScriptApplied(POS, { scriptId: s1.id })).rejects.toBeInstanceOf(ScriptStateError);
      clock.advanceDays(2);
      try {
        expect(await reg().pendingScripts(card.cardNumber)).toEqual([]);
        await expect(reg().markScriptApplied(POS, { scriptId: s2.id })).rejects.toMatchObject({ code: 'SCRIPT_STATE' });
        expect(await reg().expireScripts(ADMIN)).toBeGreaterThanOrEqual(1);
        await expect(reg().markScriptApplied(POS, { scriptId: s2.id })).rejects.toMatchObject({
          code: 'SCRIPT_STATE',
          details: { state: 'expired' },
        });
      } finally {
        clock.advanceDays(-2);
      }
      await expect(reg().markScriptApplied(POS, { scriptId: 987654321 })).rejects.toMatchObject({
        code: 'SCRIPT_NOT_FOUND',
      });
      for (const scriptId of [0, -1, 1.5, Number.NaN])
        await expect(reg().markScriptApplied(POS, { scriptId })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: 'scriptId must be a positive integer',
        });
    });

    it('the history is append-only in the database: UPDATE, DELETE and TRUNCATE are refused', async () => {
      const { card } = await issue();
      const db = databaseOf(reg());
      await expect(
        db.query("UPDATE history SET result = 'refused', reason = 'X' WHERE card_number = $1", [card.cardNumber]),
      ).rejects.toThrow(/append-only/);
      await expect(db.query('DELETE FROM history WHERE card_number = $1', [card.cardNumber])).rejects.toThrow(
        /append-only/,
      );
      await expect(db.query('TRUNCATE history')).rejects.toThrow(/append-only/);
      await expect(db.query('UPDATE history SET details = $1::jsonb', ['{}'])).rejects.toMatchObject({ code: 'SS001' });
      expect(await reg().history(card.cardNumber)).toHaveLength(1);
    });

    it('never writes a PIN or a password into the history', async () => {
      const { card } = await issue();
      const leaky = {
        name: 'leaky',
        roles: ['admin'],
        subject: () => ({ cardNumber: card.cardNumber }),
        run: async () => ({ value: 1, cardNumber: card.cardNumber, details: { newPin: '654321' } }),
      } as const;
      await expect(reg().perform(leaky, ADMIN, {})).rejects.toBeInstanceOf(OfficeArgumentError);
      const h = await reg().history(card.cardNumber);
      expect(JSON.stringify(h)).not.toContain('654321');
      expect(h.map((e) => e.operation)).toEqual(['issue_card']);
    });

    it('checks the operation context', async () => {
      const bad = { terminalId: '', role: 'window', channel: 'counter' } as OperationContext;
      await expect(reg().recordPinLocked(bad, { cardNumber: 'S00000001' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(
        reg().recordPinLocked({ ...WINDOW, role: 'root' as never }, { cardNumber: 'S00000001' }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('reopening applies no migration again', async () => {
      const { registry } = backend();
      expect(registry.migration).toMatchObject({ to: SCHEMA_VERSION });
      if (backend().url.startsWith('postgres')) {
        const second = await backend().reopen();
        try {
          expect(second.migration).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
        } finally {
          await second.close();
        }
      }
    });
  },
  { clock },
);
