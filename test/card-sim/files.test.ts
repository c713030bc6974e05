import { describe, expect, it } from 'vitest';
import { concatBytes, decodeAn, encodeAn, fromHex, parseSimpleTlv } from '../../src/apdu/index.js';
import { expectTranscript, send, sw } from '../support/card-exchange.js';
import {
  CARD_NUMBER,
  KID,
  allergyRecord,
  apdu,
  externalAuth,
  hex,
  selectBank,
  ssseAfter,
  ssseCard,
  testCard,
  workRecord,
} from './fixtures.js';

describe('READ RECORD addressing forms', () => {
  it('EF05 (record number = tag): all four forms return the card number record', () => {
    const card = ssseCard();
    const expected = hex(concatBytes(Uint8Array.of(0x07, 0x09), encodeAn(CARD_NUMBER, 9)));
    expect(hex(send(card, '00B2072C00').data)).toBe(expected); // <n> (SFI<<3|4)
    expect(hex(send(card, '00B2072800').data)).toBe(expected); // <tag> (SFI<<3)
    expect(sw(card, '00A4020C02EF05')).toBe('9000');
    expect(hex(send(card, '00B2070400').data)).toBe(expected); // <n> 04
    expect(hex(send(card, '00B2070000').data)).toBe(expected); // <tag> 00
    expect(decodeAn(parseSimpleTlv(send(card, '00B2070400').data).value)).toBe(CARD_NUMBER);
  });

  it('EF06 (record number != tag): tag 09 and record 2 are the same record, tag 02 is absent', () => {
    const card = ssseCard();
    expect(externalAuth(card, KID.RK)).toBe(0x9000);
    const byTag = send(card, '00B2093000');
    const byNumber = send(card, '00B2023400');
    expect(byTag.sw).toBe(0x9000);
    expect(byTag.data[0]).toBe(0x09);
    expect(hex(byNumber.data)).toBe(hex(byTag.data));
    expect(decodeAn(parseSimpleTlv(byTag.data).value)).toBe('张三');
    expect(sw(card, '00B2023000')).toBe('6A83'); // no record whose tag is 02
    expect(hex(send(card, '00B2083000').data).slice(0, 4)).toBe('0812');
  });

  it('Le: 00 returns the record; another Le gets 6Cxx with the exact length, which then works', () => {
    const card = ssseCard();
    expect(sw(card, '00B2072C05')).toBe('6C0B');
    expect(sw(card, '00B2072CFF')).toBe('6C0B');
    const r = send(card, '00B2072C0B');
    expect(r.sw).toBe(0x9000);
    expect(r.data.length).toBe(11);
  });

  it('P1=00 with P2 b3-b1=100 reads the current record', () => {
    const card = ssseCard();
    expect(sw(card, '00A4020C02EF05')).toBe('9000');
    expect(sw(card, '00B2000400')).toBe('6A83'); // no current record yet
    send(card, '00B2030400');
    expect(hex(send(card, '00B2000400').data)).toBe('0304332E3030');
  });

  it('errors: 6A83 record absent, 6A82 SFI absent, 6986 no current EF, 6981 wrong structure, 6A86, 6700', () => {
    ssseAfter([
      ['00B2082C00', '6A83'],
      ['00B20F2800', '6A83'],
      ['00B2010C00', '6A82'],
      ['00B2010400', '6986'],
      ['00B201AC00', '6981', 'SFI 21 is transparent'],
      ['00B2012D00', '6A86', 'several records'],
      ['00B201FC00', '6A86', 'SFI 31'],
      ['00B2012C0101', '6700', 'data in READ RECORD'],
      ['00B2012C', '6700', 'no Le: READ RECORD is only its answer'],
      ['80CA9F17', '6700', 'GET DATA likewise'],
      ['00B2012C00', '9000'],
    ]);
  });

  it('bank application: READ RECORD SFI 1 record 1 is a 70 template with 5A PAN and 5F20 name', () => {
    const card = testCard();
    expect(selectBank(card).sw).toBe(0x9000);
    const r = send(card, '00B2010C00');
    expect(r.sw).toBe(0x9000);
    expect(hex(r.data)).toMatch(/^70..5A0A6217000000000000018F5F2009/);
  });
});

describe('READ / UPDATE BINARY', () => {
  it('reads by SFI and by offset from the current EF', () => {
    const card = ssseCard();
    const all = send(card, '00B0950000');
    expect(all.sw).toBe(0x9000);
    expect(all.data.length).toBe(40);
    expect(hex(send(card, '00B0950A03').data)).toBe('0A0B0C');
    expect(sw(card, '00A4020C02EF15')).toBe('9000');
    expect(hex(send(card, '00B0000504').data)).toBe('05060708');
  });

  it('an explicit Le past the end returns the rest with 6282; an offset outside is 6B00', () => {
    const card = ssseCard();
    const r = send(card, '00B0952605');
    expect(r.sw).toBe(0x6282);
    expect(hex(r.data)).toBe('2627');
    expectTranscript(card, [
      ['00B0952801', '6B00'],
      ['00B0B50001', '6A86', 'P1 b7-b6 must be 0 in the SFI form'],
      ['00B09500', '6700', 'no Le'],
      ['00B0850000', '6981', 'SFI 5 is a record file'],
    ]);
  });

  it('UPDATE BINARY needs the PIN, writes, and refuses to overrun the EF', () => {
    const card = ssseAfter([
      ['00D6950202AABB', '6982'],
      ['0020000003123456', '9000'],
      ['00D6950202AABB', '9000'],
    ]);
    expect(hex(send(card, '00B0950004').data)).toBe('0001AABB');
    expect(sw(card, '00D6952702AABB')).toBe('6700');
    expect(sw(card, '00D6952901AA')).toBe('6B00');
  });
});

