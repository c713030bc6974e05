import { describe as group, expect, it } from 'vitest';
import { citizenId } from '../../../src/records/index.js';
import {
  HotlineCall,
  HotlineKeysError,
  HotlineMenu,
  parseKeys,
  renderPrompt,
  type Key,
} from '../../../src/office/index.js';
import { CARD, CHANGE, FakeOffice, HOLDER, X_HOLDER, call } from './menu-office.js';

/*
 * The voice menu without a database: a scripted office behind the HotlineService (menu-office.ts).
 * Every path of the menu, every wrong entry, the retries, * back, and what the call record keeps.
 */

group('hotline menu: change PIN', () => {
  it('the whole path: queued, the holder told when it takes effect, PINs only to the office, the record without them', async () => {
    const office = new FakeOffice();
    const heard = await call(office, CHANGE);
    expect(heard.outcome).toBe('pin_change_queued');
    expect(heard.lines[0]).toMatch(/Welcome to 12333/);
    expect(heard.lines).toContain(
      'Enter your social security card number, leaving out its letter, then press hash. To go back, press star.',
    );
    expect(heard.lines.join('\n')).toMatch(
      /takes effect the next time the card is used at an online terminal.*until then your old PIN keeps working.*valid for 30 days.*before 2025-04-01/s,
    );
    expect(heard.lines.at(-1)).toBe('Thank you for calling. Goodbye.');
    expect(office.identified).toEqual([{ purpose: 'pin_change', digits: '00000001', idNumber: HOLDER }]);
    expect(office.queued).toEqual([{ cardNumber: CARD, idNumber: HOLDER, currentPin: '123456', newPin: '246810' }]);
    expect(heard.echo).toBe(`2200000001#******#${HOLDER}#******#******#`);
    expect(office.records).toHaveLength(1);
    const record = office.records[0]!;
    expect(record).toMatchObject({
      cardNumber: CARD,
      outcome: 'pin_change_queued',
      path: ['main', 'card_services', 'pin_change'],
      wrongEntries: {},
      lang: 'en',
    });
    expect(JSON.stringify(record)).not.toMatch(/123456|246810/);
    expect(JSON.stringify(record)).not.toContain(HOLDER);
  });

  it('speaks Chinese by default, dates as the voice reads them', async () => {
    const heard = await call(new FakeOffice(), CHANGE, 'zh');
    expect(heard.lines[0]).toBe('您好，欢迎致电12333人力资源和社会保障服务热线。');
    expect(heard.lines.join('')).toContain('请在2025年4月1日前使用社保卡');
  });

  it('a card number pasted with its letter: the letter is left out, as the notices tell callers', async () => {
    const office = new FakeOffice();
    expect((await call(office, `2 2 A00000001# 123456# ${HOLDER}# 246810# 246810#`)).outcome).toBe('pin_change_queued');
  });

  it('a wrong card number: too short, or no such card, is asked again; the third wrong one ends the call', async () => {
    const office = new FakeOffice();
    const heard = await call(office, '2 2 1234567# 99999999# 1#');
    expect(heard.lines).toContain('That card number is not valid: it has 8 or 9 digits; leave out the letter.');
    expect(heard.lines).toContain('No card has that number. Please check it and enter it again.');
    expect(heard.lines.slice(-2)).toEqual(['There were too many wrong entries.', 'Thank you for calling. Goodbye.']);
    expect(heard.outcome).toBe('too_many_errors');
    // The last card number of the right form is kept (for the operators' follow-up), not a malformed one.
    expect(office.records[0]).toMatchObject({
      cardNumber: null,
      cardDigits: '99999999',
      wrongEntries: { card_number: 3 },
    });
  });

  it('a current PIN that is not six digits is asked again', async () => {
    const heard = await call(new FakeOffice(), `2 2 00000001# 12345# 123456# ${HOLDER}# 246810# 246810#`);
    expect(heard.lines).toContain('A PIN has six digits.');
    expect(heard.outcome).toBe('pin_change_queued');
  });

  it('ID numbers: a bad check digit and a stranger are asked again; * as the 18th character is X', async () => {
    const office = new FakeOffice();
    const wrongCheck = HOLDER.slice(0, 17) + String((Number(HOLDER[17] === 'X' ? 10 : HOLDER[17]) + 1) % 10);
    const stranger = citizenId('440305', '1999-07-21', '157');
    const heard = await call(
      office,
      `2 2 00000001# 123456# ${wrongCheck}# ${stranger}# ${X_HOLDER.slice(0, 17)}*# 246810# 246810#`,
    );
    expect(heard.lines).toContain('That citizen ID number is not valid.');
    expect(heard.lines).toContain('That citizen ID number does not match the card number.');
    expect(office.identified.map((i) => i.idNumber)).toEqual([stranger, X_HOLDER]);
    expect(heard.outcome).toBe('pin_change_queued');
    expect(office.records[0]?.wrongEntries).toEqual({ id_number: 2 });
  });

  it('an X typed on a computer keyboard is taken as the check character too', async () => {
    const office = new FakeOffice();
    await call(office, `2 2 00000001# 123456# ${X_HOLDER}# 246810# 246810#`);
    expect(office.identified.map((i) => i.idNumber)).toEqual([X_HOLDER]);
  });

  it('new PINs: not the initial PIN, not the current one, the same twice (else the new PIN is asked again)', async () => {
    const office = new FakeOffice();
    const heard = await call(office, `2 2 00000001# 654321# ${HOLDER}# 123456# 654321# 246810# 246810#`);
    expect(heard.lines).toContain('The new PIN may not be the initial PIN.');
    expect(heard.lines).toContain('The new PIN must differ from the current PIN.');
    expect(office.queued).toEqual([{ cardNumber: CARD, idNumber: HOLDER, currentPin: '654321', newPin: '246810' }]);
    expect(office.records[0]?.wrongEntries).toEqual({ new_pin: 2 });
    const mismatch = await call(office, `2 2 00000001# 654321# ${HOLDER}# 246810# 246811# 135790# 135790#`);
    expect(mismatch.lines).toContain('The two entries of the new PIN differ.');
    expect(mismatch.lines.filter((l) => l === 'Enter a new six-digit PIN, then press hash.')).toHaveLength(2);
    expect(office.queued.at(-1)?.newPin).toBe('135790');
  });

  it('three mismatched pairs end the call; nothing is queued', async () => {
    const office = new FakeOffice();
    const heard = await call(
      office,
      `2 2 00000001# 654321# ${HOLDER}# 246810# 246811# 246810# 246811# 246810# 246811#`,
    );
    expect(heard.outcome).toBe('too_many_errors');
    expect(office.queued).toEqual([]);
  });

  it('* goes back one step at every entry, and from the card number to the card menu, then to the main menu', async () => {
    const office = new FakeOffice();
    const keys =
      `2 2 0000* * 2 2 00000001# 12* 00000001# 123456# 1101* 123456# ${HOLDER}# ` +
      `2468* ${HOLDER}# 246810# 24* 246810# 246810#`;
    const heard = await call(office, keys);
    const label = (l: string): string | undefined =>
      l.startsWith('Enter your social security card number')
        ? 'card'
        : l.startsWith("Enter the card's current PIN")
          ? 'current'
          : l.startsWith("Enter the cardholder's citizen ID")
            ? 'id'
            : l.startsWith('Enter a new six-digit PIN')
              ? 'new'
              : l.startsWith('Enter the new PIN again')
                ? 'again'
                : undefined;
    expect(heard.lines.map(label).filter((x) => x !== undefined)).toEqual([
      'card',
      'card',
      'current',
      'card',
      'current',
      'id',
      'current',
      'id',
      'new',
      'id',
      'new',
      'again',
      'new',
      'again',
    ]);
    expect(heard.lines.filter((l) => l.startsWith('To change your card PIN'))).toHaveLength(3);
    expect(heard.lines.filter((l) => l.startsWith('For social security card services'))).toHaveLength(2);
    expect(heard.outcome).toBe('pin_change_queued');
    expect(office.queued).toEqual([{ cardNumber: CARD, idNumber: HOLDER, currentPin: '123456', newPin: '246810' }]);
    expect(office.records[0]?.wrongEntries).toEqual({});
  });

  it('tells the caller about earlier changes: pending (replaced), refused by the card, failed with tries left, expired; the record names those told', async () => {
    const office = new FakeOffice();
    office.identity = {
      status: 'ok',
      cardNumber: CARD,
      last4: '0001',
      notices: [
        { kind: 'failed', scriptId: 9, date: '2025-01-12' },
        { kind: 'expired', scriptId: 3, date: '2025-01-02', days: 30 },
        { kind: 'failed_pin', scriptId: 5, date: '2025-02-03', triesLeft: 2 },
        { kind: 'pending', scriptId: 7, date: '2025-03-04' },
      ],
    };
    const heard = await call(office, CHANGE);
    const text = heard.lines.join('\n');
    expect(text).toContain(
      'Your PIN change of 2025-01-02 expired: the card was not used at an online terminal within 30 days.',
    );
    expect(text).toContain(
      "Your PIN change of 2025-02-03 was not applied: the current PIN you gave was wrong. The card's PIN has 2 tries left.",
    );
    expect(text).toContain('Your PIN change of 2025-03-04 has not reached your card yet; this change will replace it.');
    expect(text).toContain(
      'Your PIN change of 2025-01-12 was not applied: the card refused it; your old PIN still works.',
    );
    // In script order, whatever order the office gave them in.
    expect(office.records[0]?.told).toEqual([3, 5, 9]);
  });

  it('a locked PIN or a card that is not active: told where to go, the call ends', async () => {
    const office = new FakeOffice();
    office.identity = {
      status: 'card_state',
      cardNumber: CARD,
      state: 'pin_locked',
      notices: [{ kind: 'failed_pin', scriptId: 9, date: '2025-02-03', triesLeft: 0 }],
    };
    const heard = await call(office, `2 2 00000001# 123456# ${HOLDER}# 246810# 246810#`);
    expect(heard.lines).toContain(
      "Your PIN change of 2025-02-03 was not applied: the current PIN you gave was wrong, and the card's PIN is now locked.",
    );
    expect(heard.lines).toContain(
      "Your card's PIN is locked. Please bring the card and your ID document to a service window to unlock it.",
    );
    expect(heard.outcome).toBe('card_not_usable');
    expect(office.records[0]).toMatchObject({ cardNumber: CARD, told: [9] });
    office.identity = { status: 'card_state', cardNumber: CARD, state: 'lost_temporary', notices: [] };
    expect((await call(office, `2 2 00000001# 123456# ${HOLDER}#`, 'zh')).lines.join('')).toContain(
      '卡片状态：临时挂失',
    );
  });

  it('a refusal by the office, and a failing office, end the call politely', async () => {
    const office = new FakeOffice();
    office.queueResult = { status: 'refused', code: 'ID_MISMATCH' };
    expect((await call(office, CHANGE)).lines).toContain(
      'Your PIN change could not be accepted. Please go to a service window.',
    );
    office.failing = true;
    const heard = await call(office, CHANGE);
    expect(heard.outcome).toBe('service_error');
    expect(heard.lines.slice(-2)).toEqual([
      'The system is busy. Please call again later.',
      'Thank you for calling. Goodbye.',
    ]);
    expect(office.records.at(-1)?.outcome).toBe('service_error');
  });
});

