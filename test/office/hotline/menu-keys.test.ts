import { describe as group, expect, it } from 'vitest';
import {
  HotlineMenu,
  parseKeys,
  type EffectAnswer,
  type HotlineOutcome,
  type Key,
  type LossResult,
  type MenuStep,
  type Prompt,
} from '../../../src/office/index.js';
import { CARD, CHANGE, FakeOffice, HOLDER, X_HOLDER, call } from './menu-office.js';

/*
 * The menu as a state machine, key by key: what each menu takes, what each entry refuses, what
 * each office answer leads to, what a key shows on the screen, what the call record keeps, and
 * that the menu holds no PIN once the call has handed it on or ended.
 */

const FOUND: EffectAnswer = { kind: 'find_card', found: true };
const HOLDER_OK: EffectAnswer = {
  kind: 'identify',
  result: { status: 'ok', cardNumber: CARD, last4: '0001', notices: [] },
};
const QUEUED: EffectAnswer = {
  kind: 'queue_pin_change',
  result: { status: 'queued', validDays: 30, until: '2025-04-01' },
};

/** A started menu (English, with the loss report) after `keys`, each effect it hands out answered in turn from `answers`. */
function drive(keys: string, answers: EffectAnswer[] = []) {
  const menu = new HotlineMenu({ lang: 'en', lossReport: true });
  let step = menu.start();
  const left = [...answers];
  for (const key of parseKeys(keys)) {
    step = menu.press(key);
    const answer = step.effect === undefined ? undefined : left.shift();
    if (answer !== undefined) step = menu.resolve(answer);
  }
  return { menu, step };
}

const ids = (...names: Prompt['id'][]): Prompt[] => names.map((id) => ({ id }));

/** Where the caller is: the keys that lead there and the office's answers on the way. */
const AT = {
  main: { keys: '', answers: [], path: ['main'] },
  card_services: { keys: '2', answers: [], path: ['main', 'card_services'] },
  loss_side: {
    keys: `2 3 00000001# ${HOLDER}#`,
    answers: [FOUND, HOLDER_OK],
    path: ['main', 'card_services', 'loss_report'],
  },
  loss_confirm: {
    keys: `2 3 00000001# ${HOLDER}# 2`,
    answers: [FOUND, HOLDER_OK],
    path: ['main', 'card_services', 'loss_report'],
  },
} as const;

const bankConfirm: Prompt = { id: 'ask_loss_confirm', params: { last4: '0001', side: 'bank' } };

group('hotline menu: the keys each menu takes', () => {
  it.each<[keyof typeof AT, Key, Omit<MenuStep, 'echo'>, Record<string, number>, string[]]>([
    ['main', '*', { say: ids('main_menu') }, {}, []],
    ['main', '5', { say: ids('invalid_key', 'main_menu') }, { main: 1 }, []],
    ['main', '0', { say: ids('operator', 'goodbye'), ended: 'operator' }, {}, ['operator']],
    ['card_services', '5', { say: ids('invalid_key', 'card_menu_with_loss') }, { card_services: 1 }, []],
    ['card_services', '*', { say: ids('main_menu') }, {}, ['main']],
    ['loss_side', '1', { say: [{ id: 'ask_loss_confirm', params: { last4: '0001', side: 'ssc' } }] }, {}, []],
    ['loss_side', '5', { say: ids('invalid_key', 'ask_loss_side') }, { loss_side: 1 }, []],
    ['loss_side', '*', { say: ids('ask_id_number') }, {}, []],
    ['loss_confirm', '5', { say: [{ id: 'invalid_key' }, bankConfirm] }, { loss_confirm: 1 }, []],
    ['loss_confirm', '*', { say: ids('ask_loss_side') }, {}, []],
  ])('at %s, key %s', (at, key, step, wrongEntries, morePath) => {
    const { menu } = drive(AT[at].keys, [...AT[at].answers]);
    expect(menu.press(key)).toStrictEqual({ ...step, echo: key });
    const record = menu.record();
    expect(record.wrongEntries).toEqual(wrongEntries);
    expect(record.path).toEqual([...AT[at].path, ...morePath]);
  });

  it('confirming the loss report hands the office the card, the holder and the side', () => {
    const { menu } = drive(AT.loss_side.keys, [...AT.loss_side.answers]);
    menu.press('1');
    expect(menu.press('1')).toStrictEqual({
      say: [],
      echo: '1',
      effect: { kind: 'report_loss', cardNumber: CARD, idNumber: HOLDER, side: 'ssc' },
    });
  });
});