describe('UPDATE / APPEND RECORD', () => {
  function readWork(card: ReturnType<typeof testCard>, n: number): string {
    const r = send(card, `00B2${n.toString(16).padStart(2, '0')}3C00`);
    return r.sw === 0x9000 ? decodeAn(r.data.subarray(0, 7)) : r.sw.toString(16);
  }

  it('cyclic work record: UPDATE RECORD P1=00 P2=03 and APPEND write a new record 1, the oldest drops off', () => {
    const card = ssseCard();
    expect(sw(card, '00A4000C02DF02')).toBe('9000');
    const rec = (e: string): Uint8Array => workRecord(e, '20240101', '新单位');
    expect(sw(card, apdu('00DC003B', rec('E000003')))).toBe('6982'); // write needs UKSSSE
    expect(externalAuth(card, KID.UK)).toBe(0x9000);
    expect(sw(card, apdu('00DC003B', rec('E000003')))).toBe('9000');
    expect([1, 2, 3].map((n) => readWork(card, n))).toEqual(['E000003', 'E000002', 'E000001']);
    expect(sw(card, apdu('00E20038', rec('E000004')))).toBe('9000');
    expect(sw(card, apdu('00E20038', rec('E000005')))).toBe('9000');
    expect([1, 2, 3, 4, 5].map((n) => readWork(card, n))).toEqual(['E000005', 'E000004', 'E000003', 'E000002', '6a83']);
    // update in place by number
    expect(sw(card, apdu('00DC023C', rec('E000009')))).toBe('9000');
    expect(readWork(card, 2)).toBe('E000009');
    expect(sw(card, apdu('00DC003B', new Uint8Array(84)))).toBe('6700'); // records are 85 bytes
    expect(sw(card, apdu('00E20138', rec('E000006')))).toBe('6A86');
    expect(sw(card, apdu('00E2003C', rec('E000006')))).toBe('6A86');
  });

  it('health allergies: PIN to read, health key to write', () => {
    const card = ssseAfter([
      ['00A4000C02DF10', '9000', 'the health DF'],
      ['00B2013C00', '6982'],
      ['0020000003123456', '9000'],
      ['00B2013C00', '9000'],
    ]);
    const allergy = allergyRecord('阿司匹林', '哮喘');
    expect(sw(card, apdu('00DC003B', allergy))).toBe('6982');
    expect(externalAuth(card, KID.UK)).toBe(0x9000); // the wrong key does not help
    expect(sw(card, apdu('00DC003B', allergy))).toBe('6982');
    expect(externalAuth(card, KID.HEALTH)).toBe(0x9000);
    expect(sw(card, apdu('00DC003B', allergy))).toBe('9000');
    expect(decodeAn(send(card, '00B2013C00').data.subarray(0, 20))).toBe('阿司匹林');
    expect(decodeAn(send(card, '00B2023C00').data.subarray(0, 20))).toBe('青霉素');
  });

  it('linear-fixed: APPEND until full (6A84); UPDATE RECORD first/last/next/previous/number', () => {
    const card = ssseAfter([
      ['00A4000C02DF10', '9000', 'the health DF'],
      ['0020000003123456', '9000'],
      ['00E200480403030303', '9000'],
      ['00E200480404040404', '6A84'],
      ['00E2004803040404', '6700'],
      ['00DC004C04AAAAAAAA', '9000', 'P1=00: the current record, 3 after the append'],
    ]);
    expect(hex(send(card, '00B2034C00').data)).toBe('AAAAAAAA');
    expectTranscript(card, [
      ['00DC004804BBBBBBBB', '9000', 'first'],
      ['00DC004A04CCCCCCCC', '9000', 'next (2)'],
      ['00DC004B04DDDDDDDD', '9000', 'previous (1)'],
      ['00DC004904EEEEEEEE', '9000', 'last (3)'],
    ]);
    expect([1, 2, 3].map((n) => hex(send(card, `00B20${n}4C00`).data))).toEqual(['DDDDDDDD', 'CCCCCCCC', 'EEEEEEEE']);
    expect(sw(card, '00DC074C0411111111')).toBe('6A83');
    // P2 mode 000 with P1 != 0 is by identifier: the first record with that tag, kept by the data.
    expectTranscript(card, [
      ['00DC014804AAAAAAAA', '6A80', 'the data must start with tag 01'],
      ['00DC774804770000AA', '6A83', 'no record with tag 77'],
      ['00DCEE4804EE1122EE', '9000', 'record 3 holds EEEEEEEE'],
    ]);
    expect([1, 2, 3].map((n) => hex(send(card, `00B20${n}4C00`).data))).toEqual(['DDDDDDDD', 'CCCCCCCC', 'EE1122EE']);
    expect(sw(card, '00DC014904AAAAAAAA')).toBe('6A86'); // last with P1 != 0
  });

  it('bank record file is never writable', () => {
    const card = testCard();
    selectBank(card);
    expect(sw(card, apdu('00DC010C', fromHex('7000')))).toBe('6982');
  });
});
