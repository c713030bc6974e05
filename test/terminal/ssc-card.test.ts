import { describe, expect, it } from 'vitest';
import { SscardError, toHex } from '../../src/apdu/index.js';
import { SSC_KEYS } from '../../src/keys/index.js';
import { SSSE_DF_NAME, samplePerson } from '../../src/card-sim/index.js';
import {
  AuthenticationFailedError,
  CardRemovedError,
  CardStatusError,
  InitialPinInEffectError,
  MemoryTransport,
  NewPinRejectedError,
  PinBlockedError,
  PinIncorrectError,
  SecureModuleRequiredError,
  SecurityStatusError,
  SoftwarePsam,
  SscCard,
  validateNewPin,
  type SecureModule,
} from '../../src/terminal/index.js';
import { expectRejectsClass, expectThrowsClass } from '../support/throws.js';
import { NEW_PIN, rig, unlock } from './ssc-card-rig.js';
import { ZHANG_WEI_CARDHOLDER, ZHANG_WEI_CARD_INFO } from './zhang-wei.js';

const HOSPITAL = (): SoftwarePsam => SoftwarePsam.withTestKeys(['HEALTH', 'RKSSSE']);
const PHARMACY = (): SoftwarePsam => SoftwarePsam.withTestKeys(['RKSSSE']);

describe.each(['T=0', 'T=1'] as const)('SscCard over %s', (transmission) => {
  it('opens: learns the algorithm from the FCI and the spec version from EF05', async () => {
    const zhang = await rig('zhang-wei', { transmission });
    expect(zhang.card.algorithm).toBe('3des');
    expect(zhang.card.specVersion).toBe('2.00');
    expect(zhang.card.atr).toEqual(zhang.sim.atr);
    const li = await rig('li-xiuying', { transmission });
    expect(li.card.algorithm).toBe('sm4');
    expect(li.card.specVersion).toBe('3.00');
    if (transmission === 'T=0') expect(zhang.trace.some((e) => e.command.name === 'GET RESPONSE')).toBe(true);
  });

  it('reads the card issuer data of EF05', async () => {
    const { card } = await rig('zhang-wei', { transmission });
    expect(await card.readCardInfo()).toEqual(ZHANG_WEI_CARD_INFO);
  });

  it('reads the cardholder of EF06 and joins the name extension', async () => {
    const zhang = await rig('zhang-wei', { transmission });
    expect(await zhang.card.readCardholder()).toEqual(ZHANG_WEI_CARDHOLDER);
    const long = await rig('abdurahman', { transmission });
    expect((await long.card.readCardholder()).name).toBe(samplePerson('abdurahman').person.name);
  });
});

describe('SscCard cardholder data on spec 3.00 cards', () => {
  it('without RKSSSE the terminal refuses EF06 before sending anything', async () => {
    const { card, trace } = await rig('wang-yan');
    const sent = trace.length;
    const err = await expectRejectsClass(card.readCardholder(), SecureModuleRequiredError);
    expect(err.code).toBe('SECURE_MODULE_REQUIRED');
    expect(trace.length).toBe(sent);
  });

  it('a terminal with RKSSSE authenticates (SM4) and reads it, rare GBK characters included', async () => {
    const { card, trace } = await rig('wang-yan', { psam: PHARMACY() });
    const holder = await card.readCardholder();
    expect(holder.name).toBe('王䶮');
    expect(holder.sex).toBe('male');
    const auth = trace.find((e) => e.command.name === 'EXTERNAL AUTHENTICATE');
    expect(auth?.command.p2).toBe(0x0a); // RKSSSE, numbered as reader programs send it
    expect(auth?.command.lc).toBe(16);
    expect(auth?.response?.sw).toBe(0x9000);
  });
});

