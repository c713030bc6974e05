import { describe as group, expect, it } from 'vitest';
import { ApduEncodeError, decodeCla, withChannel } from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

/** What decodeCla says of 00: a valid interindustry class on channel 0, without SM or chaining. */
const PLAIN = { proprietary: false, channel: 0, secureMessaging: 'none', chaining: false, valid: true };

group('decodeCla', () => {
  it('first interindustry classes 00-1F', () => {
    expect(decodeCla(0x00)).toEqual(PLAIN);
    expect(decodeCla(0x03)).toMatchObject({ channel: 3 });
    expect(decodeCla(0x04)).toMatchObject({ secureMessaging: 'proprietary', channel: 0 });
    expect(decodeCla(0x08)).toMatchObject({ secureMessaging: 'header-not-authenticated' });
    expect(decodeCla(0x0c)).toMatchObject({ secureMessaging: 'header-authenticated' });
    expect(decodeCla(0x10)).toMatchObject({ chaining: true, channel: 0, valid: true });
    expect(decodeCla(0x1d)).toMatchObject({ chaining: true, channel: 1, secureMessaging: 'header-authenticated' });
  });

  it('further interindustry classes 40-7F address channels 4-19', () => {
    expect(decodeCla(0x40)).toMatchObject({ proprietary: false, channel: 4, secureMessaging: 'none', valid: true });
    expect(decodeCla(0x4f)).toMatchObject({ channel: 19 });
    expect(decodeCla(0x60)).toMatchObject({ channel: 4, secureMessaging: 'header-not-authenticated' });
    expect(decodeCla(0x71)).toMatchObject({ channel: 5, chaining: true });
  });

  it('SSC proprietary classes 80 and 84', () => {
    expect(decodeCla(0x80)).toEqual({ ...PLAIN, proprietary: true });
    expect(decodeCla(0x84)).toEqual({ ...PLAIN, proprietary: true, secureMessaging: 'proprietary' });
    expect(decodeCla(0xfe)).toMatchObject({ proprietary: true, valid: true });
  });

  it('FF and the reserved 20-3F are invalid', () => {
    expect(decodeCla(0xff).valid).toBe(false);
    expect(decodeCla(0x20).valid).toBe(false);
    expect(decodeCla(0x3f).valid).toBe(false);
    expect(decodeCla(256).valid).toBe(false);
    expect(decodeCla(-1).valid).toBe(false);
  });

  it('classifies all 256 values consistently', () => {
    for (let cla = 0; cla < 256; cla++) {
      const info = decodeCla(cla);
      expect(info.proprietary).toBe(cla >= 0x80);
      expect(info.valid).toBe(cla !== 0xff && !(cla >= 0x20 && cla <= 0x3f));
      if (info.valid) expect(info.channel).toBeLessThanOrEqual(19);
    }
  });
});

group('withChannel', () => {
  it('moves commands between logical channels', () => {
    expect(withChannel(0x00, 1)).toBe(0x01);
    expect(withChannel(0x00, 4)).toBe(0x40);
    expect(withChannel(0x00, 19)).toBe(0x4f);
    expect(withChannel(0x43, 2)).toBe(0x02);
    expect(withChannel(0x80, 3)).toBe(0x83);
    expect(withChannel(0x84, 2)).toBe(0x86);
    expect(withChannel(0x08, 5)).toBe(0x61);
    expect(withChannel(0x10, 4)).toBe(0x50);
  });

  it('rejects what the target layout cannot say', () => {
    expectThrowsClass(() => withChannel(0x04, 4), ApduEncodeError, /cannot be expressed on logical channel 4/);
    expectThrowsClass(() => withChannel(0x0c, 10), ApduEncodeError, /header-authenticated/);
    expectThrowsClass(() => withChannel(0x00, 20), ApduEncodeError, /0\.\.19/);
    expectThrowsClass(() => withChannel(0xff, 0), ApduEncodeError, /not a valid class/);
    expectThrowsClass(() => withChannel(0xf8 /* proprietary, SM, chaining, channel 12 */, 19), ApduEncodeError, /FF/);
  });

  it('keeps class type, chaining and SM for every expressible combination', () => {
    let checked = 0;
    for (let cla = 0; cla < 256; cla++) {
      const before = decodeCla(cla);
      if (!before.valid) continue;
      for (let ch = 0; ch <= 19; ch++) {
        const smFits =
          ch <= 3 || before.secureMessaging === 'none' || before.secureMessaging === 'header-not-authenticated';
        const wouldBeFF =
          before.proprietary && ch === 19 && before.chaining && before.secureMessaging === 'header-not-authenticated';
        const expressible = smFits && !wouldBeFF;
        if (!expressible) {
          expect(() => withChannel(cla, ch)).toThrow(ApduEncodeError);
          continue;
        }
        const after = decodeCla(withChannel(cla, ch));
        expect(after).toEqual({ ...before, channel: ch });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3000);
  });
});

// Values that are no class byte at all, and logical channels outside 0..19.

const NOT_A_CLASS = { ...PLAIN, valid: false };

group('CLA values that are not a byte', () => {
  it.each([-1, 256, 1.5, Number.NaN])('decodeCla(%s) is invalid and not proprietary', (cla) => {
    expect(decodeCla(cla)).toEqual(NOT_A_CLASS);
  });

  it('FF is invalid but proprietary; 1F and 40 are the last first-layout and the first further-layout class', () => {
    expect(decodeCla(0xff)).toEqual({ ...NOT_A_CLASS, proprietary: true });
    expect(decodeCla(0x1f)).toMatchObject({ valid: true, channel: 3, chaining: true });
    expect(decodeCla(0x20)).toEqual(NOT_A_CLASS);
  });

  it.each([-1, 1.5, 20])('withChannel refuses channel %s', (channel) => {
    expectThrowsClass(() => withChannel(0x00, channel), ApduEncodeError, /logical channel must be 0\.\.19/);
  });

  it('withChannel refuses a class byte that is not one', () => {
    expectThrowsClass(() => withChannel(0x20, 1), ApduEncodeError, /CLA 32 is not a valid class byte/);
  });
});
