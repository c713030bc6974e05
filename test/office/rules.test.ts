import { describe, expect, it } from 'vitest';
import {
  BANK_STATES,
  CARD_EVENTS,
  CARD_TRANSITIONS,
  CardStateError,
  NOW_ENV,
  SSC_STATES,
  addYears,
  cardNumbersFor,
  checkContext,
  chinaDate,
  daysBetween,
  fixedClock,
  isFinalState,
  nextState,
  storableDocument,
  systemClock,
  viewDocument,
} from '../../src/office/index.js';
import { maskId, redactUrl } from '../../src/office/errors.js';
import { assertNoSecrets } from '../../src/office/operations/runner.js';
import { samplePerson, validatePersonalization } from '../../src/card-sim/index.js';

describe('card states', () => {
  it('the transition table only names known states and events', () => {
    expect(Object.keys(CARD_TRANSITIONS).sort()).toEqual([...CARD_EVENTS].sort());
    const all = new Set<string>([...SSC_STATES, ...BANK_STATES]);
    for (const t of Object.values(CARD_TRANSITIONS)) {
      for (const s of t.from) expect(all.has(s)).toBe(true);
      if (t.to !== 'same') expect(all.has(t.to)).toBe(true);
    }
  });

  it('final states lead nowhere, on both sides', () => {
    for (const side of ['ssc', 'bank'] as const) {
      for (const state of ['replaced', 'blocked'] as const) {
        expect(isFinalState(state)).toBe(true);
        for (const event of CARD_EVENTS) expect(nextState(side, event, state)).toBeUndefined();
      }
    }
    expect(isFinalState('active')).toBe(false);
  });

  it('walks the lifecycle: lock, unlock, reset, loss, written loss, replacement; the bank side starts inactive', () => {
    expect(nextState('ssc', 'pin_lock', 'active')).toBe('pin_locked');
    expect(nextState('ssc', 'pin_unlock', 'pin_locked')).toBe('active');
    expect(nextState('ssc', 'pin_unlock', 'active')).toBeUndefined();
    expect(nextState('ssc', 'pin_reset', 'pin_locked')).toBe('active');
    expect(nextState('ssc', 'loss_temporary', 'active')).toBe('lost_temporary');
    expect(nextState('ssc', 'loss_cancel', 'lost_temporary')).toBe('active');
    expect(nextState('ssc', 'loss_written', 'lost_temporary')).toBe('lost_written');
    expect(nextState('ssc', 'replace', 'lost_written')).toBe('replaced');
    expect(nextState('ssc', 'replace', 'active')).toBeUndefined();
    expect(nextState('ssc', 'activate', 'active')).toBeUndefined();
    expect(nextState('bank', 'activate', 'inactive')).toBe('active');
    expect(nextState('bank', 'pin_lock', 'inactive')).toBeUndefined();
    expect(nextState('bank', 'pin_lock', null)).toBeUndefined();
    // Bank-only events never move the social security side, even from the state they start from.
    expect(nextState('ssc', 'activate', 'inactive')).toBeUndefined();
    expect(nextState('ssc', 'replace_inactive', 'inactive')).toBeUndefined();
  });

  it('a refusal names the side and state', () => {
    const e = new CardStateError('S00000001', 'bank', 'inactive', 'pin_locked');
    expect(e).toMatchObject({
      code: 'CARD_STATE',
      side: 'bank',
      state: 'inactive',
      details: { side: 'bank', state: 'inactive' },
    });
    expect(e.message).toBe('card S00000001: pin_locked is not allowed while the bank side is inactive');
  });
});

