import { describe as group, expect, it } from 'vitest';
import { ApduEncodeError, decodeCla, withChannel } from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

// Values that are no class byte at all, and logical channels outside 0..19.

const NOT_A_CLASS = { proprietary: false, channel: 0, secureMessaging: 'none', chaining: false, valid: false };

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
