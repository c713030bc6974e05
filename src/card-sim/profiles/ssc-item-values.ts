import { encodeGbk } from '../../apdu/index.js';
import type { ResolvedPersonalization } from './personalization.js';

/*
 * The values the simulator personalizes into the TLV files of card profile §7 (SSSE/EF0D, DF01,
 * DF03, DF04), derived from the personalization document. The readers' tag tables fix tags,
 * lengths and formats, not meanings: every value here is the project's invention, made to look
 * like what a card of this holder could carry (README, "Project choices", lists them):
 * - taken from the document: region codes (birthplace, card identifier, insurance regions),
 *   employer name and code (the newest work record), dates (insurance, work, issue), the ID
 *   number (as personal, medical account and person identifier numbers);
 * - fixed codes: nationality CN, education 2, marital status 2, status and type codes;
 * - left empty: contact data (phone, e-mail, mobile, contact names) and the unnamed 9-byte DF04
 *   items, which the simulator does not invent; the medical account balance is 128.50 (12850 分).
 */

/** Region names of the sample people's region codes (GB/T 2260), for the address items. */
const REGION_NAMES: Readonly<Record<string, string>> = {
  '110105': '北京市朝阳区',
  '310104': '上海市徐汇区',
  '330300': '浙江省温州市',
  '440305': '广东省深圳市南山区',
  '650102': '新疆维吾尔自治区乌鲁木齐市天山区',
};

/** `text` cut at a character boundary to at most `bytes` GBK bytes. */
function gbkPrefix(text: string, bytes: number): string {
  let out = '';
  for (const ch of Array.from(text)) {
    if (encodeGbk(out + ch).length > bytes) break;
    out += ch;
  }
  return out;
}

/** 'YYYY-MM-DD' -> 'YYYYMMDD' (the 4-byte cn dates of these files); '' stays ''. */
function compact(date: string | null | undefined): string {
  return (date ?? '').replaceAll('-', '');
}

/** The values of every item of `files`, by file path and item key. */
export function sampleItemValues(p: ResolvedPersonalization): Record<string, Record<string, string>> {
  const { person, card, insurance } = p;
  const newestJob = p.workRecords[0];
  const firstJob = p.workRecords[p.workRecords.length - 1];
  const region = card.identifier.slice(0, 6);
  const home = REGION_NAMES[person.birthplace] ?? '';
  const pension = insurance.pension;
  const medical = insurance.medical;
  const insuredRegion = pension.region !== '' ? pension.region : medical.region;
  const since = [pension, medical, insurance.workInjury, insurance.unemployment]
    .map((x) => x.since)
    .filter((d): d is string => d !== null)
    .sort()[0];
  return {
    EF0D: {
      personId: `${region}${person.idNumber.slice(-6)}`,
      firstApplicationRegion: region,
      ef0dEC: '1',
      ef0dED: '0',
    },
    'DF01/EF05': { nationality: 'CN', householdAddress: home, householdRegion: person.birthplace },
    'DF01/EF06': { address: home, postalCode: '', phone: '', email: '', mobile: '' },
    'DF01/EF07': { education: '2' },
    'DF01/EF08': { maritalStatus: '2' },
    'DF01/EF09': {
      employerName: newestJob?.employerName ?? '',
      employerCode: newestJob?.employerCode ?? '',
      employerType: newestJob === undefined ? '' : '10',
    },
    'DF01/EF0A': { occupation: '100', title: '00', employedSince: compact(firstJob?.startDate) },
    'DF01/EF15': { contactCount: '0', relation: '', region: person.birthplace, name: '' },
    'DF03/EF05': {
      insuredRegion,
      insuredSince: compact(since),
      updatedOn: compact(card.issueDate),
      pensionStatus: pension.status,
      medicalStatus: medical.status,
      workInjuryStatus: insurance.workInjury.status,
      unemploymentStatus: insurance.unemployment.status,
    },
    'DF03/EF06': {
      personalNumber: person.idNumber,
      personType: newestJob?.endDate === null ? '11' : '21',
      personStatus: '10',
      householdType: '1',
      specialType: '0',
      retiredOn: '',
      remark: '',
      kind: '11',
      status: pension.status,
      employer: newestJob?.employerCode ?? '',
      since: compact(pension.since),
      note: '',
    },
    'DF03/EF07': {
      agency: '001',
      agencyRegion: insuredRegion,
      registeredOn: compact(since),
      lastPaidOn: compact(card.issueDate),
      transferredOn: '',
      checkedOn: compact(card.issueDate),
    },
    'DF04/EF05': {
      medicalNumber: person.idNumber.slice(-8),
      medicalRegion: medical.region,
      medicalAccount: person.idNumber.slice(0, 17),
      medicalType: medical.status === '0' ? '0' : '1',
      medicalSince: compact(medical.since),
      medicalEmployer: gbkPrefix(newestJob?.employerName ?? '', 29),
      designatedHospital: '',
      item83: '',
      item86: '',
      item89: '',
      item7D: '',
      item7E: '',
      item7F: '',
      item8D: '',
      item8E: '',
      item8F: '0',
    },
    'DF04/EF06': { accountStatus: medical.status === '0' ? '0' : '1', accountBalance: '00012850', accountType: '01' },
  };
}