group('hotline menu: entries of the wrong form', () => {
  it.each<[string, string, EffectAnswer[], Prompt['id'][], Record<string, number>]>([
    [
      'a card number of 10 digits',
      '2 2 1234567890#',
      [],
      ['card_number_invalid', 'ask_card_number'],
      { card_number: 1 },
    ],
    [
      'a current PIN of 7 digits',
      '2 2 00000001# 1234567#',
      [FOUND],
      ['pin_format', 'ask_current_pin'],
      { current_pin: 1 },
    ],
    [
      'a new PIN of 5 digits',
      `2 2 00000001# 123456# ${HOLDER}# 24681#`,
      [FOUND, HOLDER_OK],
      ['pin_format', 'ask_new_pin'],
      { new_pin: 1 },
    ],
    [
      'a new PIN of 7 digits',
      `2 2 00000001# 123456# ${HOLDER}# 2468101#`,
      [FOUND, HOLDER_OK],
      ['pin_format', 'ask_new_pin'],
      { new_pin: 1 },
    ],
  ])('%s is asked again', (_, keys, answers, say, wrongEntries) => {
    const { menu, step } = drive(keys, answers);
    expect(step).toStrictEqual({ say: ids(...say), echo: '#' });
    expect(menu.record().wrongEntries).toEqual(wrongEntries);
  });
});

group("hotline menu: the office's answers", () => {
  const UP_TO_ID = `2 2 00000001# 123456# ${HOLDER}#`;
  /** What the menu waits for: the keys that lead there and the office's answers on the way. */
  const WAITING = {
    find_card: { keys: '2 2 00000001#', answers: [] },
    identify: { keys: UP_TO_ID, answers: [FOUND] },
    identify_for_loss: { keys: `2 3 00000001# ${HOLDER}#`, answers: [FOUND] },
    queue_pin_change: { keys: CHANGE, answers: [FOUND, HOLDER_OK] },
    report_loss: { keys: `${AT.loss_confirm.keys} 1`, answers: [FOUND, HOLDER_OK] },
  } as const;
  const changeRefused = (code: string): EffectAnswer => ({
    kind: 'queue_pin_change',
    result: { status: 'refused', code },
  });
  const loss = (result: LossResult): EffectAnswer => ({ kind: 'report_loss', result });
  it.each<[keyof typeof WAITING, EffectAnswer, Prompt['id'][], HotlineOutcome?]>([
    ['find_card', { kind: 'find_card', found: false }, ['card_not_found', 'ask_card_number']],
    ['find_card', FOUND, ['ask_current_pin']],
    ['identify', { kind: 'identify', result: { status: 'not_found' } }, ['card_not_found', 'ask_card_number']],
    ['identify_for_loss', HOLDER_OK, ['ask_loss_side']],
    ['queue_pin_change', changeRefused('CARD_STATE'), ['card_pin_locked', 'goodbye'], 'refused'],
    ['queue_pin_change', changeRefused('ID_MISMATCH'), ['change_refused', 'goodbye'], 'refused'],
    ['report_loss', loss({ status: 'reported' }), ['loss_reported', 'goodbye'], 'loss_reported'],
    ['report_loss', loss({ status: 'refused', code: 'CARD_STATE' }), ['loss_refused', 'goodbye'], 'loss_refused'],
    ['find_card', { kind: 'failed' }, ['service_error', 'goodbye'], 'service_error'],
  ])('waiting for %s, the answer %j', (waiting, answer, say, ended) => {
    const { menu } = drive(WAITING[waiting].keys, [...WAITING[waiting].answers]);
    expect(menu.waiting).toBe(true);
    // An answer is no key press: nothing to show on the screen.
    const step = menu.resolve(answer);
    expect(step).toStrictEqual(
      ended === undefined ? { say: ids(...say), echo: '' } : { say: ids(...say), echo: '', ended },
    );
    expect(menu.record().outcome).toBe(ended ?? 'hung_up');
  });

  it('a card the holder cannot change by phone: the notices first, then why', () => {
    const { menu } = drive(UP_TO_ID, [FOUND]);
    expect(
      menu.resolve({
        kind: 'identify',
        result: {
          status: 'card_state',
          cardNumber: CARD,
          state: 'lost_written',
          notices: [{ kind: 'failed', scriptId: 4, date: '2025-01-12' }],
        },
      }),
    ).toStrictEqual({
      say: [
        { id: 'notice_failed', params: { date: '2025-01-12' } },
        { id: 'card_not_usable', params: { state: 'lost_written' } },
        { id: 'goodbye' },
      ],
      echo: '',
      ended: 'card_not_usable',
    });
    expect(menu.record()).toMatchObject({ cardNumber: CARD, cardDigits: null, told: [4] });
  });
});