describe('clock and dates', () => {
  it('SSCARD_NOW fixes the system clock; a bare date is midnight in China', () => {
    const before = process.env[NOW_ENV];
    try {
      process.env[NOW_ENV] = '2025-02-28';
      expect(systemClock.now().toISOString()).toBe('2025-02-27T16:00:00.000Z');
      process.env[NOW_ENV] = '2025-02-28T09:30:00Z';
      expect(systemClock.now().toISOString()).toBe('2025-02-28T09:30:00.000Z');
      process.env[NOW_ENV] = 'tomorrow';
      expect(() => systemClock.now()).toThrow(/SSCARD_NOW/);
    } finally {
      if (before === undefined) delete process.env[NOW_ENV];
      else process.env[NOW_ENV] = before;
    }
  });

  it('dates are China Standard Time calendar dates', () => {
    expect(chinaDate(new Date('2025-03-01T15:59:59Z'))).toBe('2025-03-01');
    expect(chinaDate(new Date('2025-03-01T16:00:00Z'))).toBe('2025-03-02');
    expect(chinaDate(fixedClock('2025-06-01').now())).toBe('2025-06-01');
    expect(addYears('2024-02-29', 10)).toBe('2034-02-28');
    expect(addYears('2024-02-29', 4)).toBe('2028-02-29');
    expect(daysBetween('2025-01-01', '2025-03-02')).toBe(60);
  });
});

describe('personalization documents', () => {
  it("reads the office's view of a sample document", () => {
    const doc = samplePerson('zhang-wei');
    expect(viewDocument(doc)).toEqual({
      specVersion: '2.00',
      financial: true,
      person: {
        idNumber: doc.person.idNumber,
        name: '张伟',
        sex: '1',
        birthDate: '1985-03-12',
        ethnicity: '01',
        birthplace: '110105',
        latinName: 'ZHANG/WEI',
      },
      card: { number: 'A10500031', identifier: '1101059000310026' },
    });
  });

  it('stores no initial PIN and refuses master keys; the stored document still personalizes a card', () => {
    const doc = samplePerson('wang-yan');
    const stored = storableDocument(doc);
    expect(JSON.stringify(stored)).not.toContain('246810');
    expect(stored['bankPin']).toEqual({});
    expect(doc.bankPin).toEqual({ initial: '246810' });
    expect(validatePersonalization(stored).bankPin).toMatchObject({ initial: '888888' });
    expect(() => storableDocument({ ...doc, keys: { masters: {} } })).toThrow(/key store/);
    expect(() => viewDocument({ ...doc, specVersion: '4.00' })).toThrow(/specVersion/);
  });

  it('card numbers and identifiers from a serial, in the samples’ formats', () => {
    expect(cardNumbersFor(31, 'A', '110105')).toEqual({ number: 'A00000031', identifier: '1101059000000031' });
    const doc = samplePerson('li-xiuying');
    doc.card = {
      ...doc.card,
      ...(({ number, identifier }) => ({ number, identifier }))(cardNumbersFor(12345678, 'S', '310104')),
    };
    expect(() => validatePersonalization(doc)).not.toThrow();
  });
});

describe('secrets and contexts', () => {
  it('refuses PIN and password fields anywhere in stored data', () => {
    expect(() => assertNoSecrets({ pinInitial: true, side: 'ssc' }, 'x')).not.toThrow();
    for (const bad of [
      { pin: '1' },
      { newPin: '1' },
      { a: { bankPin: '1' } },
      { queryPassword: 'x' },
      { pinBlock: 'AB' },
      { secretKey: 'k' },
    ]) {
      expect(() => assertNoSecrets(bad, 'details')).toThrow(/never stores/);
    }
  });

  it('masks ID numbers and passwords in messages', () => {
    expect(maskId('11010519850312031X')).toBe('110105********031X');
    expect(redactUrl('postgres://sscard:hunter2@127.0.0.1:55432/db')).toBe('postgres://sscard:****@127.0.0.1:55432/db');
  });

  it('checks contexts', () => {
    expect(checkContext({ terminalId: 'w-1', role: 'window', channel: 'counter' })).toBeTruthy();
    expect(() => checkContext({ terminalId: 'w 1\n', role: 'window', channel: 'counter' })).toThrow(/terminalId/);
    expect(() => checkContext({ terminalId: 'w', role: 'window', channel: 'fax' as never })).toThrow(/channel/);
  });
});
