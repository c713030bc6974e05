import { citizenId } from '../../src/card-sim/index.js';

/** Who a numbered crowd of people is: their region, birth year, name prefix and issuing org. */
export interface Crowd {
  readonly region: string;
  readonly birthYear: number;
  readonly namePrefix: string;
  readonly initializingOrg: string;
}

/**
 * The issue document of person `i` of a crowd (registry load and concurrency runs): a valid ID
 * number made of the region, a birth date drawn from `i` and `i` as the sequence, so people
 * 0..999 of one crowd are all distinct.
 */
export function crowdPersonDocument(i: number, crowd: Crowd): Record<string, unknown> {
  const birthDate = `${crowd.birthYear}-0${1 + (i % 9)}-1${i % 10}`;
  const idNumber = citizenId(crowd.region, birthDate, String(i).padStart(3, '0'));
  const sex = Number(idNumber[16]) % 2 === 1 ? '1' : '2';
  return {
    person: { name: `${crowd.namePrefix}${i}`, idNumber, sex, ethnicity: '01', birthplace: crowd.region, birthDate },
    card: { type: '1', initializingOrg: crowd.initializingOrg },
  };
}
