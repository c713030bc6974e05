import { encodeSimpleTlv, parseSimpleTlv, parseSimpleTlvList } from '../apdu/index.js';
import { RecordLayoutError, atField } from './layout.js';
import { decodeSscItem, encodeSscItem, type SscItem } from './ssc-items.js';

/*
 * The TLV files of the SSSE beyond EF05 / EF06, with the item tags that public SSC reader
 * programs read (card profile §7): SSSE/EF0D of 3.00 cards, DF01 EF05..EF0A and EF15, DF03
 * EF05..EF07, DF04 EF05..EF06. Every record is one item `tag len value` (record n = the n-th
 * entry), or a template `tag len { item item .. }` of items.
 *
 * The tags, lengths and formats are the readers'. Their meanings are mostly not public: the
 * labels marked "(assumed)" are the project's reading of them, chosen to fit the length and
 * format, and the values the simulator personalizes for them are invented (see README,
 * "Project choices"). The 4-byte cn items that look like dates hold YYYYMMDD digits, or nothing
 * (all F) when there is no such date, so they stay plain cn items here.
 */

/** A template record: `tag len { items }`, e.g. DF01/EF15's `40 34 { 57 .. 58 .. 59 .. }`. */
export interface SscTemplate {
  readonly file: string;
  readonly record: number;
  readonly tag: number;
  readonly key: string;
  readonly label: string;
  readonly items: readonly SscItem[];
}

/** One record of a TLV file: a single item or a template of items. */
export type SscRecordSpec = SscItem | SscTemplate;

/** A TLV file: where it is (DF under the SSSE, FID, SFI) and its records in order. */
export interface SscTlvFile {
  /** 'EF0D', 'DF01/EF05', ... */
  readonly path: string;
  /** The DF under the SSSE that holds it (undefined: the SSSE itself). */
  readonly df: number | undefined;
  readonly fid: number;
  readonly sfi: number;
  readonly records: readonly SscRecordSpec[];
}

type Format = SscItem['format'];
type ItemRow = readonly [tag: number, key: string, label: string, length: number, format: Format];

function item(file: string, record: number, [tag, key, label, length, format]: ItemRow): SscItem {
  return { file, record, tag, key, label, length, format };
}

/** A file whose record n is the n-th row; a row with `items` is a template. */
function file(
  path: string,
  df: number | undefined,
  fid: number,
  rows: ReadonlyArray<ItemRow | { template: ItemRow; items: readonly ItemRow[] }>,
): SscTlvFile {
  const records = rows.map((row, i): SscRecordSpec => {
    if (!('template' in row)) return item(path, i + 1, row as ItemRow);
    const [tag, key, label] = row.template;
    return { file: path, record: i + 1, tag, key, label, items: row.items.map((r) => item(path, i + 1, r)) };
  });
  return { path, df, fid, sfi: fid & 0x1f, records };
}

const DF01 = 0xdf01;
const DF03 = 0xdf03;
const DF04 = 0xdf04;

/** SSSE/EF0D (3.00 cards, SFI 0D): read after external authentication with key 0D. */
export const SSC_EF0D = file('EF0D', undefined, 0xef0d, [
  [0xea, 'personId', '人员识别号', 12, 'an'],
  [0xeb, 'firstApplicationRegion', '初次申请地代码', 3, 'cn'],
  [0xec, 'ef0dEC', 'EC (meaning not public)', 1, 'an'],
  [0xed, 'ef0dED', 'ED (meaning not public)', 1, 'an'],
]);

