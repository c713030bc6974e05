import { SscardError } from '../apdu/index.js';

/*
 * Checks of the identifiers a card carries: the citizen ID number (GB 11643, ISO 7064 MOD 11-2
 * check character), region codes (GB/T 2260) and the bank PAN (Luhn).
 */

/** GB 11643 weights of the first 17 digits: 2^(17-i) mod 11 (ISO 7064 MOD 11-2). */
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CHECK_CHARS = '10X98765432';

/**
 * GB 11643 check character ('0'..'9' or 'X') of the first 17 digits of a citizen ID number
 * (ISO 7064 MOD 11-2): sum of digit x weight, mod 11, mapped through "10X98765432".
 */
export function citizenIdCheckDigit(first17: string): string {
  if (typeof first17 !== 'string' || !/^[0-9]{17}$/.test(first17)) {
    throw new SscardError('INVALID_ARGUMENT', 'citizenIdCheckDigit needs exactly 17 digits');
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 0x30) * (ID_WEIGHTS[i] as number);
  return ID_CHECK_CHARS[sum % 11] as string;
}

/** True for an 18-character citizen ID: 17 digits, a right check character, a real birth date. */
export function isValidCitizenId(id: string): boolean {
  return citizenIdProblem(id) === undefined;
}

/** Why `id` is not a valid citizen ID number, or undefined when it is. Used for precise errors. */
export function citizenIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'must be a string';
  if (id.length !== 18) return `must be 18 characters, got ${id.length}`;
  if (!/^[0-9]{17}[0-9X]$/.test(id)) return "must be 17 digits followed by a digit or 'X'";
  if (!isProvinceCode(id.slice(0, 2))) return `region code ${id.slice(0, 6)} has no province ${id.slice(0, 2)}`;
  if (!isCompactDate(id.slice(6, 14))) return `birth date ${id.slice(6, 14)} is not a calendar date`;
  const expected = citizenIdCheckDigit(id.slice(0, 17));
  if (id[17] !== expected) return `check digit should be ${expected}`;
  return undefined;
}

/** Birth date 'YYYY-MM-DD' held in a citizen ID (digits 7..14). */
export function citizenIdBirthDate(id: string): string {
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

/** Sex held in a citizen ID: the 17th digit is odd for men ('1') and even for women ('2'). */
export function citizenIdSex(id: string): '1' | '2' {
  return Number(id[16]) % 2 === 1 ? '1' : '2';
}

/** A citizen ID from region code, birth date ('YYYY-MM-DD') and 3-digit sequence, check digit appended. */
export function citizenId(region: string, birthDate: string, sequence: string): string {
  const first17 = region + birthDate.replaceAll('-', '') + sequence;
  return first17 + citizenIdCheckDigit(first17);
}

/** Province-level codes of GB/T 2260 (first two digits of a region code). */
const PROVINCES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
]);

export function isProvinceCode(two: string): boolean {
  return PROVINCES.has(two);
}

/** Six digits whose first two name a province (GB/T 2260 administrative division code). */
export function isRegionCode(code: unknown): boolean {
  return typeof code === 'string' && /^[0-9]{6}$/.test(code) && isProvinceCode(code.slice(0, 2));
}

function isCompactDate(yyyymmdd: string): boolean {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] as number;
  return d <= days;
}

/** Luhn check digit of a card number's leading digits (the PAN of the bank application). */
export function luhnCheckDigit(digits: string): string {
  if (!/^[0-9]+$/.test(digits)) throw new SscardError('INVALID_ARGUMENT', 'luhnCheckDigit needs digits');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 0x30;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function isValidPan(pan: string): boolean {
  return /^[0-9]{13,19}$/.test(pan) && luhnCheckDigit(pan.slice(0, -1)) === pan.slice(-1);
}