group('hotline menu: menus, loss report, hanging up', () => {
  it('main menu: * repeats it, 0 is the operator (the call ends), three wrong keys end the call', async () => {
    const repeat = await call(new FakeOffice(), '* 0');
    expect(repeat.lines.filter((l) => l.startsWith('For social security card services'))).toHaveLength(2);
    expect(repeat.outcome).toBe('operator');
    const wrong = await call(new FakeOffice(), '5 # 9');
    expect(wrong.lines.filter((l) => l === 'That is not a valid choice.')).toHaveLength(3);
    expect(wrong.outcome).toBe('too_many_errors');
  });

  it('without the office loss report, card services offers no key 3', async () => {
    const heard = await call(new FakeOffice(), '2 3');
    expect(heard.lines).toContain('To change your card PIN, press 2. To go back, press star.');
    expect(heard.lines).toContain('That is not a valid choice.');
  });

  it('with it: card number, ID number, which side, confirm; * goes back from the side and the confirmation', async () => {
    const office = new FakeOffice(true);
    const heard = await call(office, `2 3 00000001# ${HOLDER}# 2 * * ${HOLDER}# 2 1`);
    expect(heard.lines).toContain(
      'To change your card PIN, press 2. To report your card lost, press 3. To go back, press star.',
    );
    expect(heard.lines).toContain(
      'You are reporting the bank function of the card ending 0001 lost. To confirm, press 1. To go back, press star.',
    );
    expect(office.losses).toEqual([{ cardNumber: CARD, idNumber: HOLDER, side: 'bank' }]);
    expect(office.identified.every((i) => i.purpose === 'loss')).toBe(true);
    expect(heard.outcome).toBe('loss_reported');
    expect(office.records[0]?.path).toEqual(['main', 'card_services', 'loss_report']);
  });

  it('hanging up mid-call records the call once, as hung up, with what was typed of the card number', async () => {
    const office = new FakeOffice();
    const c = new HotlineCall(office, { lang: 'en' });
    await c.start();
    for (const k of parseKeys('2 2 00000001# 12')) await c.press(k);
    expect(await c.hangUp()).toBe('hung_up');
    expect(await c.hangUp()).toBe('hung_up');
    expect(office.records).toEqual([
      {
        cardNumber: null,
        cardDigits: '00000001',
        lang: 'en',
        outcome: 'hung_up',
        path: ['main', 'card_services', 'pin_change'],
        wrongEntries: {},
        keys: 13,
        told: [],
      },
    ]);
  });
});