/** DF01 (public information) record files; read after the application PIN or RKSSSE. */
export const SSC_DF01_FILES: readonly SscTlvFile[] = [
  file('DF01/EF05', DF01, 0xef05, [
    [0x20, 'nationality', '国籍 (assumed)', 2, 'an'],
    [0x21, 'householdAddress', '户籍地址 (assumed)', 80, 'an'],
    [0x0e, 'householdRegion', '户籍所在地区 (assumed)', 3, 'cn'],
  ]),
  file('DF01/EF06', DF01, 0xef06, [
    [0x23, 'address', '常住地址 (assumed)', 80, 'an'],
    [0x24, 'postalCode', '邮政编码 (assumed)', 3, 'cn'],
    [0x28, 'phone', '联系电话 (assumed)', 15, 'an'],
    [0x2c, 'email', '电子邮箱 (assumed)', 50, 'an'],
    [0x2d, 'mobile', '手机号码 (assumed)', 15, 'an'],
  ]),
  file('DF01/EF07', DF01, 0xef07, [[0x29, 'education', '文化程度 (assumed)', 1, 'an']]),
  file('DF01/EF08', DF01, 0xef08, [[0x2b, 'maritalStatus', '婚姻状况 (assumed)', 1, 'an']]),
  file('DF01/EF09', DF01, 0xef09, [
    [0x2e, 'employerName', '单位名称 (assumed)', 70, 'an'],
    [0x30, 'employerCode', '组织机构代码 (assumed)', 9, 'an'],
    [0x32, 'employerType', '单位类型 (assumed)', 2, 'an'],
  ]),
  file('DF01/EF0A', DF01, 0xef0a, [
    [0x37, 'occupation', '职业 (assumed)', 3, 'an'],
    [0x38, 'title', '职称 (assumed)', 2, 'an'],
    [0x39, 'employedSince', '参加工作日期 (assumed)', 4, 'cn'],
  ]),
  file('DF01/EF15', DF01, 0xef15, [
    [0x2a, 'contactCount', '联系人数 (assumed)', 1, 'cn'],
    {
      template: [0x40, 'contact', '联系人 (assumed)', 0, 'an'],
      items: [
        [0x57, 'relation', '关系 (assumed)', 3, 'an'],
        [0x58, 'region', '所在地区 (assumed)', 3, 'cn'],
        [0x59, 'name', '姓名与电话 (assumed)', 40, 'an'],
      ],
    },
  ]),
];

/** DF01 EF16..EF1A: transparent, 0x128 bytes each, free read (contents not public; personalized empty). */
export const SSC_DF01_TRANSPARENT = Object.freeze({ fids: [0xef16, 0xef17, 0xef18, 0xef19, 0xef1a], size: 0x128 });

/** DF03 (social insurance) record files; read after the application PIN or RKSSSE. */
export const SSC_DF03_FILES: readonly SscTlvFile[] = [
  file('DF03/EF05', DF03, 0xef05, [
    [0x61, 'insuredRegion', '参保地 (assumed)', 3, 'cn'],
    [0x98, 'insuredSince', '首次参保日期 (assumed)', 4, 'cn'],
    [0x62, 'updatedOn', '信息更新日期 (assumed)', 4, 'cn'],
    [0x63, 'pensionStatus', '养老保险状态 (assumed)', 3, 'an'],
    [0x64, 'medicalStatus', '医疗保险状态 (assumed)', 3, 'an'],
    [0x65, 'workInjuryStatus', '工伤保险状态 (assumed)', 3, 'an'],
    [0x66, 'unemploymentStatus', '失业保险状态 (assumed)', 3, 'an'],
  ]),
  file('DF03/EF06', DF03, 0xef06, [
    [0x45, 'personalNumber', '个人编号 (assumed)', 20, 'an'],
    [0x46, 'personType', '人员类别 (assumed)', 2, 'an'],
    [0x47, 'personStatus', '人员状态 (assumed)', 2, 'an'],
    [0x48, 'householdType', '户口性质 (assumed)', 1, 'an'],
    [0x49, 'specialType', '特殊人员标识 (assumed)', 1, 'an'],
    [0x67, 'retiredOn', '离退休日期 (assumed)', 4, 'cn'],
    [0x6b, 'remark', '备注 (assumed)', 60, 'an'],
    {
      template: [0x4a, 'contribution', '缴费记录 (assumed)', 0, 'an'],
      items: [
        [0x13, 'kind', '险种 (assumed)', 2, 'an'],
        [0x14, 'status', '缴费状态 (assumed)', 1, 'an'],
        [0x15, 'employer', '缴费单位 (assumed)', 20, 'an'],
        [0x16, 'since', '缴费起始日期 (assumed)', 4, 'cn'],
        [0x17, 'note', '说明 (assumed)', 60, 'an'],
      ],
    },
  ]),
  file('DF03/EF07', DF03, 0xef07, [
    [0x70, 'agency', '经办机构 (assumed)', 3, 'an'],
    [0x71, 'agencyRegion', '经办机构所在地区 (assumed)', 3, 'cn'],
    [0x6e, 'registeredOn', '登记日期 (assumed)', 4, 'cn'],
    [0x6c, 'lastPaidOn', '最近缴费日期 (assumed)', 4, 'cn'],
    [0x6f, 'transferredOn', '转移日期 (assumed)', 4, 'cn'],
    [0x73, 'checkedOn', '核定日期 (assumed)', 4, 'cn'],
  ]),
];

