import { PersonalizationError } from './personalization-error.js';
import type { PersonalizationDocument } from './personalization.js';
import { citizenId, luhnCheckDigit } from '../../records/index.js';

// The ID-number checks live in src/records; the simulator's entry point exports them from here.
export { citizenIdCheckDigit, isValidCitizenId } from './ssc-ids.js';

/*
 * Sample cardholders for tests, demos and `sscard card new`. Names, region codes and value sets
 * are realistic; the people are invented. ID numbers are built by citizenId(), so their check
 * digits are right by construction and checked again by personalization.
 */

function pan(prefix: string): string {
  return prefix + luhnCheckDigit(prefix);
}

export interface SamplePerson {
  /** Short handle for the CLI and tests ('zhang-wei', ...). */
  readonly key: string;
  /** What the sample is good for. */
  readonly about: string;
  readonly document: PersonalizationDocument;
}

/*
 * Region codes: 110105 北京市朝阳区, 310104 上海市徐汇区, 440305 深圳市南山区, 650102 乌鲁木齐市天山区.
 * Ethnicity (GB 3304): 01 汉族, 05 维吾尔族, 03 回族. ICD-10 codes follow the national clinical
 * edition's 7-character form.
 */
const ZHANG_WEI: PersonalizationDocument = {
  specVersion: '2.00',
  financial: true,
  person: {
    name: '张伟',
    latinName: 'ZHANG/WEI',
    idNumber: citizenId('110105', '1985-03-12', '031'),
    sex: '1',
    ethnicity: '01',
    birthplace: '110105',
    birthDate: '1985-03-12',
  },
  card: {
    number: 'A10500031',
    identifier: '1101059000310026',
    type: '1',
    issueDate: '2019-06-18',
    expiryDate: '2029-06-18',
    initializingOrg: '110000000001',
    pan: pan('621483010500031'),
  },
  workRecords: [
    { employerCode: 'BJ20415', startDate: '2016-07-01', endDate: null, employerName: '北京朝阳数联科技有限公司' },
    {
      employerCode: 'BJ11873',
      startDate: '2008-07-15',
      endDate: '2016-06-30',
      employerName: '北京市第三建筑工程有限公司',
    },
  ],
  health: {
    abo: '1',
    rh: '2',
    flags: {},
    warning: '',
    contraindications: [{ substance: '青霉素', reaction: '过敏性休克' }],
    history: [{ date: '2016-04-02', icd10: 'K35.800', diagnosis: '急性阑尾炎', institution: '12110000400688702Q' }],
  },
  insurance: {
    pension: { status: '1', since: '2008-07-15', region: '110105' },
    medical: { status: '1', since: '2008-07-15', region: '110105' },
    workInjury: { status: '1', since: '2008-07-15', region: '110105' },
    maternity: { status: '1', since: '2008-07-15', region: '110105' },
    unemployment: { status: '1', since: '2008-07-15', region: '110105' },
  },
};

const LI_XIUYING: PersonalizationDocument = {
  specVersion: '3.00',
  financial: false,
  pin: { tryLimit: 6, forbidReturnToInitial: true },
  person: {
    name: '李秀英',
    idNumber: citizenId('310104', '1962-11-08', '024'),
    sex: '2',
    ethnicity: '01',
    birthplace: '310104',
    birthDate: '1962-11-08',
  },
  card: {
    number: 'S31040024',
    identifier: '3101049000240017',
    type: '1',
    issueDate: '2021-03-01',
    expiryDate: '2031-03-01',
    initializingOrg: '310000000002',
  },
  workRecords: [
    { employerCode: 'SH00517', startDate: '1999-03-01', endDate: '2017-11-08', employerName: '上海徐汇百货商店' },
    { employerCode: 'SH00092', startDate: '1980-09-01', endDate: '1999-02-28', employerName: '上海第十七棉纺织厂' },
  ],
  health: {
    abo: '3',
    rh: '2',
    flags: { cardioCerebrovascular: true, diabetes: true, coagulationDisorder: true },
    warning: '长期服用华法林抗凝',
    contraindications: [
      { substance: '阿司匹林', reaction: '消化道出血' },
      { substance: '磺胺类药物', reaction: '全身皮疹伴瘙痒' },
    ],
    // Newest first, like the card's cyclic file (record 1 = the latest entry).
    history: [
      { date: '2018-03-02', icd10: 'E11.900', diagnosis: '2型糖尿病', institution: '12310000425023419N' },
      { date: '2012-09-15', icd10: 'I10.x00', diagnosis: '原发性高血压', institution: '12310000425023419N' },
    ],
    capacity: { contraindications: 10, history: 20 },
  },
  insurance: {
    pension: { status: '3', since: '1980-09-01', region: '310104' },
    medical: { status: '1', since: '1980-09-01', region: '310104' },
  },
};

