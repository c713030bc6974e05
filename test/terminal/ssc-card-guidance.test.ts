import { describe, expect, it } from 'vitest';
import { samplePerson } from '../../src/card-sim/index.js';
import {
  InitialPinInEffectError,
  PinBlockedError,
  PinIncorrectError,
  SecureModuleRequiredError,
  SecurityStatusError,
  SoftwarePsam,
  SscCard,
  decodeInsuranceInfo,
  CardDataError,
} from '../../src/terminal/index.js';
import { encodeInsuranceParticipation } from '../../src/records/index.js';
import { expectRejectsClass } from '../support/throws.js';
import { rig, unlock } from './ssc-card-rig.js';

/*
 * What the SDK tells a POS developer who got something wrong: the errors' hints, the secure module
 * a 3.00 card needs, and the insurance file read after the PIN.
 */

describe('reads before the PIN say to verify it first', () => {
  it.each([
    ['readWorkRecord', (c: SscCard) => c.readWorkRecord()],
    ['readInsurance', (c: SscCard) => c.readInsurance()],
    ['readHealth', (c: SscCard) => c.readHealth()],
    ['readContraindications', (c: SscCard) => c.readContraindications()],
    ['readMedicalHistory', (c: SscCard) => c.readMedicalHistory()],
  ])('%s', async (_, read) => {
    const { card } = await rig('zhang-wei');
    const e = await expectRejectsClass(read(card), SecurityStatusError, { code: 'SECURITY_STATUS' });
    expect(e.sw).toBe(0x6982);
    expect(e.hint).toBe('verify the PIN first (SscCard.verifyPin)');
    expect(e.message).toMatch(/^READ RECORD failed: 6982 .*; verify the PIN first \(SscCard\.verifyPin\)$/u);
  });
});

describe('a 3.00 card without a secure module holding RKSSSE', () => {
  it.each([
    ['no secure module', undefined, 'the card was opened without a secure module'],
    ['a module without RKSSSE', SoftwarePsam.withTestKeys(['HEALTH']), 'the secure module holds no RKSSSE key'],
  ])('%s: SECURE_MODULE_REQUIRED before anything is sent, saying how to open the card', async (_, psam, why) => {
    const { card, trace } = await rig('li-xiuying', psam === undefined ? {} : { psam });
    const sent = trace.length;
    const err = await expectRejectsClass(card.readCardholder(), SecureModuleRequiredError);
    expect(err.code).toBe('SECURE_MODULE_REQUIRED');
    expect(err.key).toBe('RKSSSE');
    expect(err.hint).toBe('open the card with a secure module holding RKSSSE (SscCard.open(transport, { psam }))');
    expect(err.message).toBe(
      `this 3.00 card's cardholder file (EF06) needs external authentication with RKSSSE, and ${why}; ${err.hint}`,
    );
    expect(trace.length).toBe(sent);
  });

  it('the same card opened with RKSSSE reads the cardholder', async () => {
    const { card } = await rig('li-xiuying', { psam: SoftwarePsam.withTestKeys(['RKSSSE']) });
    expect((await card.readCardholder()).name).toBe(samplePerson('li-xiuying').person.name);
  });

  it('a 2.00 card needs no secure module', async () => {
    const { card } = await rig('zhang-wei');
    expect((await card.readCardholder()).name).toBe('张伟');
  });
});

describe('a blocked PIN sends the holder to a service window', () => {
  it('the try that blocks it, then every later try', async () => {
    const { card } = await rig('zhang-wei');
    await expect(card.verifyPin('000000')).rejects.toBeInstanceOf(PinIncorrectError);
    await expect(card.verifyPin('000000')).rejects.toBeInstanceOf(PinIncorrectError);
    const now = await expectRejectsClass(card.verifyPin('000000'), PinBlockedError);
    expect(now.justBlocked).toBe(true);
    expect(now.message).toBe('VERIFY failed: the PIN is now blocked (63C0); unlock it at a service window');
    const later = await expectRejectsClass(card.verifyPin('123456'), PinBlockedError);
    expect(later.justBlocked).toBe(false);
    expect(later.hint).toBe('unlock it at a service window');
  });
});

describe('health writes without the health key name the key', () => {
  it('a pharmacy terminal', async () => {
    const { card } = await rig('zhang-wei', { psam: SoftwarePsam.withTestKeys(['RKSSSE']) });
    await unlock(card);
    const e = await expectRejectsClass(
      card.addContraindication({ substance: '布洛芬', reaction: '哮喘' }),
      SecurityStatusError,
    );
    expect(e.hint).toMatch(/HEALTH key/u);
  });

  it('the initial-PIN refusal says what to do', async () => {
    const { card } = await rig('zhang-wei');
    const e = await expectRejectsClass(card.verifyPin('123456'), InitialPinInEffectError);
    expect(e.hint).toBe('have the cardholder choose a new PIN (SscCard.changePin)');
  });
});

describe('SscCard.readInsurance', () => {
  it('reads the five insurance types after the PIN (2.00 card, all participating)', async () => {
    const { card, trace } = await rig('zhang-wei');
    await unlock(card);
    const insurance = await card.readInsurance();
    const doc = samplePerson('zhang-wei').insurance ?? {};
    expect(Object.keys(insurance)).toEqual(['pension', 'medical', 'workInjury', 'maternity', 'unemployment']);
    for (const [key, p] of Object.entries(doc)) {
      expect(insurance[key as keyof typeof insurance]).toEqual({
        status: 'participating',
        statusCode: '1',
        since: p.since,
        region: p.region,
      });
    }
    // DF03 selected by FID under SSSE, records read by SFI 5.
    const reads = trace.filter((e) => e.command.name === 'READ RECORD').slice(-5);
    expect(reads.map((e) => e.command.p1)).toEqual([1, 2, 3, 4, 5]);
  });

  it('names every status and keeps never-insured types as null / empty (3.00 card)', async () => {
    const { card } = await rig('li-xiuying');
    await unlock(card);
    const insurance = await card.readInsurance();
    expect(insurance.pension).toEqual({ status: 'terminated', statusCode: '3', since: '1980-09-01', region: '310104' });
    expect(insurance.medical.status).toBe('participating');
    expect(insurance.maternity).toEqual({ status: 'not-insured', statusCode: '0', since: null, region: '' });
  });

  it("decodes the shared layout; a record of another length is the card's fault", () => {
    const records = [
      encodeInsuranceParticipation({ status: '2', since: '2020-01-31', region: '440305' }),
      ...Array.from({ length: 4 }, () => encodeInsuranceParticipation({ status: '0', since: null, region: '' })),
    ];
    expect(decodeInsuranceInfo(records).pension).toEqual({
      status: 'suspended',
      statusCode: '2',
      since: '2020-01-31',
      region: '440305',
    });
    expect(() => decodeInsuranceInfo([...records.slice(0, 4), new Uint8Array(7)])).toThrow(CardDataError);
    expect(() => decodeInsuranceInfo(records.slice(0, 4))).toThrow(CardDataError);
  });
});