describe('SscCard application PIN', () => {
  it('pinStatus counts tries without spending one', async () => {
    const { card, sim } = await rig('zhang-wei');
    expect(await card.pinStatus()).toEqual({ triesLeft: 3, verified: false, blocked: false });
    expect(await card.pinStatus()).toEqual({ triesLeft: 3, verified: false, blocked: false });
    expect(sim.securityState().verifiedPins).toEqual([]);
  });

  it('a wrong PIN costs a try, the blocking try and later ones are PinBlockedError', async () => {
    const { card } = await rig('zhang-wei');
    const first = await expectRejectsClass(card.verifyPin('000000'), PinIncorrectError);
    expect(first.triesLeft).toBe(2);
    expect(await card.pinStatus()).toEqual({ triesLeft: 2, verified: false, blocked: false });
    await expect(card.verifyPin('000000')).rejects.toMatchObject({ code: 'PIN_INCORRECT', triesLeft: 1 });
    const blocking = await expectRejectsClass(card.verifyPin('000000'), PinBlockedError);
    expect(blocking.justBlocked).toBe(true);
    const after = await expectRejectsClass(card.verifyPin('123456'), PinBlockedError);
    expect(after.justBlocked).toBe(false);
    expect(await card.pinStatus()).toEqual({ triesLeft: 0, verified: false, blocked: true });
  });

  it("uses the card's own try limit (6 on li-xiuying)", async () => {
    const { card } = await rig('li-xiuying');
    await expect(card.verifyPin('999999')).rejects.toMatchObject({ triesLeft: 5 });
  });

  it('refuses to transact while the initial PIN is in effect, until it is changed', async () => {
    const { card, sim } = await rig('zhang-wei');
    await expect(card.verifyPin('123456')).rejects.toBeInstanceOf(InitialPinInEffectError);
    // The card did accept it; the refusal is terminal policy.
    expect(sim.securityState().verifiedPins.length).toBe(1);
    expect(card.initialPinInEffect).toBe(true);
    await expect(card.readHealth()).rejects.toBeInstanceOf(InitialPinInEffectError);
    await expect(card.readWorkRecord()).rejects.toBeInstanceOf(InitialPinInEffectError);
    await card.changePin('123456', NEW_PIN);
    expect(card.initialPinInEffect).toBe(false);
    await card.verifyPin(NEW_PIN);
    await expect(card.readHealth()).resolves.toMatchObject({ abo: 'A' });
  });

  it('the initial-PIN policy can be switched off', async () => {
    const { card } = await rig('zhang-wei', { refuseInitialPin: false });
    await card.verifyPin('123456');
    expect(card.initialPinInEffect).toBe(true);
    await expect(card.readHealth()).resolves.toMatchObject({ rh: 'positive' });
  });

  it('changePin with a wrong old PIN costs a try on the card', async () => {
    const { card } = await rig('zhang-wei');
    await expect(card.changePin('654321', NEW_PIN)).rejects.toMatchObject({ code: 'PIN_INCORRECT', triesLeft: 2 });
    expect((await card.pinStatus()).triesLeft).toBe(2);
  });

  it('changePin refuses a new PIN that breaks terminal policy without sending anything', async () => {
    const { card, trace } = await rig('zhang-wei');
    const before = trace.length;
    await expect(card.changePin('123456', '123456')).rejects.toMatchObject({
      code: 'NEW_PIN_REJECTED',
      problem: 'initial',
    });
    await expect(card.changePin('123456', '12345')).rejects.toMatchObject({
      code: 'NEW_PIN_REJECTED',
      problem: 'format',
    });
    await expect(card.changePin('123456', '12a456')).rejects.toMatchObject({ problem: 'format' });
    expect(trace.length).toBe(before);
  });

  it('validateNewPin: entered twice, six digits, not the initial PIN', () => {
    expect(() => validateNewPin('135790', '135790')).not.toThrow();
    const problem = (a: string, b: string): unknown => {
      const e = expectThrowsClass(() => validateNewPin(a, b), NewPinRejectedError);
      expect(e.message).not.toContain(a);
      return e.problem;
    };
    expect(problem('135790', '135791')).toBe('mismatch');
    expect(problem('1357', '1357')).toBe('format');
    expect(problem('1357900', '1357900')).toBe('format');
    expect(problem('13579x', '13579x')).toBe('format');
    expect(problem('123456', '123456')).toBe('initial');
  });
});

