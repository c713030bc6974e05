import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { decodeAn, encodeGbk, fromHex, toHex } from '../../src/apdu/index.js';
import {
  CONTRAINDICATION_LAYOUT,
  MEDICAL_HISTORY_LAYOUT,
  RecordLayoutError,
  WORK_RECORD_LAYOUT,
  decodeContraindication,
  decodeHealthBasics,
  decodeInsuranceParticipation,
  decodeMedicalHistory,
  decodeWorkRecord,
  encodeContraindication,
  encodeHealthBasics,
  encodeInsuranceParticipation,
  encodeMedicalHistory,
  encodeWorkRecord,
  HEALTH_FLAGS,
  CONTRAINDICATION_LENGTH,
  INSURANCE_RECORD_LENGTH,
  MEDICAL_HISTORY_LENGTH,
  SSC_NAME_EXTENSION_LENGTH,
  SSC_NAME_LENGTH,
  WORK_RECORD_LENGTH,
} from '../../src/records/index.js';
import type { HealthFlags } from '../../src/records/index.js';
import { gbkChar } from '../support/gbk-text.js';

const gbk = gbkChar('·', '，', '䶮', '龑', '（', '）');
/** GBK text of at most `bytes` bytes that does not end in a space (an fields strip trailing pad). */
function gbkText(bytes: number, minLength = 0) {
  return fc.array(fc.oneof(gbk, fc.constant(' ')), { minLength, maxLength: bytes }).map((cs) => {
    let s = cs.join('').trimEnd();
    while (encodeGbk(s).length > bytes) s = Array.from(s).slice(0, -1).join('').trimEnd();
    return s;
  });
}
const isoDate = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

group('work record (85 bytes)', () => {
  it('puts each field at its offset', () => {
    const bytes = encodeWorkRecord({
      employerCode: 'BJ20415',
      startDate: '2016-07-01',
      endDate: null,
      employerName: '北京朝阳数联科技有限公司',
    });
    expect(bytes.length).toBe(85);
    expect(toHex(bytes.subarray(0, 7))).toBe('424A3230343135');
    expect(toHex(bytes.subarray(7, 11))).toBe('20160701');
    expect(toHex(bytes.subarray(11, 15))).toBe('FFFFFFFF');
    expect(decodeAn(bytes.subarray(15))).toBe('北京朝阳数联科技有限公司');
    expect(bytes.subarray(15 + 24).every((b) => b === 0)).toBe(true);
    expect(WORK_RECORD_LAYOUT.offsetOf('employerName')).toBe(15);
  });

  it('record and field lengths come from the layouts, as the card profile gives them', () => {
    expect([WORK_RECORD_LENGTH, CONTRAINDICATION_LENGTH, MEDICAL_HISTORY_LENGTH, INSURANCE_RECORD_LENGTH]).toEqual([
      85, 120, 96, 8,
    ]);
    expect(WORK_RECORD_LAYOUT.lengthOf('employerName')).toBe(70);
    expect(MEDICAL_HISTORY_LAYOUT.lengthOf('icd10')).toBe(8);
    expect([SSC_NAME_LENGTH, SSC_NAME_EXTENSION_LENGTH]).toEqual([30, 20]);
    expect(() => WORK_RECORD_LAYOUT.lengthOf('nope' as never)).toThrow(RecordLayoutError);
  });

  test.prop([
    fc.record({
      employerCode: fc.stringMatching(/^[0-9A-Z]{0,7}$/),
      startDate: isoDate,
      endDate: fc.option(isoDate, { nil: null }),
      employerName: gbkText(70),
    }),
  ])('round trips', (record) => {
    const bytes = encodeWorkRecord(record);
    expect(bytes.length).toBe(85);
    expect(decodeWorkRecord(bytes)).toEqual(record);
  });

  it('refuses a record of the wrong length and names the layout', () => {
    const ok = encodeWorkRecord({ employerCode: 'A', startDate: '2020-01-01', endDate: null, employerName: 'x' });
    for (const bad of [ok.subarray(0, 84), new Uint8Array(86), new Uint8Array(0)]) {
      expect(() => decodeWorkRecord(bad)).toThrow(RecordLayoutError);
      expect(() => decodeWorkRecord(bad)).toThrow(`workRecord: record is ${bad.length} bytes, expected exactly 85`);
    }
  });

  it('names the field that does not fit or is corrupt', () => {
    expect(() =>
      encodeWorkRecord({ employerCode: 'ABCDEFGH', startDate: '2020-01-01', endDate: null, employerName: '' }),
    ).toThrow(/^workRecord\.employerCode: text is 8 GBK bytes, too long for a 7-byte an field/);
    const bytes = encodeWorkRecord({ employerCode: 'A', startDate: '2020-01-01', endDate: null, employerName: '' });
    bytes[7] = 0xff; // start date must not be open
    expect(() => decodeWorkRecord(bytes)).toThrow(/^workRecord\.startDate: /);
    bytes.set(fromHex('20201301'), 7);
    expect(() => decodeWorkRecord(bytes)).toThrow(/^workRecord\.startDate: date 20201301 is not a calendar date/);
  });
});

