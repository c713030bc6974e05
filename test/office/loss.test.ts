import { expect, it } from 'vitest';
import { blacklistTestPublicKey } from '../../src/keys/index.js';
import {
  ActivationWindowClosedError,
  BankPinCheckFailedError,
  CardSideFailedError,
  CardStateError,
  IdMismatchError,
  InitialPinSelfServiceError,
  LossChannelNotAllowedError,
  NameMismatchError,
  OfficeArgumentError,
  OutsideOfficeHoursError,
  ProxyIdRequiredError,
  RoleNotAllowedError,
  WrittenReportRequiredError,
} from '../../src/office/index.js';
import type { CardStatus, OperationContext } from '../../src/office/index.js';
import { BlacklistFile } from '../../src/terminal/index.js';
import {
  ADMIN,
  BANK,
  HOTLINE,
  IVR,
  POS,
  WINDOW,
  describeBackends,
  issueToNewPerson,
  manualClock,
  personDocument,
} from './fixtures.js';

const PORTAL: OperationContext = { terminalId: 'portal-web-1', role: 'portal', channel: 'online' };
const BANK_APP: OperationContext = { terminalId: 'bank-app-icbc', role: 'bank', channel: 'online' };
const PROXY_WINDOW: OperationContext = { terminalId: 'window-110105-02', role: 'window', channel: 'proxy' };
const PROXY_ID = '11010519800101001X';

/** Tuesday 2027-01-05, 10:00 in China: inside the default office hours. */
const TUESDAY_10 = '2027-01-05T10:00:00+08:00';
const clock = manualClock(TUESDAY_10);

/** A bank PIN check that passes (the bank verified the PIN) or fails as the card would. */
const bankPinOk = { on: 'bank_system' as const, check: async () => undefined };