describe('SscCard PIN-protected reads', () => {
  it('the card refuses work records and health data before the PIN', async () => {
    const { card } = await rig('zhang-wei');
    await expect(card.readWorkRecord()).rejects.toBeInstanceOf(SecurityStatusError);
    await expect(card.readHealth()).rejects.toBeInstanceOf(SecurityStatusError);
    await expect(card.readMedicalHistory()).rejects.toBeInstanceOf(SecurityStatusError);
  });

  it('reads work records newest first, a current job with a null end date', async () => {
    const { card } = await rig('zhang-wei', { transmission: 'T=0' });
    await unlock(card);
    expect(await card.readWorkRecord()).toEqual(samplePerson('zhang-wei').workRecords);
  });

  it('reads health basics as typed values', async () => {
    const { card } = await rig('li-xiuying');
    await unlock(card);
    const health = await card.readHealth();
    expect(health.abo).toBe('O');
    expect(health.aboCode).toBe('3');
    expect(health.rh).toBe('positive');
    expect(health.warning).toBe('长期服用华法林抗凝');
    expect(health.conditions.diabetes).toBe(true);
    expect(health.conditions.coagulationDisorder).toBe(true);
    expect(health.conditions.asthma).toBe(false);
    expect(Object.values(health.conditions).filter(Boolean).length).toBe(3);
  });

  it('reads contraindications and medical history in card order; empty files give []', async () => {
    const li = await rig('li-xiuying');
    await unlock(li.card);
    const doc = samplePerson('li-xiuying');
    expect(await li.card.readContraindications()).toEqual(doc.health?.contraindications);
    expect(await li.card.readMedicalHistory()).toEqual(doc.health?.history);
    const ab = await rig('abdurahman');
    await unlock(ab.card);
    expect(await ab.card.readContraindications()).toEqual([]);
  });
});

