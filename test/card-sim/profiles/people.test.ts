import { describe as group, expect, it } from 'vitest';
import { SAMPLE_PEOPLE, samplePerson, validatePersonalization } from '../../../src/card-sim/index.js';
import { encodeGbk } from '../../../src/apdu/index.js';
import { citizenIdBirthDate, citizenIdSex, isRegionCode, isValidCitizenId } from '../../../src/records/index.js';

group('sample people', () => {
  it('has at least three people, all valid personalization documents', () => {
    expect(SAMPLE_PEOPLE.length).toBeGreaterThanOrEqual(3);
    for (const p of SAMPLE_PEOPLE) expect(() => validatePersonalization(p.document), p.key).not.toThrow();
  });

  it('keeps sex and birth date consistent with each ID number', () => {
    for (const { document: d } of SAMPLE_PEOPLE) {
      expect(isValidCitizenId(d.person.idNumber)).toBe(true);
      expect(citizenIdSex(d.person.idNumber)).toBe(d.person.sex);
      expect(citizenIdBirthDate(d.person.idNumber)).toBe(d.person.birthDate);
      expect(isRegionCode(d.card.identifier.slice(0, 6))).toBe(true);
      // 16 digits (earlier cards), or the 32 characters real cards carry: region, RID, serial, F padding.
      expect(d.card.identifier).toMatch(/^([0-9]{16}|[0-9]{6}D156000005[0-9]+F*)$/);
    }
    expect(SAMPLE_PEOPLE.some((p) => p.document.card.identifier.length === 32)).toBe(true);
  });

  it('covers both spec versions, financial cards, a rare character and a name extension', () => {
    const docs = SAMPLE_PEOPLE.map((p) => p.document);
    expect(new Set(docs.map((d) => d.specVersion))).toEqual(new Set(['2.00', '3.00']));
    expect(docs.some((d) => d.financial)).toBe(true);
    expect(docs.some((d) => d.person.name.includes('䶮'))).toBe(true);
    expect(docs.some((d) => encodeGbk(d.person.name).length > 30)).toBe(true);
    expect(docs.some((d) => d.health?.contraindications?.some((c) => c.substance === '青霉素'))).toBe(true);
  });

  it("hands out copies, so a test cannot spoil another test's sample", () => {
    const a = samplePerson('zhang-wei');
    a.person.name = '改名';
    expect(samplePerson('zhang-wei').person.name).toBe('张伟');
    expect(() => samplePerson('nobody')).toThrow(/no sample person "nobody"; known: zhang-wei/);
  });
});