group('the menu as a state machine', () => {
  it('echoes entries, masks PIN digits, hands out effects and waits for them', () => {
    const m = new HotlineMenu({ lang: 'en' });
    expect(() => m.press('2')).toThrow(/start/);
    expect(m.start().say.map((p) => p.id)).toEqual(['welcome', 'main_menu']);
    expect(m.press('2').say.map((p) => p.id)).toEqual(['card_menu']);
    m.press('2');
    for (const k of '0000000') expect(m.press(k as Key).echo).toBe(k);
    m.press('1');
    const step = m.press('#');
    expect(step.effect).toEqual({ kind: 'find_card', digits: '00000001' });
    expect(m.waiting).toBe(true);
    expect(() => m.press('1')).toThrow(/waiting/);
    expect(() => m.resolve({ kind: 'identify', result: { status: 'not_found' } })).toThrow(/find_card/);
    expect(m.resolve({ kind: 'find_card', found: true }).say.map((p) => p.id)).toEqual(['ask_current_pin']);
    expect(m.press('7').echo).toBe('*');
    expect(m.press('X').echo).toBe('');
    m.hangUp();
    expect(m.ended).toBe('hung_up');
    expect(m.press('1')).toEqual({ say: [], echo: '' });
  });

  it('every prompt has words in both languages', () => {
    const m = new HotlineMenu();
    expect(m.lang).toBe('zh');
    for (const id of ['welcome', 'goodbye', 'change_queued', 'notice_expired'] as const) {
      const params = { days: 30, until: '2025-04-01', date: '2025-03-02' };
      expect(renderPrompt({ id, params }, 'zh')).not.toBe(renderPrompt({ id, params }, 'en'));
    }
  });
});

group('parseKeys', () => {
  it('takes keypad keys, leaves out spaces and letters but X, refuses anything else by position', () => {
    expect(parseKeys('2 2 A1234567# x*')).toEqual(['2', '2', '1', '2', '3', '4', '5', '6', '7', '#', 'X', '*']);
    expect(() => parseKeys('2 2 12+4')).toThrow(HotlineKeysError);
    expect(() => parseKeys('123456!')).toThrow(/character 7/);
    try {
      parseKeys('246810!');
    } catch (e) {
      expect((e as Error).message).not.toContain('246810');
    }
  });
});