describe('SscCard health writes', () => {
  const entry = {
    date: '2024-05-01',
    icd10: 'J06.900',
    diagnosis: '急性上呼吸道感染',
    institution: '12110000400688702Q',
  };

  it.each(['zhang-wei', 'li-xiuying'])(
    'a hospital terminal appends medical history on %s (3DES / SM4)',
    async (person) => {
      const { card } = await rig(person, { psam: HOSPITAL(), transmission: 'T=0' });
      await unlock(card);
      const before = await card.readMedicalHistory();
      await card.appendMedicalHistory(entry);
      const after = await card.readMedicalHistory();
      expect(after).toEqual([entry, ...before]);
    },
  );

  it('a hospital terminal adds a contraindication as the newest record', async () => {
    const { card } = await rig('zhang-wei', { psam: HOSPITAL() });
    await unlock(card);
    await card.addContraindication({ substance: '布洛芬', reaction: '哮喘发作' });
    expect((await card.readContraindications())[0]).toEqual({ substance: '布洛芬', reaction: '哮喘发作' });
  });

  it.each([
    ['a pharmacy terminal (no health key)', PHARMACY()],
    ['a terminal without a secure module', undefined],
  ])('%s gets SecurityStatusError and nothing is written', async (_, psam) => {
    const { card } = await rig('zhang-wei', psam === undefined ? {} : { psam });
    await unlock(card);
    const before = await card.readMedicalHistory();
    await expect(card.appendMedicalHistory(entry)).rejects.toBeInstanceOf(SecurityStatusError);
    await expect(card.addContraindication({ substance: 'x', reaction: 'y' })).rejects.toBeInstanceOf(
      SecurityStatusError,
    );
    expect(await card.readMedicalHistory()).toEqual(before);
  });

  it('a secure module with the wrong master key fails authentication and spends a key try', async () => {
    const forged = new SoftwarePsam({ HEALTH: new Uint8Array(16).fill(0x42) });
    const { card } = await rig('zhang-wei', { psam: forged });
    await unlock(card);
    const err = await expectRejectsClass(card.appendMedicalHistory(entry), AuthenticationFailedError);
    expect(err.triesLeft).toBe(2);
  });

  it("a hospital write goes out as GET CHALLENGE, EXTERNAL AUTHENTICATE, GET CHALLENGE, MAC'd 04 DC 00 03, traced in clear", async () => {
    const { card, trace, sim } = await rig('li-xiuying', { psam: HOSPITAL() });
    await unlock(card);
    const from = trace.length;
    await card.appendMedicalHistory(entry);
    const write = trace.slice(from);
    // EF05 card identifier (diversification input, read once), DF10, EF08, then the keyed write.
    expect(write.map((e) => e.command.name)).toEqual([
      'READ RECORD',
      'SELECT',
      'SELECT',
      'GET CHALLENGE',
      'EXTERNAL AUTHENTICATE',
      'GET CHALLENGE',
      'UPDATE RECORD',
    ]);
    expect(write.every((e) => e.response?.sw === 0x9000)).toBe(true);
    const update = write[write.length - 1]!.command;
    expect(update).toMatchObject({ cla: 0x04, ins: 0xdc, p1: 0x00, p2: 0x03, lc: 96 + 4, masked: false });
    expect(update.p1p2).toBe('new record 1 (cyclic), current EF');
    // The data is the record as stored on the card, then the 4-byte MAC.
    const ef08 = sim.tree.nodeAt([0x5353, 0xdf10, 0xef08]);
    const stored = ef08?.kind === 'ef' ? ef08.record(1) : undefined;
    expect(stored).toBeDefined();
    expect(update.data?.replaceAll(' ', '').slice(0, 96 * 2)).toBe(toHex(stored!));
    expect(update.data?.replaceAll(' ', '')).toHaveLength((96 + 4) * 2);
  });

  it('the card refuses a MAC made with a wrong key (6988), writes nothing and counts a health-key try', async () => {
    const real = HOSPITAL();
    // The right key for EXTERNAL AUTHENTICATE, a wrong one for the MAC: only the MAC check can catch it.
    const skewed: SecureModule = {
      hasKey: (k) => real.hasKey(k),
      externalAuthenticate: (input) => real.externalAuthenticate(input),
      commandMac: (input) => new SoftwarePsam({ HEALTH: new Uint8Array(16).fill(0x42) }).commandMac(input),
    };
    const { card, sim } = await rig('zhang-wei', { psam: skewed });
    await unlock(card);
    const before = await card.readMedicalHistory();
    const err = await expectRejectsClass(card.appendMedicalHistory(entry), CardStatusError);
    expect(err).toMatchObject({ sw: 0x6988, swName: 'SM_INCORRECT', command: 'UPDATE RECORD' });
    expect(await card.readMedicalHistory()).toEqual(before);
    expect(sim.tree.findByDfName(SSSE_DF_NAME)?.key(SSC_KEYS.HEALTH.kid)?.triesLeft).toBe(2);
    // The real module then writes, and its EXTERNAL AUTHENTICATE restores the key's tries.
    const again = await SscCard.open(new MemoryTransport(sim), { psam: real });
    await again.verifyPin(NEW_PIN);
    await again.appendMedicalHistory(entry);
    expect(await again.readMedicalHistory()).toEqual([entry, ...before]);
    expect(sim.tree.findByDfName(SSSE_DF_NAME)?.key(SSC_KEYS.HEALTH.kid)?.triesLeft).toBe(3);
  });

  it("a card whose DF10 only asks for the health key (an image from before secure messaging) takes the MAC'd write too", async () => {
    const { card, sim } = await rig('zhang-wei', { psam: HOSPITAL() });
    const ef08 = sim.tree.nodeAt([0x5353, 0xdf10, 0xef08]);
    if (ef08?.kind !== 'ef') throw new Error('no DF10/EF08');
    ef08.write = { kind: 'key', keyId: SSC_KEYS.HEALTH.kid };
    await unlock(card);
    await card.appendMedicalHistory(entry);
    expect((await card.readMedicalHistory())[0]).toEqual(entry);
  });

  it("an entry that does not fit the record is the caller's error, nothing is sent", async () => {
    const { card, trace } = await rig('zhang-wei', { psam: HOSPITAL() });
    const before = trace.length;
    await expect(card.appendMedicalHistory({ ...entry, icd10: 'TOO-LONG-CODE' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(card.appendMedicalHistory({ ...entry, date: '2024-02-30' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(trace.length).toBe(before);
  });
});

describe('SscCard bank application', () => {
  it('verifies the bank PIN with a format-2 block and reads its own try counter', async () => {
    const { card } = await rig('zhang-wei', { transmission: 'T=0' });
    expect(await card.bank.pinTriesLeft()).toBe(3);
    await expect(card.bank.verifyPin('111111')).rejects.toMatchObject({ code: 'PIN_INCORRECT', triesLeft: 2 });
    expect(await card.bank.pinTriesLeft()).toBe(2);
    await card.bank.verifyPin('888888');
    expect(await card.bank.pinTriesLeft()).toBe(3);
  });

  it('the bank PIN locks independently of the social-security PIN', async () => {
    const { card } = await rig('zhang-wei');
    for (let i = 0; i < 2; i++) await expect(card.bank.verifyPin('111111')).rejects.toBeInstanceOf(PinIncorrectError);
    await expect(card.bank.verifyPin('111111')).rejects.toBeInstanceOf(PinBlockedError);
    await expect(card.bank.verifyPin('888888')).rejects.toBeInstanceOf(PinBlockedError);
    expect(await card.bank.pinTriesLeft()).toBe(0);
    expect(await card.pinStatus()).toEqual({ triesLeft: 3, verified: false, blocked: false });
  });

  it('selecting the bank application ends the social-security PIN verification', async () => {
    const { card } = await rig('zhang-wei');
    await unlock(card);
    await card.bank.pinTriesLeft();
    await expect(card.readHealth()).rejects.toBeInstanceOf(SecurityStatusError);
  });
});

describe('SscCard across resets and removal', () => {
  it('after a reset it selects SSSE again and the card wants the PIN again', async () => {
    const { card } = await rig('zhang-wei');
    await unlock(card);
    await card.readHealth();
    await card.channel.reset('warm');
    await expect(card.readHealth()).rejects.toBeInstanceOf(SecurityStatusError);
    await card.verifyPin(NEW_PIN);
    await expect(card.readHealth()).resolves.toMatchObject({ abo: 'A' });
  });

  it('a pulled card is CardRemovedError; reinserted, reads work again', async () => {
    const { card, transport } = await rig('zhang-wei');
    transport.remove();
    await expectRejectsClass(card.readCardInfo(), CardRemovedError);
    transport.insert();
    await expect(card.readCardInfo()).resolves.toMatchObject({ cardNumber: 'A10500031' });
  });

  it('two POS callers on one card both get their own, correct answers', async () => {
    const { card } = await rig('li-xiuying', { psam: PHARMACY(), transmission: 'T=0' });
    await unlock(card);
    const results = await Promise.all([
      card.readHealth(),
      card.readCardholder(),
      card.readCardInfo(),
      card.readMedicalHistory(),
      card.pinStatus(),
      card.readWorkRecord(),
    ]);
    expect(results[0]).toMatchObject({ abo: 'O' });
    expect(results[1]).toMatchObject({ name: '李秀英' });
    expect(results[2]).toMatchObject({ cardNumber: 'S31040024' });
    expect(results[3]).toEqual(samplePerson('li-xiuying').health?.history);
    expect(results[4]).toEqual({ triesLeft: null, verified: true, blocked: false });
    expect(results[5]).toEqual(samplePerson('li-xiuying').workRecords);
  });

  it('every failure is an SscardError with a code', async () => {
    const { card } = await rig('zhang-wei');
    const errors = await Promise.all([
      card.readHealth().catch((e: unknown) => e),
      card.verifyPin('12').catch((e: unknown) => e),
      card.verifyPin('abc').catch((e: unknown) => e),
      card.bank.verifyPin('1').catch((e: unknown) => e),
    ]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(SscardError);
      expect(typeof (e as SscardError).code).toBe('string');
    }
  });
});
