import { blob, struct } from 'buffer-layout';
import type { Structure } from 'buffer-layout';
import {
  ApduEncodeError,
  ApduParseError,
  SscardError,
  decodeAn,
  decodeCn,
  decodeDate,
  encodeAn,
  encodeCn,
  encodeDate,
} from '../apdu/index.js';

/** A fixed-length record that cannot be encoded or decoded; the message names the layout and field. */
export class RecordLayoutError extends SscardError {
  /** `layout.field` (or just the layout name for a whole-record problem). */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('RECORD_LAYOUT', `${path}: ${message}`, options);
    this.path = path;
  }
}

/**
 * Runs one field's encoding or decoding: a codec's refusal (an SscardError) becomes a
 * RecordLayoutError that names the field (`path`); one already naming it goes up as it is.
 */
export function atField<T>(path: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof RecordLayoutError || !(err instanceof SscardError)) throw err;
    throw new RecordLayoutError(path, err.message, { cause: err });
  }
}

/** The text formats fixed records and TLV items share: GBK `an`, BCD `cn`, and `date` (YYYYMMDD cn). */
export type TextFormat = 'an' | 'cn' | 'date';

const MUST_BE: Record<TextFormat, string> = {
  an: 'must be a string',
  cn: 'must be a string of digits',
  date: "must be a date 'YYYY-MM-DD'",
};

/** The bytes of `value` as a `length`-byte field of `format` (a date is always 4 bytes). */
export function encodeFieldText(format: TextFormat, value: string, length: number): Uint8Array {
  if (format === 'an') return encodeAn(value, length);
  if (format === 'cn') return encodeCn(value, length);
  return encodeDate(value);
}

/** The value of a field of `format`; a date of all F (no date) is refused with `noDate`. */
export function decodeFieldText(format: TextFormat, bytes: Uint8Array, noDate: string): string {
  if (format === 'an') return decodeAn(bytes);
  if (format === 'cn') return decodeCn(bytes);
  const date = decodeDate(bytes);
  if (date === null) throw new ApduParseError(noDate);
  return date;
}

/**
 * How one field of a fixed record is written:
 * - `an`: GBK text, left aligned, 00-padded;
 * - `cn`: digits, BCD, left aligned, F-padded;
 * - `date`: YYYYMMDD cn (4 bytes), value 'YYYY-MM-DD';
 * - `open-date`: like `date`, but `null` is allowed and stored as FF FF FF FF ("still current").
 */
export type FieldFormat = 'an' | 'cn' | 'date' | 'open-date';

export interface FieldSpec<K extends string> {
  readonly name: K;
  readonly format: FieldFormat;
  readonly length: number;
}

type FieldValue<F extends FieldFormat> = F extends 'open-date' ? string | null : string;

/** The decoded value of a layout: one property per field. */
export type RecordOf<Fields extends readonly FieldSpec<string>[]> = {
  [P in Fields[number] as P['name']]: FieldValue<P['format']>;
};

/**
 * One fixed-length record layout (card profile §2/§3: work record, contraindication, medical
 * history, ...). The byte positions come from a `buffer-layout` structure of blobs; this adapter is
 * the only place that touches it, checks exact lengths, converts each field through the apdu
 * codecs, and exposes Uint8Array only.
 */
export class FixedRecordLayout<Fields extends readonly FieldSpec<string>[]> {
  readonly name: string;
  readonly fields: Fields;
  /** Record length in bytes (sum of the field lengths). */
  readonly length: number;
  readonly #structure: Structure<Record<string, Buffer>>;

  constructor(name: string, fields: Fields) {
    this.name = name;
    this.fields = fields;
    for (const f of fields) {
      if ((f.format === 'date' || f.format === 'open-date') && f.length !== 4) {
        throw new RecordLayoutError(`${name}.${f.name}`, 'a date field is 4 bytes');
      }
    }
    this.#structure = struct<Record<string, Buffer>>(fields.map((f) => blob(f.length, f.name)));
    this.length = this.#structure.span;
  }

  /** Length in bytes of one field. */
  lengthOf(field: Fields[number]['name']): number {
    const spec = this.fields.find((f) => f.name === field);
    if (spec === undefined) throw new RecordLayoutError(`${this.name}.${field}`, 'no such field');
    return spec.length;
  }

  /** Byte offset of a field inside the record. */
  offsetOf(field: Fields[number]['name']): number {
    let offset = 0;
    for (const f of this.fields) {
      if (f.name === field) return offset;
      offset += f.length;
    }
    throw new RecordLayoutError(`${this.name}.${field}`, 'no such field');
  }

  encode(value: RecordOf<Fields>): Uint8Array {
    if (value === null || typeof value !== 'object') {
      throw new RecordLayoutError(this.name, 'record value must be an object');
    }
    const parts: Record<string, Buffer> = {};
    const values = value as Record<string, unknown>;
    for (const f of this.fields) {
      parts[f.name] = Buffer.from(this.#encodeField(f, values[f.name]));
    }
    const out = Buffer.alloc(this.length);
    this.#structure.encode(parts, out, 0);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  decode(bytes: Uint8Array): RecordOf<Fields> {
    if (!(bytes instanceof Uint8Array)) {
      throw new RecordLayoutError(this.name, 'record must be a Uint8Array');
    }
    if (bytes.length !== this.length) {
      throw new RecordLayoutError(this.name, `record is ${bytes.length} bytes, expected exactly ${this.length}`);
    }
    const parts = this.#structure.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), 0);
    const out: Record<string, string | null> = {};
    for (const f of this.fields) {
      const raw = parts[f.name];
      if (raw === undefined) throw new RecordLayoutError(`${this.name}.${f.name}`, 'field missing after decode');
      out[f.name] = this.#decodeField(f, new Uint8Array(raw));
    }
    return out as RecordOf<Fields>;
  }

  #encodeField(f: FieldSpec<string>, v: unknown): Uint8Array {
    return atField(`${this.name}.${f.name}`, () => {
      if (f.format === 'open-date') {
        if (v !== null && typeof v !== 'string') throw new ApduEncodeError("must be a date 'YYYY-MM-DD' or null");
        return encodeDate(v);
      }
      if (typeof v !== 'string') throw new ApduEncodeError(MUST_BE[f.format]);
      return encodeFieldText(f.format, v, f.length);
    });
  }

  #decodeField(f: FieldSpec<string>, bytes: Uint8Array): string | null {
    return atField(`${this.name}.${f.name}`, () =>
      f.format === 'open-date'
        ? decodeDate(bytes)
        : decodeFieldText(f.format, bytes, 'date is all F, but this field has no open value'),
    );
  }
}
