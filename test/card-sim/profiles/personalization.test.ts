import { describe as group, expect, it } from 'vitest';
import {
  samplePerson,
  PersonalizationError,
  parsePersonalizationJson,
  validatePersonalization,
  type PersonalizationDocument,
} from '../../../src/card-sim/index.js';
import { expectThrowsClass } from '../../support/throws.js';
import type { EditableJson } from '../../support/editable-json.js';

/** Validates `doc` after `edit`, expecting a PersonalizationError; returns it. */
function rejected(edit: (doc: EditableJson) => void, base = 'zhang-wei'): PersonalizationError {
  const doc = samplePerson(base) as unknown as EditableJson;
  edit(doc);
  return expectThrowsClass(() => validatePersonalization(doc), PersonalizationError, {
    code: 'PERSONALIZATION_INVALID',
  });
}

group('personalization document validation', () => {
  it('fills defaults: spec 3.00, app PIN 123456 with 3 tries, no bank PIN on a plain card', () => {
    const doc: PersonalizationDocument = samplePerson('abdurahman');
    delete doc.specVersion;
    const r = validatePersonalization(doc);
    expect(r.specVersion).toBe('3.00');
    expect(r.pin).toEqual({ initial: '123456', tryLimit: 3, forbidReturnToInitial: false, zeroIvReload: false });
    expect(r.bankPin).toBeNull();
    expect(r.health.capacity).toEqual({ contraindications: 10, history: 10 });
    expect(r.insurance.pension).toEqual({ status: '0', since: null, region: '' });
    expect(r.workRecords).toEqual([]);
  });

  it('keeps what the document says', () => {
    const r = validatePersonalization(samplePerson('li-xiuying'));
    expect(r.pin).toEqual({ initial: '123456', tryLimit: 6, forbidReturnToInitial: true, zeroIvReload: false });
    expect(
      validatePersonalization({ ...samplePerson('li-xiuying'), pin: { zeroIvReload: true } }).pin.zeroIvReload,
    ).toBe(true);
    expect(r.health.capacity).toEqual({ contraindications: 10, history: 20 });
    expect(r.health.flags.diabetes).toBe(true);
    expect(r.health.flags.asthma).toBe(false);
    const bank = validatePersonalization(samplePerson('wang-yan')).bankPin;
    expect(bank).toEqual({ initial: '246810', tryLimit: 3 });
  });

  it('names the bad check digit of the ID number', () => {
    const err = rejected((d) => {
      d.person.idNumber = '110105198503120312';
    });
    expect(err.message).toBe('person.idNumber: check digit should be 1');
    expect(err.path).toBe('person.idNumber');
  });

  it('requires sex and birth date to agree with the ID number', () => {
    expect(rejected((d) => (d.person.sex = '2')).message).toMatch(/^person\.sex: must be "1": .*odd \(male\)/);
    expect(rejected((d) => (d.person.birthDate = '1985-03-13')).message).toBe(
      'person.birthDate: must be the birth date in the ID number (digits 7 to 14)',
    );
  });

  it('rejects names GBK cannot hold or that overflow name + extension', () => {
    expect(rejected((d) => (d.person.name = '𠮷田')).message).toMatch(
      /^person\.name: has characters GBK cannot represent/,
    );
    expect(rejected((d) => (d.person.name = '张'.repeat(26))).message).toBe(
      'person.name: is 52 GBK bytes, at most 50 fit',
    );
    expect(rejected((d) => (d.person.name = '')).message).toBe('person.name: must not be empty');
  });

  it('names PIN policy problems with document paths', () => {
    expect(rejected((d) => (d.pin = { initial: '12345' })).message).toMatch(
      /^pin\.initial: must have exactly 6 digits/,
    );
    expect(rejected((d) => (d.pin = { tryLimit: 16 })).message).toMatch(
      /^pin\.tryLimit: must be an integer from 1 to 15/,
    );
    expect(rejected((d) => (d.bankPin = { initial: 'abcdef' })).message).toMatch(/^bankPin\.initial: /);
    expect(rejected((d) => (d.pin = { initial: 123456 })).message).toBe('pin.initial: must be a string, got a number');
  });

  it('never shows the value of a PIN or key field in an error', () => {
    const secret = '246813';
    const messages = [
      rejected((d) => (d.pin = { initial: Number(secret) })).message,
      rejected((d) => (d.bankPin = { initial: Number(secret) })).message,
      rejected((d) => (d.pin = secret)).message,
      rejected((d) => (d.bankPin = Number(secret))).message,
      rejected((d) => (d.pin = { initial: `${secret}9` })).message,
      rejected((d) => (d.bankPin = { initial: `${secret}x` })).message,
      rejected((d) => (d.keys = { masters: { RKSSSE: `${secret}${secret}` } })).message,
      rejected((d) => (d.keys = { masters: secret })).message,
    ];
    expect(messages).toEqual([
      'pin.initial: must be a string, got a number',
      'bankPin.initial: must be a string, got a number',
      'pin: must be an object, got a string of 6 characters',
      'bankPin: must be an object, got a number',
      expect.stringMatching(/^pin\.initial: must have exactly 6 digits/),
      expect.stringMatching(/^bankPin\.initial: /),
      'keys.masters.RKSSSE: must be 32 hex digits (a 16-byte key), got a string of 12 characters',
      'keys.masters: must be an object, got a string of 6 characters',
    ]);
    for (const m of messages) expect(m).not.toContain(secret);
    // A JSON syntax error says where, without quoting the text around it.
    for (const text of [`{"pin": {"initial": "${secret}"},\n "x": }`, `{"pin": {"initial": ${secret}x}}`]) {
      const { message } = expectThrowsClass(() => parsePersonalizationJson(text), PersonalizationError);
      expect(message).toMatch(/^\(document\): is not valid JSON: syntax error/);
      expect(message).not.toContain(secret);
    }
  });

  it('never quotes what a field holds: personal data stays out of messages and logs', () => {
    const name = '张伟\u0001';
    const messages = [
      rejected((d) => (d.person.name = name)).message,
      rejected((d) => (d.person.name = '𠮷田')).message,
      rejected((d) => (d.person.idNumber = '11010519850312031X')).message,
      rejected((d) => (d.person.birthplace = '990105')).message,
      rejected((d) => (d.card.issueDate = '2019-13-01')).message,
      rejected((d) => (d.card.number = 'a10500031')).message,
      rejected((d) => (d.health.warning = 'HIV+ ')).message,
    ];
    expect(messages).toEqual([
      'person.name: must not contain control characters',
      'person.name: has characters GBK cannot represent',
      expect.stringMatching(/^person\.idNumber: /),
      'person.birthplace: does not start with a province code',
      'card.issueDate: is not a calendar date from 1900 on',
      'card.number: must be 9 digits or capital letters, got a string of 9 characters',
      'health.warning: must not end with a space (the card strips trailing pad bytes)',
    ]);
    for (const [m, value] of messages.map(
      (m, i) => [m, ['张伟', '𠮷', '11010519850312031X', '990105', '2019-13-01', 'a10500031', 'HIV'][i]] as const,
    )) {
      expect(m).not.toContain(value);
    }
  });

  it('keeps financial-only fields on financial cards', () => {
    expect(rejected((d) => delete d.card.pan).message).toBe('card.pan: is required on a financial card');
    expect(rejected((d) => (d.financial = false)).message).toBe('card.pan: only a financial card has a PAN');
    expect(rejected((d) => (d.bankPin = { initial: '111111' }), 'abdurahman').message).toBe(
      'bankPin: only a financial card has a bank PIN',
    );
    expect(rejected((d) => (d.card.pan = '6214830105000319')).message).toBe('card.pan: Luhn check digit is wrong');
  });

  it('a financial card may start with its bank application inactive', () => {
    expect(validatePersonalization(samplePerson('zhang-wei')).bankApplication).toEqual({ state: 'active' });
    expect(validatePersonalization(samplePerson('abdurahman')).bankApplication).toBeNull();
    const inactive = { ...samplePerson('zhang-wei'), bankApplication: { state: 'inactive' as const } };
    expect(validatePersonalization(inactive).bankApplication).toEqual({ state: 'inactive' });
    expect(rejected((d) => (d.bankApplication = { state: 'inactive' }), 'abdurahman').message).toBe(
      'bankApplication: only a financial card has a bank application',
    );
    expect(rejected((d) => (d.bankApplication = { state: 'asleep' })).message).toBe(
      'bankApplication.state: must be "active" or "inactive", got a string of 6 characters',
    );
    expect(rejected((d) => (d.bankApplication = { active: false })).path).toBe('bankApplication.active');
  });

  it('checks card fields', () => {
    expect(rejected((d) => (d.card.number = 'A1050003')).path).toBe('card.number');
    expect(
      validatePersonalization({
        ...samplePerson('zhang-wei'),
        card: { ...samplePerson('zhang-wei').card, identifier: '330300D15600000599110145FFFFFFFF' },
      }).card.identifier,
    ).toBe('330300D15600000599110145FFFFFFFF');
    for (const bad of [
      '330300D15600000599110145FFFFFFF',
      '330300D15600000599110145FFFFFFFE',
      '330300D25600000599110145FFFFFFFF',
      '11010590003100',
    ]) {
      expect(rejected((d) => (d.card.identifier = bad)).message).toMatch(
        /^card\.identifier: must be 16 to 32 digits, or 32 characters/,
      );
    }
    expect(rejected((d) => (d.card.identifier = '9901059000310026')).message).toMatch(
      /^card\.identifier: must start with the issuing region code/,
    );
    expect(rejected((d) => (d.card.expiryDate = '2019-06-18')).message).toBe(
      'card.expiryDate: must be after the issue date (card.issueDate)',
    );
    expect(rejected((d) => (d.card.issueDate = '2019-02-30')).message).toBe(
      'card.issueDate: is not a calendar date from 1900 on',
    );
    expect(rejected((d) => (d.specVersion = '2.0')).message).toBe(
      'specVersion: must be "2.00" or "3.00", got a string of 3 characters',
    );
  });

  it('points into arrays', () => {
    expect(rejected((d) => (d.workRecords[1].employerName = '北'.repeat(36))).message).toBe(
      'workRecords[1].employerName: is 72 GBK bytes, at most 70 fit',
    );
    expect(rejected((d) => (d.workRecords[0].endDate = '2000-01-01')).message).toBe(
      'workRecords[0].endDate: is before the start date (startDate)',
    );
    expect(rejected((d) => d.workRecords.reverse()).message).toMatch(
      /^workRecords\[1\]\.startDate: .*newest record first/,
    );
    expect(rejected((d) => d.health.history.reverse(), 'li-xiuying').message).toBe(
      'health.history[1].date: is later than the entry before it; list the newest entry first',
    );
    expect(rejected((d) => (d.health.history[0].icd10 = 'J45.90000')).path).toBe('health.history[0].icd10');
    expect(rejected((d) => (d.health.contraindications[0].substance = '青霉素'.repeat(4))).message).toBe(
      'health.contraindications[0].substance: is 24 GBK bytes, at most 20 fit',
    );
    expect(rejected((d) => (d.health.capacity = { contraindications: 1 }), 'li-xiuying').message).toBe(
      'health.contraindications: has 2 entries, at most 1 fit',
    );
  });

  it('rejects unknown fields instead of ignoring a typo', () => {
    expect(rejected((d) => (d.person.nmae = '张伟')).message).toMatch(/^person\.nmae: unknown field/);
    expect(rejected((d) => (d.health.flags.astma = true)).path).toBe('health.flags.astma');
    expect(rejected((d) => (d.keys = { masters: { RKSSSE: '00' } })).message).toMatch(
      /^keys\.masters\.RKSSSE: must be 32 hex digits/,
    );
  });

  it('reports invalid JSON and non-objects', () => {
    expect(() => parsePersonalizationJson('{"person": ')).toThrow(/^\(document\): is not valid JSON/);
    expect(() => validatePersonalization([])).toThrow(/must be an object, got an array/);
    expect(() => validatePersonalization({})).toThrow(/^person: is required$/);
  });

  it('accepts compact dates and normalizes them', () => {
    const doc = samplePerson('zhang-wei');
    doc.card.issueDate = '20190618';
    expect(validatePersonalization(doc).card.issueDate).toBe('2019-06-18');
  });
});
