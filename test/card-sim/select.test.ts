import { describe, expect, it } from 'vitest';
import { parseBerTlv, findTlv, toHex } from '../../src/apdu/index.js';
import { expectTranscript, send, sw } from '../support/card-exchange.js';
import { FID, hex, selectSsse, ssseAfter, ssseCard, testCard } from './fixtures.js';

const SSSE_FCI_3DES = '6F19840F7378312E73682EC9E7BBE1B1A3D5CFA5069F0C03860101';

describe('SELECT', () => {
  it('by DF name returns the SSSE FCI 6F { 84 name, A5 { 9F0C 03 86 01 01 } } on a 3DES card', () => {
    const card = testCard();
    const r = selectSsse(card);
    expect(r.sw).toBe(0x9000);
    expect(hex(r.data)).toBe(SSSE_FCI_3DES);
  });

  it('an SM4 card announces algorithm 03', () => {
    const card = testCard({ algorithm: 'sm4' });
    const fci = parseBerTlv(selectSsse(card).data);
    expect(toHex(findTlv(fci, 0x9f0c)?.value ?? new Uint8Array(0))).toBe('860103');
  });

  it('selects the MF by 3F00, by empty P1=00, and by path', () => {
    const card = ssseCard();
    expect(hex(send(card, '00A40000023F0000').data)).toBe('6F0483023F00');
    selectSsse(card);
    expect(sw(card, '00A40000')).toBe('9000');
    expect(card.securityState().currentPath).toEqual([]);
  });

  it('P1=01 child DF, P1=02 EF, P1=03 parent, P1=08 path from MF, P1=09 path from current DF', () => {
    const card = ssseCard();
    expect(sw(card, '00A4010C02DF02')).toBe('9000');
    expect(card.securityState().currentPath).toEqual([FID.SSSE, FID.DF02]);
    expect(sw(card, '00A4010C02EF07')).toBe('6A82'); // an EF is not a child DF
    expect(sw(card, '00A4020C02EF07')).toBe('9000');
    expect(card.securityState().currentEf).toBe(FID.EF07);
    expect(sw(card, '00A4030C')).toBe('9000');
    expect(card.securityState().currentPath).toEqual([FID.SSSE]);
    expect(sw(card, '00A4080C065353DF02EF07')).toBe('9000');
    expect(card.securityState()).toMatchObject({ currentPath: [FID.SSSE, FID.DF02], currentEf: FID.EF07 });
    expect(sw(card, '00A4080C083F005353DF10EF07')).toBe('9000');
    expect(card.securityState().currentPath).toEqual([FID.SSSE, FID.DF10]);
    expect(sw(card, '00A4030C')).toBe('9000');
    expect(sw(card, '00A4090C04DF02EF07')).toBe('9000');
    expect(card.securityState().currentPath).toEqual([FID.SSSE, FID.DF02]);
    expect(sw(card, '00A4080C045353FFFF')).toBe('6A82');
  });

  it('P1=00 finds children, the parent and siblings of the current DF', () => {
    const card = testCard();
    expectTranscript(card, [
      ['00A4000C025353', '9000'],
      ['00A4000C02DF02', '9000'],
      ['00A4000C02DF10', '9000', 'sibling'],
    ]);
    expect(card.securityState().currentPath).toEqual([FID.SSSE, FID.DF10]);
    expect(sw(card, '00A4000C025353')).toBe('9000'); // parent
    expect(card.securityState().currentPath).toEqual([FID.SSSE]);
  });

  it('P2=04 returns the FCP with descriptor, FID, size and SFI; P2=0C returns nothing', () => {
    const card = ssseCard();
    send(card, '00A4000C02DF02');
    const fcp = send(card, '00A4020402EF0700');
    expect(fcp.sw).toBe(0x9000);
    // 82 cyclic, coding 21, record length 0055, 4 records; 83 EF07; 80 size 4*85; 88 SFI 7; 8A 05
    expect(hex(fcp.data)).toBe('621582050621005504' + '8302EF07' + '80020154' + '880138' + '8A0105');
    expect(send(card, '00A4020C02EF07').data.length).toBe(0);
  });

  it('selects by a partial DF name', () => {
    const card = testCard();
    expect(hex(send(card, '00A40400077378312E73682E00').data)).toBe(SSSE_FCI_3DES);
  });

  it('an EF answers a bare 9000 to SELECT by FID without Le, on T=1 and on T=0 (no FCI, no 61xx)', () => {
    for (const transmission of ['T=1', 'T=0'] as const) {
      const card = testCard({ transmission });
      expect(sw(card, '00A4000C025353')).toBe('9000');
      for (const apdu of ['00A4000002EF05', '00A4020002EF06', '00A4020402EF05']) {
        const r = send(card, apdu);
        expect([r.sw, r.data.length]).toEqual([0x9000, 0]);
      }
      expect(card.securityState().currentEf).toBe(FID.EF05);
    }
  });

  it('an explicit request with Le still gets the EF FCI / FCP (61xx on T=0)', () => {
    const t1 = testCard();
    send(t1, '00A4000C025353');
    expect(hex(send(t1, '00A4000002EF0500').data)).toMatch(/^6F/);
    expect(hex(send(t1, '00A4020402EF0500').data)).toMatch(/^62/);
    const t0 = testCard({ transmission: 'T=0' });
    send(t0, '00A4000C025353');
    expect(sw(t0, '00A4000002EF0500')).toMatch(/^61/);
  });

  it('a DF or application keeps its FCI: with Le on both protocols; without Le 61xx on T=0, nothing on T=1', () => {
    const t1 = testCard();
    const bare = send(t1, '00A40400077378312E73682E');
    expect([bare.sw, bare.data.length]).toEqual([0x9000, 0]);
    expect(t1.securityState().currentPath).toEqual([FID.SSSE]);
    expect(hex(send(t1, '00A40400077378312E73682E00').data)).toBe(SSSE_FCI_3DES);
    const t0 = testCard({ transmission: 'T=0' });
    expect(sw(t0, '00A40400077378312E73682E')).toBe('611B');
    expect(hex(send(t0, '00C000001B').data)).toBe(SSSE_FCI_3DES);
    expect(sw(t0, '00A4000002DF02')).toMatch(/^61/);
  });

  it('answers 6A82 / 6A86 / 6700 and keeps the current selection after a failure', () => {
    const card = ssseAfter([
      ['00A4000C021234', '6A82'],
      ['00A40400051122334455', '6A82'],
      ['00A4000102EF05', '6A86'],
      ['00A4070C02EF05', '6A86'],
      ['00A4000C03EF0501', '6700'],
      ['00A4030C02EF05', '6700'],
      ['00A4080C03EF0501', '6700'],
    ]);
    expect(card.securityState().currentPath).toEqual([FID.SSSE]);
    expect(sw(card, '00B2012C00')).toBe('9000');
    send(card, '00A40000023F00');
    expect(sw(card, '00A4030C')).toBe('6A82'); // the MF has no parent
  });
});
