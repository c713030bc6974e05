import { SscardError } from '../apdu/index.js';

/*
 * The card's issuer key set: the SSSE keys, the key identifiers a terminal names in EXTERNAL
 * AUTHENTICATE `00 82 00 kid` and INTERNAL AUTHENTICATE, and the bank application's PIN keys.
 * `application` says which application (or DF) holds the key.
 *
 * Key numbers: public SSC reader programs (POS terminals, issuance printers, 3rd-generation
 * readers) authenticate with `0A` for RKSSSE, `04` before UPDATE RECORD of EF05/EF06 (issuance
 * and data correction) and `0D` before reading EF0D (card profile §7), so the card answers to
 * those numbers. The other numbers are project choices kept clear of them (the internal
 * authentication key moved from 04 to 09 to make room for the issuance key); the bank keys have
 * numbers of their own (not reused from the SSSE) so that no lookup by number can confuse the two
 * applications. A number the card holds no key for answers 6A88.
 */
export const SSC_KEYS = {
  /**
   * RKSSSE: external authentication before reading EF06 (cardholder data) on spec 3.00 cards, and
   * (or the application PIN) before the DF01..DF04 files and the DF02 work record. Readers send 0A.
   */
  RKSSSE: { kid: 0x0a, usage: 'external-auth', application: 'ssse' },
  /**
   * Issuance key: external authentication before UPDATE RECORD of EF05 / EF06 (issuance, and the
   * correction of a card whose stored data is wrong), plain or with secure messaging (a MAC made
   * with the same key). Readers and issuance printers send 04.
   */
  ISSUANCE: { kid: 0x04, usage: 'external-auth', application: 'ssse' },
  /** EF0D key (spec 3.00 cards): external authentication before reading SSSE/EF0D. Readers send 0D. */
  RKEF0D: { kid: 0x0d, usage: 'external-auth', application: 'ssse' },
  /** UKSSSE: external authentication before updating SSSE data (DF02 work record, DF03 insurance). */
  UKSSSE: { kid: 0x02, usage: 'external-auth', application: 'ssse' },
  /**
   * Health key: external authentication before writing the DF10 health extension, and the MAC key
   * of those writes (secure messaging, `04 DC` / `04 E2`). Project choice: one key, diversified
   * from the HEALTH master like the others, for the one right "write health data", so a hospital's
   * secure module holds a single master key for it.
   */
  HEALTH: { kid: 0x03, usage: 'external-auth', application: 'ssse' },
  /**
   * Internal authentication key (card authenticity): INTERNAL AUTHENTICATE `00 88 00 00` (P2 00,
   * the card's internal key) or `00 88 00 09`.
   */
  IAK: { kid: 0x09, usage: 'internal-auth', application: 'ssse' },
  /** PIN reload key: MAC of RELOAD PIN `80 5E 00 00`. */
  PIN_RELOAD: { kid: 0x05, usage: 'reload', application: 'ssse' },
  /** PIN unblock key: enciphered PIN block and MAC of PIN UNBLOCK `84 24 00 00`. */
  PIN_UNBLOCK: { kid: 0x06, usage: 'unblock', application: 'ssse' },
  /**
   * Application control (maintenance) key: MAC of the lifecycle commands APPLICATION BLOCK
   * `84 1E`, APPLICATION UNBLOCK `84 18` and CARD BLOCK `84 16`. Project choice: one key for
   * the three, diversified from its own issuer master key like the others.
   */
  APP_CONTROL: { kid: 0x07, usage: 'lifecycle', application: 'ssse' },
  /**
   * PIN change key: enciphers the current and new PIN and MACs the issuer's PIN change script
   * `84 5E 01 00` (a PIN change given to the hotline, applied by the next online terminal).
   * Project choice: a key of its own, not the unblock key, so the office's secure module that
   * makes these scripts cannot set a PIN without the holder's current one.
   */
  PIN_CHANGE: { kid: 0x08, usage: 'change', application: 'ssse' },
  /**
   * Medical insurance key, held by DF04: external authentication (with the application PIN)
   * before reading DF04/EF06 (card profile §7). Project choice: number 0E, its own master key.
   */
  DF04_KEY: { kid: 0x0e, usage: 'external-auth', application: 'df04' },
  /**
   * Bank PIN reload key (financial cards): MAC of RELOAD PIN `80 5E 00 80` at a bank branch.
   * Project choice: the card profile names no bank keys; these two mirror the SSSE's PIN keys and
   * are diversified from their own issuer master keys, with the card identifier, like the others.
   */
  BANK_PIN_RELOAD: { kid: 0x11, usage: 'reload', application: 'bank' },
  /**
   * Bank PIN unblock key: the enciphered PIN block (the holder's current bank PIN) and the MAC
   * of PIN UNBLOCK `84 24 00 80`.
   */
  BANK_PIN_UNBLOCK: { kid: 0x12, usage: 'unblock', application: 'bank' },
  /**
   * Bank application control key: MAC of APPLICATION BLOCK `84 1E` and APPLICATION UNBLOCK `84 18`
   * sent to the bank application. Project choice: the bank application has its own lifecycle key
   * (the SSSE's APP_CONTROL is not in its path), so a bank branch activates a new card's bank
   * application (personalized blocked until then) with APPLICATION UNBLOCK under this key.
   */
  BANK_APP_CONTROL: { kid: 0x13, usage: 'lifecycle', application: 'bank' },
} as const;

export type SscKeyName = keyof typeof SSC_KEYS;
export const SSC_KEY_NAMES = Object.keys(SSC_KEYS) as SscKeyName[];

/** Where a key lives: the social security environment, its DF04, or the bank application. */
export type SscKeyApplication = (typeof SSC_KEYS)[SscKeyName]['application'];

/** The names of the keys `application` holds, in SSC_KEYS order. */
export function sscKeyNamesOf(application: SscKeyApplication): SscKeyName[] {
  return SSC_KEY_NAMES.filter((name) => SSC_KEYS[name].application === application);
}

const TEST_KEY_ROLES: Readonly<Record<SscKeyName, string>> = {
  RKSSSE: 'RKSSSE',
  ISSUANCE: 'ISSUANCE',
  RKEF0D: 'RKEF0D',
  UKSSSE: 'UKSSSE',
  HEALTH: 'HEALTH',
  IAK: 'IAK',
  PIN_RELOAD: 'RELOAD',
  PIN_UNBLOCK: 'UNBLOCK',
  APP_CONTROL: 'APPCTRL',
  PIN_CHANGE: 'CHANGE',
  DF04_KEY: 'DF04',
  BANK_PIN_RELOAD: 'BKRELOAD',
  BANK_PIN_UNBLOCK: 'BKUNBLCK',
  BANK_APP_CONTROL: 'BKAPPCTL',
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
