import { ApduEncodeError } from './errors.js';

/**
 * The class bytes the SSC uses (card profile §4): interindustry 00, with secure messaging 04 (a
 * MAC4 over the header), proprietary 80 (CHANGE/RELOAD PIN, the bank's GET DATA) and proprietary
 * with a MAC 84 (PIN UNBLOCK, the lifecycle commands).
 */
export const CLA = Object.freeze({
  ISO: 0x00,
  SECURE_MESSAGING: 0x04,
  PROPRIETARY: 0x80,
  PROPRIETARY_SM: 0x84,
});

export type SecureMessaging = 'none' | 'proprietary' | 'header-not-authenticated' | 'header-authenticated';

export interface ClaInfo {
  proprietary: boolean;
  channel: number;
  secureMessaging: SecureMessaging;
  chaining: boolean;
  valid: boolean;
}

const FIRST_SM: readonly SecureMessaging[] = [
  'none',
  'proprietary',
  'header-not-authenticated',
  'header-authenticated',
];

/** First interindustry layout (000x xxxx): b5 chaining, b4-b3 SM, b2-b1 channel 0..3. */
function decodeFirst(cla: number, proprietary: boolean): ClaInfo {
  return {
    proprietary,
    channel: cla & 0x03,
    secureMessaging: FIRST_SM[(cla >> 2) & 0x03] as SecureMessaging,
    chaining: (cla & 0x10) !== 0,
    valid: true,
  };
}

/** Further interindustry layout (01xx xxxx): b6 SM (header not authenticated), b5 chaining, b4-b1 channel 4..19. */
function decodeFurther(cla: number, proprietary: boolean): ClaInfo {
  return {
    proprietary,
    channel: 4 + (cla & 0x0f),
    secureMessaging: (cla & 0x20) !== 0 ? 'header-not-authenticated' : 'none',
    chaining: (cla & 0x10) !== 0,
    valid: true,
  };
}

/**
 * Decodes a CLA byte per ISO 7816-4 §5.4.1.
 *
 * ISO leaves the structure of proprietary classes (b8=1) to the application. Project choice:
 * a proprietary CLA is read with the interindustry layout of its low bits (first layout when
 * b7=0, further layout when b7=1), which is how the SSC uses 0x80 (plain) and 0x84 (SM with
 * a MAC, b4-b3 = 01 'proprietary'), mirroring 0x00 and 0x04. 0xFF is invalid (reserved for PPS);
 * 0x20-0x3F are reserved for future use and reported invalid.
 */
export function decodeCla(cla: number): ClaInfo {
  if (!Number.isInteger(cla) || cla < 0 || cla > 0xff || cla === 0xff) {
    return { proprietary: cla === 0xff, channel: 0, secureMessaging: 'none', chaining: false, valid: false };
  }
  const proprietary = (cla & 0x80) !== 0;
  if ((cla & 0x40) !== 0) return decodeFurther(cla, proprietary);
  if (!proprietary && (cla & 0x20) !== 0) {
    return { proprietary: false, channel: 0, secureMessaging: 'none', chaining: false, valid: false };
  }
  return decodeFirst(cla, proprietary);
}

/**
 * Returns `cla` with its logical channel set to `channel` (0..19), keeping the class type,
 * chaining and secure messaging. Channels 0..3 use the first layout, 4..19 the further layout;
 * SM indications the target layout cannot express are an ApduEncodeError.
 */
export function withChannel(cla: number, channel: number): number {
  if (!Number.isInteger(channel) || channel < 0 || channel > 19) {
    throw new ApduEncodeError(`logical channel must be 0..19, got ${String(channel)}`);
  }
  const info = decodeCla(cla);
  if (!info.valid) {
    throw new ApduEncodeError(`CLA ${String(cla)} is not a valid class byte`);
  }
  const base = info.proprietary ? 0x80 : 0x00;
  const chaining = info.chaining ? 0x10 : 0x00;
  if (channel <= 3) {
    const sm = FIRST_SM.indexOf(info.secureMessaging);
    return base | chaining | (sm << 2) | channel;
  }
  if (info.secureMessaging === 'proprietary' || info.secureMessaging === 'header-authenticated') {
    throw new ApduEncodeError(
      `secure messaging '${info.secureMessaging}' cannot be expressed on logical channel ${channel} (4..19)`,
    );
  }
  const sm = info.secureMessaging === 'header-not-authenticated' ? 0x20 : 0x00;
  const out = base | 0x40 | sm | chaining | (channel - 4);
  if (out === 0xff) {
    throw new ApduEncodeError('a proprietary class with SM and chaining on channel 19 would be FF, which is invalid');
  }
  return out;
}
