import { SscardError } from '../apdu/index.js';

/*
 * The SSSE key set and the key identifiers a terminal names in EXTERNAL AUTHENTICATE `00 82 00 kid`
 * and INTERNAL AUTHENTICATE. Project choice: the card profile fixes the key roles, not their numbers.
 */
export const SSC_KEYS = {
  /** RKSSSE: external authentication before reading EF06 (cardholder data) on spec 3.00 cards. */
  RKSSSE: { kid: 0x01, usage: 'external-auth' },
  /** UKSSSE: external authentication before updating SSSE data (DF02 work record, DF03 insurance). */
  UKSSSE: { kid: 0x02, usage: 'external-auth' },
  /**
   * Health key: external authentication before writing the DF10 health extension, and the MAC key
   * of those writes (secure messaging, `04 DC` / `04 E2`). Project choice: one key, diversified
   * from the HEALTH master like the others, for the one right "write health data", so a hospital's
   * secure module holds a single master key for it.
   */
  HEALTH: { kid: 0x03, usage: 'external-auth' },
  /** Internal authentication key (card authenticity). */
  IAK: { kid: 0x04, usage: 'internal-auth' },
  /** PIN reload key: MAC of RELOAD PIN `80 5E 00 00`. */
  PIN_RELOAD: { kid: 0x05, usage: 'reload' },
  /** PIN unblock key: enciphered PIN block and MAC of PIN UNBLOCK `84 24 00 00`. */
  PIN_UNBLOCK: { kid: 0x06, usage: 'unblock' },
  /**
   * Application control (maintenance) key: MAC of the lifecycle commands APPLICATION BLOCK
   * `84 1E`, APPLICATION UNBLOCK `84 18` and CARD BLOCK `84 16`. Project choice: one key for
   * the three, diversified from its own issuer master key like the others.
   */
  APP_CONTROL: { kid: 0x07, usage: 'lifecycle' },
} as const;

export type SscKeyName = keyof typeof SSC_KEYS;
export const SSC_KEY_NAMES = Object.keys(SSC_KEYS) as SscKeyName[];

const TEST_KEY_ROLES: Readonly<Record<SscKeyName, string>> = {
  RKSSSE: 'RKSSSE',
  UKSSSE: 'UKSSSE',
  HEALTH: 'HEALTH',
  IAK: 'IAK',
  PIN_RELOAD: 'RELOAD',
  PIN_UNBLOCK: 'UNBLOCK',
  APP_CONTROL: 'APPCTRL',
};

/**
 * TEST-ONLY issuer master key `name`, published with the project so the simulator, examples and
 * tests agree. Each is the ASCII text "TEST MK <role>" padded with '-' to 16 bytes, which makes an
 * image or trace holding one recognisable at a glance. Never use them for a real card. Returns a
 * fresh copy each call, so no caller can alter another's key.
 */
export function issuerTestMasterKey(name: SscKeyName): Uint8Array {
  const role = TEST_KEY_ROLES[name];
  if (role === undefined) throw new SscardError('KEY_UNKNOWN', `no SSC key named ${JSON.stringify(name)}`);
  return new Uint8Array(Buffer.from(`TEST MK ${role}`.padEnd(16, '-'), 'ascii'));
}
