/**
 * Typings for the parts of `buffer-layout` (CommonJS, ships no types) that the project uses:
 * fixed-length blobs grouped in a structure. Only src/records/layout.ts imports it.
 */
declare module 'buffer-layout' {
  export class Layout<T = unknown> {
    readonly span: number;
    property: string | undefined;
    decode(b: Buffer, offset?: number): T;
    encode(src: T, b: Buffer, offset?: number): number;
    getSpan(b?: Buffer, offset?: number): number;
  }
  export class Blob extends Layout<Buffer> {
    constructor(length: number, property?: string);
    readonly length: number;
  }
  export class Structure<T = Record<string, unknown>> extends Layout<T> {
    constructor(fields: Layout[], property?: string, decodePrefixes?: boolean);
    readonly fields: Layout[];
  }
  export function blob(length: number, property?: string): Blob;
  export function struct<T = Record<string, unknown>>(
    fields: Layout[],
    property?: string,
    decodePrefixes?: boolean,
  ): Structure<T>;
}