group('contraindication (120 bytes) and medical history (96 bytes)', () => {
  test.prop([fc.record({ substance: gbkText(20), reaction: gbkText(100) })])('contraindication round trips', (c) => {
    const bytes = encodeContraindication(c);
    expect(bytes.length).toBe(120);
    expect(CONTRAINDICATION_LAYOUT.length).toBe(120);
    expect(decodeContraindication(bytes)).toEqual(c);
  });

  test.prop([
    fc.record({
      date: isoDate,
      icd10: fc.stringMatching(/^[A-Z][0-9]{2}\.[0-9a-z]{0,4}$/),
      diagnosis: gbkText(60),
      institution: fc.stringMatching(/^[0-9A-Z]{0,24}$/),
    }),
  ])('medical history round trips', (h) => {
    const bytes = encodeMedicalHistory(h);
    expect(bytes.length).toBe(96);
    expect(MEDICAL_HISTORY_LAYOUT.length).toBe(96);
    expect(decodeMedicalHistory(bytes)).toEqual(h);
  });

  it('lays out the penicillin allergy and an asthma diagnosis byte for byte', () => {
    const c = encodeContraindication({ substance: '青霉素', reaction: '过敏性休克' });
    expect(toHex(c.subarray(0, 6))).toBe('C7E0C3B9CBD8');
    expect(c.subarray(6, 20).every((b) => b === 0)).toBe(true);
    expect(decodeAn(c.subarray(20))).toBe('过敏性休克');
    const h = encodeMedicalHistory({
      date: '2010-05-20',
      icd10: 'J45.900',
      diagnosis: '支气管哮喘',
      institution: '12440300455755633A',
    });
    expect(toHex(h.subarray(0, 12))).toBe('201005204A34352E39303000');
    expect(decodeAn(h.subarray(72))).toBe('12440300455755633A');
  });
});

group('health basics (DF10/EF05, 15 records)', () => {
  const flags = fc.record(
    Object.fromEntries(HEALTH_FLAGS.map((f) => [f.key, fc.boolean()])) as Record<
      keyof HealthFlags,
      fc.Arbitrary<boolean>
    >,
  );
  test.prop([
    fc.record({
      abo: fc.constantFrom('1', '2', '3', '4', '5', '6'),
      rh: fc.constantFrom('1', '2', '3', '4'),
      flags,
      warning: gbkText(40),
    }),
  ])('round trips', (basics) => {
    const records = encodeHealthBasics(basics as never);
    expect(records.map((r) => r.length)).toEqual([...Array(14).fill(1), 40]);
    expect(decodeHealthBasics(records)).toEqual(basics);
  });

  it('stores codes and flags as ASCII digits and rejects other bytes', () => {
    const records = encodeHealthBasics({
      abo: '1',
      rh: '2',
      flags: Object.fromEntries(HEALTH_FLAGS.map((f) => [f.key, f.key === 'asthma'])) as HealthFlags,
      warning: '',
    });
    expect(toHex(Uint8Array.from(records.slice(0, 4).map((r) => r[0] as number)))).toBe('31323130');
    records[2] = Uint8Array.of(0x02);
    expect(() => decodeHealthBasics(records)).toThrow(/^healthBasics\.flags\.asthma: byte 02 is neither '0' nor '1'/);
  });
});

group('insurance participation (DF03, 8 bytes)', () => {
  it('round trips and encodes "never insured" as F', () => {
    const p = { status: '1' as const, since: '2008-07-15', region: '110105' };
    const bytes = encodeInsuranceParticipation(p);
    expect(toHex(bytes)).toBe('3120080715110105');
    expect(decodeInsuranceParticipation(bytes)).toEqual(p);
    const none = encodeInsuranceParticipation({ status: '0', since: null, region: '' });
    expect(toHex(none)).toBe('30FFFFFFFFFFFFFF');
    expect(decodeInsuranceParticipation(none)).toEqual({ status: '0', since: null, region: '' });
  });
});
