import { createCipheriv } from 'node:crypto';
import { describe as group, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/apdu/index.js';
import { SSC_KEYS, commandMac, diversifyKey, issuerTestMasterKey } from '../../../src/keys/index.js';
import { decodeContraindication, decodeMedicalHistory, decodeWorkRecord } from '../../../src/records/index.js';
import {
  samplePerson,
  buildSscCard,
  buildSscCardFrom,
  buildSscTree,
  inspectSscTree,
  validatePersonalization,
  PersonalizationError,
  type SimulatedCard,
} from '../../../src/card-sim/index.js';
import { send, sw, swHex } from '../../support/card-exchange.js';
import { SELECT_SSSE } from '../../support/card-image.js';

function ok(card: SimulatedCard, hex: string): string {
  const r = send(card, hex);
  expect(swHex(r.sw), `${hex} answered ${swHex(r.sw)}`).toBe('9000');
  return toHex(r.data);
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** GBK bytes, hand-checked: 张 D5C5, 伟 CEB0. */
const ZHANG_WEI_EF05 = [
  '0110' + '1101059000310026' + 'FF'.repeat(8),
  '0201' + '31',
  '0304' + '322E3030',
  '040C' + '110000000001' + 'FF'.repeat(6),
  '0504' + '20190618',
  '0604' + '20290618',
  '0709' + '413130353030303331',
];
const ZHANG_WEI_EF06 = [
  '0812' + '313130313035313938353033313230333131',
  '091E' + 'D5C5CEB0' + '00'.repeat(26),
  '4E14' + '00'.repeat(20),
  '0A01' + '31',
  '0B01' + '01',
  '0C03' + '110105',
  '0D04' + '19850312',
];

group('SSC card built from a personalization document', () => {
  it('answers SELECT SSSE with the FCI naming 3DES on a spec 2.00 card and SM4 on 3.00', () => {
    const v2 = buildSscCard(samplePerson('zhang-wei'), { powered: true });
    expect(ok(v2, `${SELECT_SSSE}00`)).toBe('6F19840F7378312E73682EC9E7BBE1B1A3D5CFA5069F0C03860101');
    const v3 = buildSscCard(samplePerson('li-xiuying'), { powered: true });
    expect(ok(v3, `${SELECT_SSSE}00`)).toBe('6F19840F7378312E73682EC9E7BBE1B1A3D5CFA5069F0C03860103');
  });

  it('answers EF05 reads by tag (SFI 5) exactly, and by record number', () => {
    const card = buildSscCard(samplePerson('zhang-wei'), { powered: true });
    ok(card, SELECT_SSSE);
    ZHANG_WEI_EF05.forEach((expected, i) => {
      const tag = i + 1;
      expect(ok(card, `00B2${hex2(tag)}2800`)).toBe(expected); // tag mode, SFI 5
      expect(ok(card, `00B2${hex2(tag)}2C00`)).toBe(expected); // record mode, SFI 5
    });
    // A non-zero Le that is not the record's length: 6Cxx with the exact length.
    expect(sw(card, '00B2012805')).toBe('6C12');
    expect(sw(card, '00B2082C00')).toBe('6A83');
  });

  it('answers EF06 reads exactly and freely on spec 2.00', () => {
    const card = buildSscCard(samplePerson('zhang-wei'), { powered: true });
    ok(card, SELECT_SSSE);
    ZHANG_WEI_EF06.forEach((expected, i) => {
      expect(ok(card, `00B2${hex2(i + 1)}3400`)).toBe(expected);
    });
    // Tag mode finds the same records (record number != tag in EF06).
    expect(ok(card, '00B2093000')).toBe(ZHANG_WEI_EF06[1]);
    expect(ok(card, '00B24E3000')).toBe(ZHANG_WEI_EF06[2]);
  });

  it("puts a long name's tail into the name extension at a character boundary", () => {
    const card = buildSscCard(samplePerson('abdurahman'), { powered: true });
    ok(card, SELECT_SSSE);
    const name = ok(card, '00B2023400');
    const ext = ok(card, '00B2033400');
    // 阿卜杜热合曼·买买提艾力·吐尔 is 15 two-byte characters = 30 bytes; 逊托合提 follows in 4E.
    expect(name.slice(0, 4)).toBe('091E');
    expect(name.endsWith('00')).toBe(false);
    expect(ext).toBe('4E14' + 'D1B7CDD0BACFCCE1' + '00'.repeat(12));
    expect(inspectSscTree(card.tree).holder.fullName).toBe('阿卜杜热合曼·买买提艾力·吐尔逊托合提');
  });

  it('guards EF06 on spec 3.00 with RKSSSE, derivable from the issuer master key', () => {
    const doc = samplePerson('li-xiuying');
    const card = buildSscCard(doc, { powered: true, random: (n) => new Uint8Array(n).fill(0x5a) });
    ok(card, SELECT_SSSE);
    expect(sw(card, '00B2013400')).toBe('6982');
    const challenge = ok(card, '0084000008');
    const key = diversifyKey(issuerTestMasterKey('RKSSSE'), doc.card.identifier, 'sm4');
    const cipher = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
    const block = Buffer.concat([Buffer.from(challenge, 'hex'), Buffer.alloc(8)]);
    const cryptogram = Buffer.concat([cipher.update(block), cipher.final()])
      .toString('hex')
      .toUpperCase();
    ok(card, `008200${hex2(SSC_KEYS.RKSSSE.kid)}10${cryptogram}`);
    expect(ok(card, '00B2013400')).toBe(
      '0812' + Buffer.from(doc.person.idNumber, 'ascii').toString('hex').toUpperCase(),
    );
  });

  it('reads the work record and health files only after the application PIN', () => {
    const card = buildSscCard(samplePerson('zhang-wei'), { powered: true });
    ok(card, SELECT_SSSE);
    ok(card, '00A4000002DF02');
    expect(sw(card, '00B2013C00')).toBe('6982');
    ok(card, '0020000003123456');
    const work = decodeWorkRecord(fromHex(ok(card, '00B2013C00')));
    expect(work).toEqual({
      employerCode: 'BJ20415',
      startDate: '2016-07-01',
      endDate: null,
      employerName: '北京朝阳数联科技有限公司',
    });
    expect(decodeWorkRecord(fromHex(ok(card, '00B2023C00'))).endDate).toBe('2016-06-30');
    ok(card, '00A4000002DF10');
    expect(ok(card, '00B2012C00')).toBe('31'); // ABO A
    expect(ok(card, '00B2022C00')).toBe('32'); // Rh positive
    expect(decodeContraindication(fromHex(ok(card, '00B2013C00')))).toEqual({
      substance: '青霉素',
      reaction: '过敏性休克',
    });
    expect(decodeMedicalHistory(fromHex(ok(card, '00B2014400'))).icd10).toBe('K35.800');
    // Health writes need the health key, not the PIN.
    expect(sw(card, '00E2003878' + 'B0A2'.padEnd(240, '0'))).toBe('6982');
  });

  it('counts application PIN tries from the document (li-xiuying: 6)', () => {
    const card = buildSscCard(samplePerson('li-xiuying'), { powered: true });
    ok(card, SELECT_SSSE);
    expect(sw(card, '0020000003654321')).toBe('63C5');
    expect(sw(card, '0020000000')).toBe('63C5');
  });

  it('has a bank application on financial cards only, with its own PIN and record', () => {
    const card = buildSscCard(samplePerson('wang-yan'), { powered: true });
    // The PBOC application's FCI: 84 AID, A5 { 50 label, 87 priority, 5F2D language, 9F11 code table }.
    expect(ok(card, '00A4040008A00000033301010100')).toBe(
      '6F248408A000000333010101A518500A50424F43204445424954870101' + '5F2D027A68' + '9F110101',
    );
    expect(ok(card, '80CA9F1700')).toBe('9F170103');
    expect(sw(card, '002000800826123456FFFFFFFF')).toBe('63C2');
    ok(card, '002000800826246810FFFFFFFF');
    expect(ok(card, '80CA9F1700')).toBe('9F170103');
    const pan = samplePerson('wang-yan').card.pan as string;
    expect(ok(card, '00B2010C00')).toBe(`70155A08${pan}5F2008${Buffer.from('WANG/YAN').toString('hex').toUpperCase()}`);
    const plain = buildSscCard(samplePerson('li-xiuying'), { powered: true });
    expect(sw(plain, '00A4040008A000000333010101')).toBe('6A82');
  });

  it('personalizes an inactive bank application blocked until APPLICATION UNBLOCK under BANK_APP_CONTROL', () => {
    const doc = { ...samplePerson('wang-yan'), bankApplication: { state: 'inactive' as const } };
    const card = buildSscCard(doc, { powered: true });
    expect(sw(card, '00A4040008A000000333010101')).toBe('6A81');
    expect(sw(card, '80CA9F1700')).toBe('6A81');
    expect(JSON.stringify(card.exportState())).toContain('"applicationBlocked":"temporary"');
    const key = diversifyKey(issuerTestMasterKey('BANK_APP_CONTROL'), doc.card.identifier, 'sm4');
    const challenge = fromHex(ok(card, '0084000008'));
    const mac = commandMac('sm4', key, fromHex('84180000'), new Uint8Array(0), challenge);
    ok(card, `8418000004${toHex(mac)}`);
    expect(ok(card, '00A4040008A00000033301010100')).toMatch(/^6F248408A000000333010101/); // selectable again: its FCI, asked for with Le
    ok(card, '002000800826246810FFFFFFFF');
    // The SSSE's control key does not reach the bank application.
    const ssseKey = diversifyKey(issuerTestMasterKey('APP_CONTROL'), doc.card.identifier, 'sm4');
    const c2 = fromHex(ok(card, '0084000008'));
    expect(sw(card, `841E000004${toHex(commandMac('sm4', ssseKey, fromHex('841E0000'), new Uint8Array(0), c2))}`)).toBe(
      '6988',
    );
    expect(inspectSscTree(buildSscTree(samplePerson('wang-yan'))).applications).toEqual({
      ssse: 'usable',
      bank: 'usable',
    });
    expect(inspectSscTree(buildSscTree(samplePerson('li-xiuying'))).applications).toEqual({
      ssse: 'usable',
      bank: null,
    });
  });

  it('diversifies keys per card and never stores a PIN in the exported state', () => {
    const a = buildSscTree(samplePerson('zhang-wei'));
    const doc = samplePerson('zhang-wei');
    doc.card.identifier = '1101059000310099';
    const b = buildSscTree(doc);
    const ka = a.findByDfName(fromHex('7378312E73682EC9E7BBE1B1A3D5CF'))?.key(SSC_KEYS.RKSSSE.kid)?.key;
    const kb = b.findByDfName(fromHex('7378312E73682EC9E7BBE1B1A3D5CF'))?.key(SSC_KEYS.RKSSSE.kid)?.key;
    expect(ka && toHex(ka)).toBe(toHex(diversifyKey(issuerTestMasterKey('RKSSSE'), '1101059000310026', '3des')));
    expect(kb && toHex(kb)).not.toBe(ka && toHex(ka));
    const json = JSON.stringify(buildSscCard(samplePerson('wang-yan')).exportState());
    expect(json).not.toContain('246810');
  });

  it('makes independent cards from one resolved document, with the keys buildSscCard gives', () => {
    const resolved = validatePersonalization(samplePerson('li-xiuying'));
    const [a, b] = [buildSscCardFrom(resolved, { powered: true }), buildSscCardFrom(resolved, { powered: true })];
    for (const card of [a, b]) ok(card, SELECT_SSSE);
    // Tries spent on one card are not spent on the other.
    expect(sw(a, '0020000003111111')).toBe('63C5');
    expect(sw(a, '0020000003111111')).toBe('63C4');
    expect(sw(b, '0020000003111111')).toBe('63C5');
    ok(b, '0020000003123456');
    expect(sw(a, '0020000003111111')).toBe('63C3');
    const keyOf = (card: SimulatedCard): string =>
      toHex(
        card.tree.findByDfName(fromHex('7378312E73682EC9E7BBE1B1A3D5CF'))?.key(SSC_KEYS.RKSSSE.kid)?.key ??
          new Uint8Array(0),
      );
    expect(keyOf(a)).toBe(keyOf(buildSscCard(samplePerson('li-xiuying'))));
    expect(keyOf(a)).toBe(toHex(diversifyKey(issuerTestMasterKey('RKSSSE'), resolved.card.identifier, 'sm4')));
  });

  it('rejects a bad document with the personalization error naming the field', () => {
    const doc = samplePerson('zhang-wei');
    doc.person.birthDate = '1985-03-11';
    expect(() => buildSscCard(doc)).toThrow(PersonalizationError);
    expect(() => buildSscCard(doc)).toThrow(/^person\.birthDate: /);
  });
});

group('reading a card tree back (inspectSscTree)', () => {
  it('reports a bank record without the PAN as a problem naming the record, not as a crash', () => {
    const card = buildSscCard(samplePerson('zhang-wei'));
    expect(inspectSscTree(card.tree).problems).toEqual([]);
    const bankEf = card.tree.findByDfName(fromHex('A000000333010101'))?.efBySfi(1);
    const length = bankEf?.record(1)?.length ?? 0;
    expect(length).toBeGreaterThan(6);
    expect(length).toBeLessThan(128); // one-byte BER lengths below
    // Template 70 holding only a cardholder name (5F20), no PAN (5A).
    const nameOnly = new Uint8Array(length);
    nameOnly.set([0x70, length - 2, 0x5f, 0x20, length - 5]);
    nameOnly.fill(0x41, 5);
    bankEf?.updateRecord(1, nameOnly);
    const report = inspectSscTree(card.tree);
    expect(report.problems).toEqual(['BANK SFI 1 record 1: template 70 lacks 5A or 5F20']);
    expect(report.bank).toBeNull();
  });
});
