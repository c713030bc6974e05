import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { findDrugConflicts, maskIdNumber } from '../../src/terminal/index.js';

describe('maskIdNumber', () => {
  it('keeps the region code and the last 4 characters of an 18-character ID number', () => {
    expect(maskIdNumber('11010519850312031X')).toBe('110105********031X');
  });

  it('masks a 15-character (first generation) number the same way', () => {
    expect(maskIdNumber('110105850312031')).toBe('110105*****2031');
  });

  it('masks short values whole', () => {
    expect(maskIdNumber('1234567890')).toBe('**********');
    expect(maskIdNumber('')).toBe('');
  });
});

describe('findDrugConflicts', () => {
  const penicillin = { substance: '青霉素', reaction: '过敏性休克' };
  const sulfa = { substance: '磺胺类药物', reaction: '全身皮疹伴瘙痒' };

  it('flags a drug whose ingredient class contains the substance on the card', () => {
    const conflicts = findDrugConflicts(
      [penicillin],
      [
        { drug: '布洛芬缓释胶囊', ingredients: ['布洛芬', '非甾体抗炎药'] },
        { drug: '阿莫西林胶囊', ingredients: ['阿莫西林', '青霉素类抗生素'] },
      ],
    );
    expect(conflicts).toEqual([
      { drug: '阿莫西林胶囊', ingredient: '青霉素类抗生素', substance: '青霉素', reaction: '过敏性休克' },
    ]);
  });

  it('flags a substance on the card that contains the ingredient name (a class on the card)', () => {
    const conflicts = findDrugConflicts(
      [sulfa],
      [{ drug: '复方磺胺甲噁唑片', ingredients: ['磺胺甲噁唑', '甲氧苄啶', '磺胺类'] }],
    );
    expect(conflicts.map((c) => c.ingredient)).toEqual(['磺胺类']);
  });

  it('does not guess a class the drug table does not list', () => {
    expect(findDrugConflicts([penicillin], [{ drug: '阿莫西林胶囊', ingredients: ['阿莫西林'] }])).toEqual([]);
  });

  it('ignores white space, full-width forms and case', () => {
    const conflicts = findDrugConflicts(
      [{ substance: 'Aspirin ', reaction: 'GI bleeding' }],
      [{ drug: 'cardio', ingredients: ['ＡＳＰＩＲＩＮ 100mg'] }],
    );
    expect(conflicts).toHaveLength(1);
  });

  it('never matches on a single character', () => {
    expect(findDrugConflicts([{ substance: '铁', reaction: 'x' }], [{ drug: 'd', ingredients: ['硫酸亚铁'] }])).toEqual(
      [],
    );
    expect(findDrugConflicts([penicillin], [{ drug: 'd', ingredients: ['素'] }])).toEqual([]);
  });

  it('reports every (drug, contraindication) pair in prescription order', () => {
    const conflicts = findDrugConflicts(
      [penicillin, { substance: '阿司匹林', reaction: '消化道出血' }],
      [
        { drug: 'A', ingredients: ['阿司匹林'] },
        { drug: 'B', ingredients: ['青霉素V钾', '阿司匹林肠溶'] },
      ],
    );
    expect(conflicts.map((c) => `${c.drug}:${c.substance}`)).toEqual(['A:阿司匹林', 'B:青霉素', 'B:阿司匹林']);
  });

  const name = fc.string({
    unit: fc.constantFrom(...'青霉素阿莫西林布洛芬磺胺类头孢曲松'),
    minLength: 2,
    maxLength: 6,
  });
  const affix = fc.string({ unit: fc.constantFrom(...'钾钠片胶囊注射液'), maxLength: 3 });

  test.prop([name, affix, affix])(
    'a substance embedded in an ingredient name is always found',
    (substance, before, after) => {
      const conflicts = findDrugConflicts(
        [{ substance, reaction: 'r' }],
        [{ drug: 'd', ingredients: ['其他', before + substance + after] }],
      );
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]?.ingredient).toBe(before + substance + after);
    },
  );

  test.prop([name, name])('names that do not contain each other never match', (substance, ingredient) => {
    fc.pre(!substance.includes(ingredient) && !ingredient.includes(substance));
    expect(findDrugConflicts([{ substance, reaction: 'r' }], [{ drug: 'd', ingredients: [ingredient] }])).toEqual([]);
  });
});