/* 䶮 (U+4DAE, CJK extension A) is one of the rare name characters GBK still encodes (FE 9F). */
const WANG_YAN: PersonalizationDocument = {
  specVersion: '3.00',
  financial: true,
  bankPin: { initial: '246810' },
  person: {
    name: '王䶮',
    latinName: 'WANG/YAN',
    idNumber: citizenId('440305', '1999-07-21', '157'),
    sex: '1',
    ethnicity: '03',
    birthplace: '440305',
    birthDate: '1999-07-21',
  },
  card: {
    number: 'G44030157',
    // The form real cards carry: region code, the MOHRSS RID D156000005, serial, F padding.
    identifier: '440305D1560000059001570042FFFFFF',
    type: '1',
    issueDate: '2023-09-05',
    expiryDate: '2033-09-05',
    initializingOrg: '440300000003',
    pan: pan('621700440305157'),
  },
  workRecords: [
    { employerCode: 'SZ30219', startDate: '2021-07-01', endDate: null, employerName: '深圳南山智造电子有限公司' },
  ],
  health: {
    abo: '2',
    rh: '2',
    flags: { asthma: true },
    warning: '随身携带沙丁胺醇气雾剂',
    contraindications: [{ substance: '头孢曲松', reaction: '荨麻疹、呼吸困难' }],
    history: [{ date: '2010-05-20', icd10: 'J45.900', diagnosis: '支气管哮喘', institution: '12440300455755633A' }],
  },
};

/* A long Uyghur name: 38 GBK bytes, so the name item (30 bytes) continues in the extension (tag 4E). */
const ABDURAHMAN: PersonalizationDocument = {
  specVersion: '2.00',
  financial: false,
  person: {
    name: '阿卜杜热合曼·买买提艾力·吐尔逊托合提',
    latinName: 'ABDURAHMAN/MAMATALI',
    idNumber: citizenId('650102', '1978-02-14', '213'),
    sex: '1',
    ethnicity: '05',
    birthplace: '650102',
    birthDate: '1978-02-14',
  },
  card: {
    number: 'X65010213',
    identifier: '6501029002130051',
    type: '1',
    issueDate: '2018-12-10',
    expiryDate: '2028-12-10',
    initializingOrg: '650000000004',
  },
  health: {
    abo: '4',
    rh: '1',
    flags: { heartDisease: true, pacemaker: true },
    warning: '体内有心脏起搏器，禁止MRI检查',
    contraindications: [],
    history: [
      { date: '2020-11-03', icd10: 'I44.200', diagnosis: '三度房室传导阻滞', institution: '12650000458000154F' },
    ],
  },
};

/** The sample person a new card is made for when none is named (`sscard card new` without --sample or --from). */
export const DEFAULT_SAMPLE = 'zhang-wei';

export const SAMPLE_PEOPLE: readonly SamplePerson[] = [
  { key: 'zhang-wei', about: 'spec 2.00 (3DES), financial card, two jobs, penicillin allergy', document: ZHANG_WEI },
  {
    key: 'li-xiuying',
    about: 'spec 3.00 (SM4), 6 PIN tries, no return to the initial PIN, chronic conditions',
    document: LI_XIUYING,
  },
  { key: 'wang-yan', about: 'spec 3.00, financial, rare GBK character 䶮 in the name, asthma', document: WANG_YAN },
  {
    key: 'abdurahman',
    about: 'spec 2.00, long Uyghur name using the name extension (tag 4E), pacemaker',
    document: ABDURAHMAN,
  },
];

/** A deep copy of sample person `key`'s personalization document. */
export function samplePerson(key: string): PersonalizationDocument {
  const found = SAMPLE_PEOPLE.find((p) => p.key === key);
  if (found === undefined) {
    throw new PersonalizationError(
      'sample',
      `no sample person ${JSON.stringify(key)}; known: ${SAMPLE_PEOPLE.map((p) => p.key).join(', ')}`,
    );
  }
  return structuredClone(found.document);
}
