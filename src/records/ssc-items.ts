import {
  ApduEncodeError,
  ApduParseError,
  encodeCn,
  encodeGbk,
  encodeSimpleTlv,
  parseSimpleTlv,
} from '../apdu/index.js';
import { RecordLayoutError, atField, decodeFieldText, encodeFieldText } from './layout.js';

/**
 * The TLV data items of SSSE/EF05 (card issuer data; record number = tag) and SSSE/EF06
 * (cardholder data; record numbers 1..7), card profile §2; the other files' items are in
 * ssc-files.ts. `date` items are 4-byte cn YYYYMMDD and decode to 'YYYY-MM-DD'. `identifier` is
 * the card identifier (EF05 tag 01): cn digits, or the 32 hex characters of the form real cards
 * carry (region code || D156000005 || serial || F padding), see encodeCardIdentifier.
 */
export interface SscItem {
  /** The file the item lives in: 'EF05', 'EF06', or a path such as 'DF01/EF05'. */
  readonly file: string;
  readonly record: number;
  readonly tag: number;
  readonly key: string;
  readonly label: string;
  readonly length: number;
  readonly format: 'an' | 'cn' | 'date' | 'identifier';
}

export const SSC_EF05_ITEMS = [
  { file: 'EF05', record: 1, tag: 0x01, key: 'cardIdentifier', label: '卡识别码', length: 16, format: 'identifier' },
  { file: 'EF05', record: 2, tag: 0x02, key: 'cardType', label: '卡的类别', length: 1, format: 'an' },
  { file: 'EF05', record: 3, tag: 0x03, key: 'specVersion', label: '规范版本', length: 4, format: 'an' },
  { file: 'EF05', record: 4, tag: 0x04, key: 'initializingOrg', label: '初始化机构编号', length: 12, format: 'cn' },
  { file: 'EF05', record: 5, tag: 0x05, key: 'issueDate', label: '发卡日期', length: 4, format: 'date' },
  { file: 'EF05', record: 6, tag: 0x06, key: 'expiryDate', label: '卡有效期', length: 4, format: 'date' },
  { file: 'EF05', record: 7, tag: 0x07, key: 'cardNumber', label: '卡号', length: 9, format: 'an' },
] as const satisfies readonly SscItem[];

export const SSC_EF06_ITEMS = [
  { file: 'EF06', record: 1, tag: 0x08, key: 'socialSecurityNumber', label: '社会保障号码', length: 18, format: 'an' },
  { file: 'EF06', record: 2, tag: 0x09, key: 'name', label: '姓名', length: 30, format: 'an' },
  { file: 'EF06', record: 3, tag: 0x4e, key: 'nameExtension', label: '姓名扩展', length: 20, format: 'an' },
  { file: 'EF06', record: 4, tag: 0x0a, key: 'sex', label: '性别', length: 1, format: 'an' },
  { file: 'EF06', record: 5, tag: 0x0b, key: 'ethnicity', label: '民族', length: 1, format: 'cn' },
  { file: 'EF06', record: 6, tag: 0x0c, key: 'birthplace', label: '出生地', length: 3, format: 'cn' },
  { file: 'EF06', record: 7, tag: 0x0d, key: 'birthDate', label: '出生日期', length: 4, format: 'date' },
] as const satisfies readonly SscItem[];

export type SscEf05Key = (typeof SSC_EF05_ITEMS)[number]['key'];
export type SscEf06Key = (typeof SSC_EF06_ITEMS)[number]['key'];

function ef06ItemLength(key: SscEf06Key): number {
  return (SSC_EF06_ITEMS.find((item) => item.key === key) as SscItem).length;
}

/** Bytes of a name split at a character boundary into tag 09 (30 bytes) and tag 4E (20 bytes). */
export const SSC_NAME_LENGTH = ef06ItemLength('name');
export const SSC_NAME_EXTENSION_LENGTH = ef06ItemLength('nameExtension');

/** The full TLV record (tag || length || value) of `item` holding `value`. */
export function encodeSscItem(item: SscItem, value: string): Uint8Array {
  return atField(`${item.file}.${item.key}`, () =>
    encodeSimpleTlv(
      item.tag,
      item.format === 'identifier'
        ? encodeCardIdentifier(value, item.length)
        : encodeFieldText(item.format, value, item.length),
    ),
  );
}

/** The value of `item` from its TLV record; checks tag and exact length. */
export function decodeSscItem(item: SscItem, record: Uint8Array): string {
  return atField(`${item.file}.${item.key}`, () => {
    const tlv = parseSimpleTlv(record);
    if (tlv.tag !== item.tag) {
      throw new ApduParseError(`tag is ${hex(tlv.tag)}, expected ${hex(item.tag)}`);
    }
    if (tlv.value.length !== item.length) {
      throw new ApduParseError(`value is ${tlv.value.length} bytes, expected ${item.length}`);
    }
    return item.format === 'identifier'
      ? decodeCardIdentifier(tlv.value)
      : decodeFieldText(item.format, tlv.value, 'date is all F');
  });
}

/**
 * The bytes of a card identifier in a `length`-byte field: an all-digit identifier as cn (BCD,
 * F-padded; the form of every card made before the RID form), otherwise its hex characters as
 * they are (`330300D15600000599110145FFFFFFFF` -> 33 03 00 D1 .. FF), which must fill the field.
 */
export function encodeCardIdentifier(value: string, length: number): Uint8Array {
  if (/^[0-9]*$/.test(value)) return encodeCn(value, length);
  if (!/^[0-9A-F]+$/.test(value) || value.length !== 2 * length) {
    throw new ApduEncodeError(`a card identifier is digits, or ${2 * length} hex characters (0-9, A-F)`);
  }
  return Uint8Array.from(value.match(/../g) as string[], (h) => parseInt(h, 16));
}

/**
 * A card identifier from its field: digits followed by F padding read as cn (the digits), any
 * other content as its uppercase hex characters, padding included (real cards' RID form reads
 * `330300D15600000599110145FFFFFFFF`, as readers show it).
 */
export function decodeCardIdentifier(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
  const cn = /^([0-9]*)F*$/.exec(hex);
  return cn !== null ? (cn[1] as string) : hex;
}

/**
 * Splits a cardholder name into the 30-byte name item and the 20-byte extension at a character
 * boundary, so neither half holds half a GBK character. Throws when the name needs more than 50
 * bytes or has a character GBK cannot represent. Readers join the two: name + extension.
 */
export function splitSscName(name: string): { name: string; extension: string } {
  const gbkLength = (text: string): number => encodeGbk(text).length;
  let head = '';
  let bytes = 0;
  const chars = Array.from(name);
  let i = 0;
  for (; i < chars.length; i++) {
    const n = gbkLength(chars[i] as string);
    if (bytes + n > SSC_NAME_LENGTH) break;
    head += chars[i];
    bytes += n;
  }
  const extension = chars.slice(i).join('');
  if (gbkLength(extension) > SSC_NAME_EXTENSION_LENGTH) {
    throw new RecordLayoutError(
      'EF06.name',
      `name is ${gbkLength(name)} GBK bytes, more than name (${SSC_NAME_LENGTH}) + extension (${SSC_NAME_EXTENSION_LENGTH}) hold`,
    );
  }
  return { name: head, extension };
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