/** DF04 (medical insurance) record files: EF05 after the PIN or RKSSSE; EF06 after the PIN and the DF04 key. */
export const SSC_DF04_FILES: readonly SscTlvFile[] = [
  file('DF04/EF05', DF04, 0xef05, [
    [0x81, 'medicalNumber', '医保编号 (assumed)', 8, 'an'],
    [0x84, 'medicalRegion', '参保地区 (assumed)', 3, 'cn'],
    [0x87, 'medicalAccount', '个人账户号 (assumed)', 17, 'an'],
    [0x8c, 'medicalType', '医疗人员类别 (assumed)', 1, 'cn'],
    [0x80, 'medicalSince', '参保日期 (assumed)', 4, 'cn'],
    [0x8b, 'medicalEmployer', '参保单位 (assumed)', 29, 'an'],
    [0x8a, 'designatedHospital', '定点医院 (assumed)', 15, 'an'],
    [0x83, 'item83', '83 (meaning not public)', 9, 'an'],
    [0x86, 'item86', '86 (meaning not public)', 9, 'an'],
    [0x89, 'item89', '89 (meaning not public)', 9, 'an'],
    [0x7d, 'item7D', '7D (meaning not public)', 9, 'an'],
    [0x7e, 'item7E', '7E (meaning not public)', 9, 'an'],
    [0x7f, 'item7F', '7F (meaning not public)', 9, 'an'],
    [0x8d, 'item8D', '8D (meaning not public)', 9, 'an'],
    [0x8e, 'item8E', '8E (meaning not public)', 9, 'an'],
    [0x8f, 'item8F', '8F (meaning not public)', 1, 'an'],
  ]),
  file('DF04/EF06', DF04, 0xef06, [
    [0x90, 'accountStatus', '账户状态 (assumed)', 1, 'an'],
    [0x92, 'accountBalance', '账户余额, 分 (assumed)', 4, 'cn'],
    [0x93, 'accountType', '账户类型 (assumed)', 2, 'an'],
  ]),
];

/** Every TLV file of this table, EF0D first. */
export const SSC_TLV_FILES: readonly SscTlvFile[] = [SSC_EF0D, ...SSC_DF01_FILES, ...SSC_DF03_FILES, ...SSC_DF04_FILES];

/** The items of a record (one, or a template's). */
export function recordItems(spec: SscRecordSpec): readonly SscItem[] {
  return 'items' in spec ? spec.items : [spec];
}

/** Length of a record of `spec` in bytes (tag + length + value, templates included). */
export function sscRecordLength(spec: SscRecordSpec): number {
  const inner = recordItems(spec).reduce((n, i) => n + 2 + i.length, 0);
  return 'items' in spec ? 2 + inner : inner;
}

/** The record of `spec` holding `values` (by item key; every item of the record needs one). */
export function encodeSscRecord(spec: SscRecordSpec, values: Readonly<Record<string, string>>): Uint8Array {
  const parts = recordItems(spec).map((it) => {
    const value = values[it.key];
    if (value === undefined) throw new RecordLayoutError(`${it.file}.${it.key}`, 'no value');
    return encodeSscItem(it, value);
  });
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  return 'items' in spec ? encodeSimpleTlv(spec.tag, body) : body;
}

/** The values of a record of `spec`, by item key; tags and lengths checked. */
export function decodeSscRecord(spec: SscRecordSpec, record: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  if (!('items' in spec)) {
    out[spec.key] = decodeSscItem(spec, record);
    return out;
  }
  return atField(`${spec.file}.${spec.key}`, () => {
    const outer = parseSimpleTlv(record);
    if (outer.tag !== spec.tag)
      throw new RecordLayoutError(`${spec.file}.${spec.key}`, `template tag is ${outer.tag}, expected ${spec.tag}`);
    const inner = outer.value;
    const list = parseSimpleTlvList(inner);
    if (list.length !== spec.items.length) {
      throw new RecordLayoutError(
        `${spec.file}.${spec.key}`,
        `template holds ${list.length} items, expected ${spec.items.length}`,
      );
    }
    let at = 0;
    for (const it of spec.items) {
      const size = 2 + (inner[at + 1] ?? 0);
      out[it.key] = decodeSscItem(it, inner.subarray(at, at + size));
      at += size;
    }
    return out;
  });
}