group('hotline menu: the menu object', () => {
  it('starts once, takes keypad keys only, waits only for an effect, records an open call as hung up', () => {
    const menu = new HotlineMenu({ lang: 'en' });
    expect(menu.start()).toStrictEqual({ say: ids('welcome', 'main_menu'), echo: '' });
    expect(() => menu.start()).toThrow('the call has already started');
    expect(menu.waiting).toBe(false);
    expect(() => menu.resolve(FOUND)).toThrow('the menu is not waiting for the office');
    expect(() => menu.press('A' as Key)).toThrow('not a keypad key');
    expect(menu.record()).toStrictEqual({
      cardNumber: null,
      cardDigits: null,
      lang: 'en',
      outcome: 'hung_up',
      path: ['main'],
      wrongEntries: {},
      keys: 0,
      told: [],
    });
    expect(menu.record('service_error').outcome).toBe('service_error');
  });

  /** Every string the menu object holds, in its fields, maps, sets and arrays. */
  function held(value: unknown, seen = new Set<unknown>()): string[] {
    if (typeof value === 'string') return [value];
    if (typeof value !== 'object' || value === null || seen.has(value)) return [];
    seen.add(value);
    const inner = value instanceof Map || value instanceof Set ? [...value.entries()].flat() : Object.values(value);
    return inner.flatMap((v) => held(v, seen));
  }

  it.each<[string, string, EffectAnswer[], (menu: HotlineMenu) => void]>([
    ['the change is queued', CHANGE, [FOUND, HOLDER_OK, QUEUED], () => undefined],
    [
      'the caller hangs up at the second new PIN',
      `2 2 00000001# 123456# ${HOLDER}# 246810# 2468`,
      [FOUND, HOLDER_OK],
      (m) => m.hangUp(),
    ],
    ['the office fails', CHANGE, [FOUND, HOLDER_OK, { kind: 'failed' }], () => undefined],
  ])('holds no PIN digits once %s', (_, keys, answers, then) => {
    const { menu } = drive(keys, answers);
    then(menu);
    expect(menu.ended).toBeDefined();
    const strings = held(menu);
    expect(strings).toContain(HOLDER);
    expect(strings.filter((s) => /123456|2468/.test(s))).toEqual([]);
  });
});

group('hotline menu: what a key shows, and where * leads', () => {
  const CARD_MENU = 'To change your card PIN, press 2. To go back, press star.';
  it.each<[string, string, string]>([
    ['2 2 0000*', '220000*', CARD_MENU],
    ['2 2 00000001# 123456# 1101*', '2200000001#******#1101*', "Enter the card's current PIN, then press hash."],
    [
      `2 2 00000001# 123456# ${X_HOLDER.slice(0, 17)}X`,
      `2200000001#******#${X_HOLDER}`,
      "Enter the cardholder's citizen ID number, pressing star for a final X, then press hash.",
    ],
    // Only the ID number's 18th character takes X (or * for it): in a card number X is nothing, * is back.
    [`2 2 ${'1'.repeat(17)}X*`, `22${'1'.repeat(17)}*`, CARD_MENU],
  ])('%s', async (keys, echo, last) => {
    const heard = await call(new FakeOffice(), keys);
    expect(heard.echo).toBe(echo);
    expect(heard.lines.at(-1)).toBe(last);
  });
});

group('hotline menu: the call record', () => {
  it.each<[string, string, string | null, string | null]>([
    ['an identified card, not the digits typed', CHANGE, CARD, null],
    ['no card typed', '0', null, null],
    ['the digits of a card not found', '2 2 99999999# *', null, '99999999'],
  ])('%s', async (_, keys, cardNumber, cardDigits) => {
    const office = new FakeOffice();
    await call(office, keys);
    expect(office.records[0]).toMatchObject({ cardNumber });
    expect(office.records[0]?.cardDigits).toBe(cardDigits);
  });
});
