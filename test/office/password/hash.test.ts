import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_PARAMS,
  checkScryptParams,
  hashQueryPassword,
  needsRehash,
  queryPasswordMatches,
  verifierParams,
} from '../../../src/office/password/hash.js';
import { DEFAULT_QUERY_PASSWORD_RULES, queryPasswordRules } from '../../../src/office/password/rules.js';
import { FAST_HASH } from './fast-hash.js';

describe('query password verifiers', () => {
  it("default to scrypt N=2^17, r=8, p=1 and the application PIN's try limit", async () => {
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ ln: 17, r: 8, p: 1 });
    expect(DEFAULT_QUERY_PASSWORD_RULES).toMatchObject({ tryLimit: 3, resetsPerDay: 3 });
    const v = await hashQueryPassword(Buffer.from('Sesame2025'));
    expect(v).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);
    expect(await queryPasswordMatches(Buffer.from('Sesame2025'), v)).toBe(true);
  });

  it('match only the password they were made from, salted afresh each time', async () => {
    const a = await hashQueryPassword(Buffer.from('Sesame2025'), FAST_HASH);
    const b = await hashQueryPassword(Buffer.from('Sesame2025'), FAST_HASH);
    expect(a).not.toBe(b);
    expect(verifierParams(a)).toEqual(FAST_HASH);
    for (const wrong of ['sesame2025', 'Sesame202', 'Sesame20255', ''])
      expect(await queryPasswordMatches(Buffer.from(wrong), a)).toBe(false);
    expect(await queryPasswordMatches(Buffer.from('Sesame2025'), b)).toBe(true);
    expect(needsRehash(a, FAST_HASH)).toBe(false);
    expect(needsRehash(a, DEFAULT_SCRYPT_PARAMS)).toBe(true);
    expect(a).not.toContain(Buffer.from('Sesame2025').toString('base64').replace(/=+$/, ''));
  });

  it('refuse damaged verifiers and parameters out of range', async () => {
    await expect(queryPasswordMatches(Buffer.from('x'), 'Sesame2025')).rejects.toMatchObject({
      code: 'REGISTRY_STORAGE',
    });
    await expect(
      queryPasswordMatches(
        Buffer.from('x'),
        '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      ),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => checkScryptParams({ ln: 9, r: 8, p: 1 })).toThrow(/ln must be 10..20/);
    expect(() => queryPasswordRules({ tryLimit: 16 })).toThrow(/tryLimit must be an integer from 1 to 15/);
    expect(() => queryPasswordRules({ resetsPerDay: 0 })).toThrow(/resetsPerDay/);
  });
});