describeBackends(
  'loss reporting and replacement',
  (backend) => {
    const reg = () => backend().registry;
    const issue = (opts: Parameters<typeof personDocument>[0] = {}) => issueToNewPerson(reg(), opts);
    const refusal = async (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    const lastEntry = async (cardNumber: string) => (await reg().history(cardNumber)).at(-1);
    /** A report of the social security side by telephone (manual): the caller 测试人, giving `idNumber`. */
    const manualReport = (cardNumber: string, idNumber: string) => ({
      cardNumber,
      side: 'ssc' as const,
      channel: 'manual' as const,
      name: '测试人',
      idNumber,
    });

    it('self-service: refused while the PIN is the initial one, then taken at any hour once it was changed', async () => {
      clock.set('2027-01-09T23:30:00+08:00'); // Saturday night: self-service has no hours
      const { card, id } = await issue();
      const e = await refusal(reg().reportLoss(IVR, { cardNumber: card.cardNumber, side: 'ssc', channel: 'self' }));
      expect(e).toBeInstanceOf(InitialPinSelfServiceError);
      expect(e).toMatchObject({ code: 'INITIAL_PIN_SELF_SERVICE' });
      expect(await lastEntry(card.cardNumber)).toMatchObject({
        operation: 'report_loss',
        result: 'refused',
        reason: 'INITIAL_PIN_SELF_SERVICE',
      });
      expect((await reg().cardStatus(card.cardNumber)).ssc).toBe('active');

      await reg().recordPinChanged(IVR, { cardNumber: card.cardNumber });
      const wrongId = await refusal(
        reg().reportLoss(PORTAL, { cardNumber: card.cardNumber, side: 'ssc', channel: 'self', idNumber: PROXY_ID }),
      );
      expect(wrongId).toBeInstanceOf(IdMismatchError);
      const status = await reg().reportLoss(PORTAL, {
        cardNumber: card.cardNumber,
        side: 'ssc',
        channel: 'self',
        idNumber: id,
      });
      expect(status).toMatchObject({ ssc: 'lost_temporary', bank: null });
      expect(await lastEntry(card.cardNumber)).toMatchObject({
        result: 'ok',
        role: 'portal',
        details: { side: 'ssc', lossChannel: 'self', from: 'active', to: 'lost_temporary' },
      });
      expect(await reg().blacklistOf({ cardNumber: card.cardNumber, cardIdentifier: '0000000000000000' })).toEqual([
        { cardNumber: card.cardNumber, cardIdentifier: card.cardIdentifier, side: 'ssc', reason: 'lost' },
      ]);
      const loss = await reg().lossStatus(card.cardNumber);
      expect(loss.reports).toMatchObject([{ side: 'ssc', channel: 'self', document: null, state: 'open' }]);
    });

    it('each side through its own channels: the bank side at the bank, the social-security side at the hotline or window', async () => {
      clock.set(TUESDAY_10);
      const { card } = await issue({ financial: true });
      await reg().recordPinChanged(IVR, { cardNumber: card.cardNumber });
      await reg().activateBank(BANK, { cardNumber: card.cardNumber, idNumber: card.idNumber });
      const viaHotline = await refusal(
        reg().reportLoss(IVR, { cardNumber: card.cardNumber, side: 'bank', channel: 'self' }),
      );
      expect(viaHotline).toBeInstanceOf(RoleNotAllowedError);
      const bankSsc = await refusal(
        reg().reportLoss(BANK_APP, { cardNumber: card.cardNumber, side: 'ssc', channel: 'self' }),
      );
      expect(bankSsc).toBeInstanceOf(RoleNotAllowedError);
      const writtenAtHotline = await refusal(
        reg().reportLoss(HOTLINE, {
          cardNumber: card.cardNumber,
          side: 'ssc',
          channel: 'written',
          idNumber: card.idNumber,
        }),
      );
      expect(writtenAtHotline).toBeInstanceOf(RoleNotAllowedError);
      const status = await reg().reportLoss(BANK_APP, { cardNumber: card.cardNumber, side: 'bank', channel: 'self' });
      expect(status).toMatchObject({ ssc: 'active', bank: 'lost_temporary' });
      expect(await reg().blacklistOf({ cardNumber: card.cardNumber, cardIdentifier: card.cardIdentifier })).toEqual([
        { cardNumber: card.cardNumber, cardIdentifier: card.cardIdentifier, side: 'bank', reason: 'lost' },
      ]);
    });

    it('manual: office hours, and card number, name and ID number must all match; the initial PIN is no obstacle', async () => {
      const { card, id } = await issue();
      const input = manualReport(card.cardNumber, id);
      clock.set('2027-01-05T18:05:00+08:00');
      const late = await refusal(reg().reportLoss(HOTLINE, input));
      expect(late).toBeInstanceOf(OutsideOfficeHoursError);
      expect((late as Error).message).toBe(
        'manual loss reports are taken 08:30-17:30 Mon-Fri (China time); it is Tue 2027-01-05 18:05 China time',
      );
      clock.set('2027-01-09T10:00:00+08:00');
      expect(await refusal(reg().reportLoss(HOTLINE, input))).toMatchObject({ code: 'OUTSIDE_OFFICE_HOURS' });
      clock.set('2027-01-05T08:29:00+08:00');
      expect(await refusal(reg().reportLoss(HOTLINE, input))).toMatchObject({ code: 'OUTSIDE_OFFICE_HOURS' });

      clock.set('2027-01-05T08:30:00+08:00');
      const name = await refusal(reg().reportLoss(HOTLINE, { ...input, name: '测试仁' }));
      expect(name).toBeInstanceOf(NameMismatchError);
      const idWrong = await refusal(reg().reportLoss(HOTLINE, { ...input, idNumber: PROXY_ID }));
      expect(idWrong).toBeInstanceOf(IdMismatchError);
      expect(
        await refusal(
          reg().reportLoss(HOTLINE, { cardNumber: card.cardNumber, side: 'ssc', channel: 'manual', idNumber: id }),
        ),
      ).toBeInstanceOf(OfficeArgumentError);
      const refused = (await reg().history(card.cardNumber)).filter((h) => h.result === 'refused').map((h) => h.reason);
      expect(refused).toEqual([
        'OUTSIDE_OFFICE_HOURS',
        'OUTSIDE_OFFICE_HOURS',
        'OUTSIDE_OFFICE_HOURS',
        'NAME_MISMATCH',
        'ID_MISMATCH',
      ]);

      const status = await reg().reportLoss(HOTLINE, { ...input, name: ' 测试 人 ' });
      expect(status).toMatchObject({ ssc: 'lost_temporary', pinInitial: true });
      // A second temporary report of a side already reported is a state refusal.
      clock.set(TUESDAY_10);
      expect(await refusal(reg().reportLoss(HOTLINE, input))).toBeInstanceOf(CardStateError);
    });

    it('written at the window: the document kind is recorded, a proxy needs both IDs, a temporary report is superseded', async () => {
      clock.set(TUESDAY_10);
      const { card, id } = await issue();
      await reg().reportLoss(HOTLINE, manualReport(card.cardNumber, id));
      const base = {
        cardNumber: card.cardNumber,
        side: 'ssc' as const,
        channel: 'written' as const,
        idNumber: id,
        document: 'household' as const,
      };
      const noProxyId = await refusal(reg().reportLoss(PROXY_WINDOW, base));
      expect(noProxyId).toBeInstanceOf(ProxyIdRequiredError);
      expect(await refusal(reg().reportLoss(PROXY_WINDOW, { ...base, proxyIdNumber: id }))).toBeInstanceOf(
        ProxyIdRequiredError,
      );
      const status = await reg().reportLoss(PROXY_WINDOW, { ...base, proxyIdNumber: PROXY_ID.toLowerCase() });
      expect(status.ssc).toBe('lost_written');
      expect(await lastEntry(card.cardNumber)).toMatchObject({
        operation: 'report_loss',
        channel: 'proxy',
        details: {
          lossChannel: 'written',
          document: 'household',
          proxyIdNumber: PROXY_ID,
          from: 'lost_temporary',
          to: 'lost_written',
          superseded: true,
        },
      });
      expect((await reg().lossStatus(card.cardNumber)).reports.map((r) => [r.channel, r.state])).toEqual([
        ['manual', 'superseded'],
        ['written', 'open'],
      ]);
    });

    it('written on the bank side: at a bank, with the bank PIN checked by the bank (on the card, or in its own systems)', async () => {
      clock.set(TUESDAY_10);
      const { card, id } = await issue({ financial: true });
      await reg().activateBank(BANK, { cardNumber: card.cardNumber, idNumber: id });
      const input = { cardNumber: card.cardNumber, side: 'bank' as const, channel: 'written' as const, idNumber: id };
      expect(await refusal(reg().reportLoss(BANK, input))).toBeInstanceOf(OfficeArgumentError);
      const failed = await refusal(
        reg().reportLoss(BANK, {
          ...input,
          bankPinCheck: {
            on: 'card',
            check: async () => Promise.reject(Object.assign(new Error('wrong'), { code: 'PIN_INCORRECT' })),
          },
        }),
      );
      expect(failed).toBeInstanceOf(BankPinCheckFailedError);
      expect(await lastEntry(card.cardNumber)).toMatchObject({
        result: 'refused',
        reason: 'BANK_PIN_CHECK_FAILED',
        details: { on: 'card' },
      });
      expect((await reg().cardStatus(card.cardNumber)).bank).toBe('active');
      let checkedOn: CardStatus | undefined;
      const status = await reg().reportLoss(BANK, {
        ...input,
        bankPinCheck: { on: 'bank_system', check: async (c) => void (checkedOn = c) },
      });
      expect(checkedOn?.cardNumber).toBe(card.cardNumber);
      expect(status).toMatchObject({ ssc: 'active', bank: 'lost_written' });
      expect(await lastEntry(card.cardNumber)).toMatchObject({
        details: { side: 'bank', document: 'id', bankPinCheckedOn: 'bank_system' },
      });
      expect(await refusal(reg().reportLoss(WINDOW, { ...input, bankPinCheck: bankPinOk }))).toBeInstanceOf(
        RoleNotAllowedError,
      );
    });

    it('withdrawal when the card is found: a temporary report by its channel, a written one only in writing', async () => {
      clock.set(TUESDAY_10);
      const { card, id } = await issue();
      expect(
        await refusal(
          reg().withdrawLoss(WINDOW, { cardNumber: card.cardNumber, side: 'ssc', channel: 'written', idNumber: id }),
        ),
      ).toBeInstanceOf(CardStateError);
      const manual = manualReport(card.cardNumber, id);
      await reg().reportLoss(HOTLINE, manual);
      expect(await refusal(reg().withdrawLoss(HOTLINE, { ...manual, name: '别人' }))).toBeInstanceOf(NameMismatchError);
      expect(await reg().withdrawLoss(HOTLINE, manual)).toMatchObject({ ssc: 'active' });
      expect((await reg().lossStatus(card.cardNumber)).reports.map((r) => r.state)).toEqual(['withdrawn']);

      const written = { cardNumber: card.cardNumber, side: 'ssc' as const, channel: 'written' as const, idNumber: id };
      await reg().reportLoss(WINDOW, written);
      const byPhone = await refusal(reg().withdrawLoss(HOTLINE, manual));
      expect(byPhone).toBeInstanceOf(LossChannelNotAllowedError);
      let stepRan = false;
      const back = await reg().withdrawLoss(WINDOW, { ...written, cardSide: async () => void (stepRan = true) });
      expect(stepRan).toBe(true);
      expect(back.ssc).toBe('active');
      expect(await lastEntry(card.cardNumber)).toMatchObject({
        operation: 'withdraw_loss',
        details: { from: 'lost_written', to: 'active', lossChannel: 'written' },
      });
      expect(await reg().blacklistOf({ cardNumber: card.cardNumber, cardIdentifier: card.cardIdentifier })).toEqual([]);
    });

    it('temporary reports lapse after 5 days without a written one (default rule: restore); written ones stand', async () => {
      clock.set(TUESDAY_10);
      const a = await issue();
      const b = await issue();
      await reg().reportLoss(HOTLINE, manualReport(a.card.cardNumber, a.id));
      await reg().reportLoss(HOTLINE, manualReport(b.card.cardNumber, b.id));
      await reg().reportLoss(WINDOW, {
        cardNumber: b.card.cardNumber,
        side: 'ssc',
        channel: 'written',
        idNumber: b.id,
      });
      clock.set('2027-01-10T09:59:00+08:00');
      expect((await reg().expireTemporaryLosses(ADMIN)).map((c) => c.cardNumber)).not.toContain(a.card.cardNumber);
      expect((await reg().cardStatus(a.card.cardNumber)).ssc).toBe('lost_temporary');
      clock.set('2027-01-10T10:00:00+08:00');
      const restored = await reg().expireTemporaryLosses(ADMIN);
      expect(restored.map((c) => c.cardNumber)).toContain(a.card.cardNumber);
      expect(restored.map((c) => c.cardNumber)).not.toContain(b.card.cardNumber);
      expect((await reg().cardStatus(a.card.cardNumber)).ssc).toBe('active');
      expect((await reg().cardStatus(b.card.cardNumber)).ssc).toBe('lost_written');
      expect(await lastEntry(a.card.cardNumber)).toMatchObject({
        operation: 'expire_temporary_loss',
        details: { lossChannel: 'manual', lapseDays: 5, to: 'active' },
      });
      expect((await reg().lossStatus(a.card.cardNumber)).reports.map((r) => r.state)).toEqual(['lapsed']);
    });

    it('replacement: refused before a written report (each side), then a new card from the newest personalization', async () => {
      clock.set(TUESDAY_10);
      const { card, id, doc } = await issue({ financial: true });
      await reg().activateBank(BANK, { cardNumber: card.cardNumber, idNumber: id });
      const corrected = structuredClone(doc);
      corrected['health'] = { abo: '1', contraindications: [{ substance: '青霉素', reaction: '皮疹' }] };
      corrected['workRecords'] = [
        { employerCode: 'A100001', startDate: '2020-01-01', endDate: null, employerName: '某公司' },
      ];
      await reg().correctPersonalization(WINDOW, {
        cardNumber: card.cardNumber,
        document: corrected,
        reason: 'health data added',
      });

      const early = await refusal(reg().replaceCard(WINDOW, { cardNumber: card.cardNumber, idNumber: id }));
      expect(early).toBeInstanceOf(WrittenReportRequiredError);
      expect(early).toMatchObject({ code: 'WRITTEN_REPORT_REQUIRED', details: { side: 'ssc', state: 'active' } });
      await reg().reportLoss(HOTLINE, manualReport(card.cardNumber, id));
      expect(await refusal(reg().replaceCard(WINDOW, { cardNumber: card.cardNumber, idNumber: id }))).toMatchObject({
        code: 'WRITTEN_REPORT_REQUIRED',
        details: { side: 'ssc', state: 'lost_temporary' },
      });
      await reg().reportLoss(WINDOW, { cardNumber: card.cardNumber, side: 'ssc', channel: 'written', idNumber: id });
      expect(await refusal(reg().replaceCard(WINDOW, { cardNumber: card.cardNumber, idNumber: id }))).toMatchObject({
        code: 'WRITTEN_REPORT_REQUIRED',
        details: { side: 'bank', state: 'active' },
      });
      await reg().reportLoss(BANK, {
        cardNumber: card.cardNumber,
        side: 'bank',
        channel: 'written',
        idNumber: id,
        bankPinCheck: bankPinOk,
      });
      expect(
        await refusal(reg().replaceCard(PROXY_WINDOW, { cardNumber: card.cardNumber, idNumber: id })),
      ).toBeInstanceOf(ProxyIdRequiredError);
      expect(await refusal(reg().replaceCard(HOTLINE, { cardNumber: card.cardNumber, idNumber: id }))).toBeInstanceOf(
        RoleNotAllowedError,
      );

      clock.set('2027-01-06T09:00:00+08:00');
      const replaced = await reg().replaceCard(PROXY_WINDOW, {
        cardNumber: card.cardNumber,
        idNumber: id,
        proxyIdNumber: PROXY_ID,
        document: 'residence',
      });
      const fresh = replaced.card;
      expect(fresh.cardNumber).not.toBe(card.cardNumber);
      expect(fresh.cardIdentifier).not.toBe(card.cardIdentifier);
      expect(fresh.cardNumber[0]).toBe(card.cardNumber[0]);
      expect(fresh.cardIdentifier.slice(0, 6)).toBe(card.cardIdentifier.slice(0, 6));
      expect(fresh).toMatchObject({
        idNumber: id,
        ssc: 'active',
        bank: 'inactive',
        pinInitial: true,
        replaces: card.cardNumber,
        issueDate: '2027-01-06',
        personalizationVersion: 1,
      });
      expect(replaced.old).toMatchObject({ ssc: 'replaced', bank: 'replaced' });
      const d = replaced.document as Record<string, unknown>;
      expect(d['card']).toMatchObject({
        number: fresh.cardNumber,
        identifier: fresh.cardIdentifier,
        issueDate: '2027-01-06',
      });
      expect(d['health']).toEqual(corrected['health']);
      expect(d['workRecords']).toEqual(corrected['workRecords']);
      expect(d['bankApplication']).toEqual({ state: 'inactive' });
      expect(JSON.stringify(d)).not.toContain('888888');
      expect((await reg().lossStatus(card.cardNumber)).reports.map((r) => r.state)).toEqual([
        'superseded',
        'replaced',
        'replaced',
      ]);
      expect(await lastEntry(card.cardNumber)).toMatchObject({
        operation: 'replace_card',
        details: {
          replacedBy: fresh.cardNumber,
          fromVersion: 2,
          proxyIdNumber: PROXY_ID,
          document: 'residence',
          bank: { from: 'lost_written', to: 'replaced' },
        },
      });
      expect(await reg().history(fresh.cardNumber)).toMatchObject([
        { operation: 'replace_card', details: { replaces: card.cardNumber } },
      ]);
      expect(await reg().cardsOf(id)).toHaveLength(2);
      expect(await reg().blacklistOf({ cardNumber: card.cardNumber, cardIdentifier: card.cardIdentifier })).toEqual([
        { cardNumber: card.cardNumber, cardIdentifier: card.cardIdentifier, side: 'ssc', reason: 'replaced' },
        { cardNumber: card.cardNumber, cardIdentifier: card.cardIdentifier, side: 'bank', reason: 'replaced' },
      ]);
      expect(await refusal(reg().replaceCard(WINDOW, { cardNumber: card.cardNumber, idNumber: id }))).toBeInstanceOf(
        CardStateError,
      );
      expect(
        await refusal(
          reg().reportLoss(WINDOW, { cardNumber: card.cardNumber, side: 'ssc', channel: 'written', idNumber: id }),
        ),
      ).toBeInstanceOf(CardStateError);
    });

    it('a card whose bank side was never activated is replaced after the written report of the social-security side', async () => {
      clock.set(TUESDAY_10);
      const { card, id } = await issue({ financial: true });
      await reg().reportLoss(WINDOW, { cardNumber: card.cardNumber, side: 'ssc', channel: 'written', idNumber: id });
      expect(
        await refusal(reg().replaceCard(WINDOW, { cardNumber: card.cardNumber, idNumber: PROXY_ID })),
      ).toBeInstanceOf(IdMismatchError);
      const r = await reg().replaceCard(WINDOW, { cardNumber: card.cardNumber, idNumber: id });
      expect(r.old).toMatchObject({ ssc: 'replaced', bank: 'replaced' });
      expect(r.card.bank).toBe('inactive');
    });

    it('bank activation: at a bank with the ID, within 60 days of issue or hand-over; day 61 refused until a written request re-opens it', async () => {
      clock.set(TUESDAY_10);
      const a = await issue({ financial: true });
      const b = await issue({ financial: true });
      const c = await issue({ financial: true });
      const plain = await issue();
      clock.set('2027-03-06T16:00:00+08:00'); // day 60
      expect((await reg().lossStatus(a.card.cardNumber)).bankActivation).toEqual({
        cardNumber: a.card.cardNumber,
        from: '2027-01-05',
        until: '2027-03-06',
        day: 60,
        open: true,
      });
      expect(
        await refusal(reg().activateBank(WINDOW, { cardNumber: a.card.cardNumber, idNumber: a.id })),
      ).toBeInstanceOf(RoleNotAllowedError);
      expect(await refusal(reg().activateBank(BANK, { cardNumber: a.card.cardNumber, idNumber: b.id }))).toBeInstanceOf(
        IdMismatchError,
      );
      const failing = await refusal(
        reg().activateBank(BANK, {
          cardNumber: a.card.cardNumber,
          idNumber: a.id,
          cardSide: async () => Promise.reject(new Error('card removed')),
        }),
      );
      expect(failing).toBeInstanceOf(CardSideFailedError);
      expect((await reg().cardStatus(a.card.cardNumber)).bank).toBe('inactive');
      let chip = false;
      const active = await reg().activateBank(BANK, {
        cardNumber: a.card.cardNumber,
        idNumber: a.id,
        cardSide: async () => void (chip = true),
      });
      expect(chip).toBe(true);
      expect(active.bank).toBe('active');
      expect(await lastEntry(a.card.cardNumber)).toMatchObject({
        operation: 'activate_bank',
        details: { windowFrom: '2027-01-05', day: 60, chip: true },
      });
      expect(await refusal(reg().activateBank(BANK, { cardNumber: a.card.cardNumber, idNumber: a.id }))).toBeInstanceOf(
        CardStateError,
      );
      expect(
        await refusal(reg().activateBank(BANK, { cardNumber: plain.card.cardNumber, idNumber: plain.id })),
      ).toBeInstanceOf(CardStateError);

      clock.set('2027-03-07T09:00:00+08:00'); // day 61
      const late = await refusal(reg().activateBank(BANK, { cardNumber: b.card.cardNumber, idNumber: b.id }));
      expect(late).toBeInstanceOf(ActivationWindowClosedError);
      expect(late).toMatchObject({
        code: 'ACTIVATION_WINDOW_CLOSED',
        details: { from: '2027-01-05', day: 61, limit: 60 },
      });
      expect(await lastEntry(b.card.cardNumber)).toMatchObject({
        result: 'refused',
        reason: 'ACTIVATION_WINDOW_CLOSED',
      });
      const reopened = await reg().reopenBankActivation(BANK, { cardNumber: b.card.cardNumber, idNumber: b.id });
      expect(reopened).toEqual({
        cardNumber: b.card.cardNumber,
        from: '2027-03-07',
        until: '2027-05-06',
        day: 0,
        open: true,
      });
      expect((await reg().activateBank(BANK, { cardNumber: b.card.cardNumber, idNumber: b.id })).bank).toBe('active');
      expect(
        await refusal(reg().reopenBankActivation(BANK, { cardNumber: b.card.cardNumber, idNumber: b.id })),
      ).toBeInstanceOf(CardStateError);

      // A recorded hand-over moves the start of the window.
      expect(
        await refusal(
          reg().recordHandOver(WINDOW, { cardNumber: c.card.cardNumber, idNumber: c.id, date: '2027-03-08' }),
        ),
      ).toBeInstanceOf(OfficeArgumentError);
      await reg().recordHandOver(WINDOW, { cardNumber: c.card.cardNumber, idNumber: c.id, date: '2027-01-20' });
      expect(await lastEntry(c.card.cardNumber)).toMatchObject({
        operation: 'record_hand_over',
        details: { date: '2027-01-20', bankActivationFrom: '2027-01-20' },
      });
      expect((await reg().activateBank(BANK, { cardNumber: c.card.cardNumber, idNumber: c.id })).bank).toBe('active');
    });

    it('blacklist export: a new version each time, signed with the test key, every listed side; terminals report blocks', async () => {
      clock.set(TUESDAY_10);
      const { card, id } = await issue();
      await reg().reportLoss(WINDOW, { cardNumber: card.cardNumber, side: 'ssc', channel: 'written', idNumber: id });
      const first = await reg().exportBlacklist(ADMIN);
      const second = await reg().exportBlacklist(ADMIN);
      expect(second.version).toBe(first.version + 1);
      expect(second.issuedAt).toBe(new Date(TUESDAY_10).toISOString());
      const file = BlacklistFile.verify(second, { publicKey: blacklistTestPublicKey(), now: () => clock.now() });
      expect(await file.lookup({ cardNumber: card.cardNumber, cardIdentifier: card.cardIdentifier })).toEqual([
        { side: 'ssc', reason: 'lost' },
      ]);
      expect(second.entries).toEqual(
        (await reg().blacklist()).map((r) => ({
          cardNumber: r.cardNumber,
          cardIdentifier: r.cardIdentifier,
          side: r.side,
          reason: r.reason,
        })),
      );
      expect(await refusal(reg().exportBlacklist(POS))).toBeInstanceOf(RoleNotAllowedError);

      const online = reg().blacklistSource(POS);
      expect(online.description).toBe(`registry ${reg().location}`);
      expect(await online.lookup({ cardNumber: 'Z99999999', cardIdentifier: card.cardIdentifier })).toEqual([
        { side: 'ssc', reason: 'lost' },
      ]);
      await online.reportBlocked({
        cardNumber: card.cardNumber,
        cardIdentifier: card.cardIdentifier,
        side: 'ssc',
        reason: 'lost',
      });
      expect((await reg().lossStatus(card.cardNumber)).applicationBlocked).toEqual({ ssc: true, bank: false });
      expect(await lastEntry(card.cardNumber)).toMatchObject({
        operation: 'application_blocked',
        role: 'pos',
        details: { side: 'ssc', reason: 'lost', listed: true },
      });
      // Withdrawn without the card: the chip still refuses, and the history says so.
      await reg().withdrawLoss(WINDOW, { cardNumber: card.cardNumber, side: 'ssc', channel: 'written', idNumber: id });
      expect(await lastEntry(card.cardNumber)).toMatchObject({ details: { applicationBlocked: true } });
      expect((await reg().lossStatus(card.cardNumber)).applicationBlocked.ssc).toBe(true);
      // Reported again, then withdrawn with the card at the window: the step unblocks the chip.
      await reg().reportLoss(WINDOW, { cardNumber: card.cardNumber, side: 'ssc', channel: 'written', idNumber: id });
      await reg().withdrawLoss(WINDOW, {
        cardNumber: card.cardNumber,
        side: 'ssc',
        channel: 'written',
        idNumber: id,
        cardSide: async () => undefined,
      });
      expect((await reg().lossStatus(card.cardNumber)).applicationBlocked.ssc).toBe(false);
    });
  },
  { clock },
);
