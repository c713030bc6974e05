/*
 * The records of a record EF in one buffer: the length of each record (one byte, 1..255), record
 * 1 first, then their bytes in the same order. A card holds some 150 records; one typed array
 * each cost more memory than the records themselves (about 180 bytes of objects per array), and
 * a card is read far more often than written: a write packs the buffer again (elementary-files.ts
 * writes a record of the same length in place).
 */

/** The buffer of no records. */
export const NO_RECORDS = new Uint8Array(0);

/** `records` (each 1..255 bytes) packed into one buffer; the count is `records.length`. */
export function packRecords(records: readonly Uint8Array[]): Uint8Array {
  let total = records.length;
  for (const r of records) total += r.length;
  if (total === 0) return NO_RECORDS;
  const store = new Uint8Array(total);
  let at = records.length;
  records.forEach((r, i) => {
    store[i] = r.length;
    store.set(r, at);
    at += r.length;
  });
  return store;
}

/** Offset in `store` (of `count` records) of record n (1-based), or -1 when there is none. */
export function recordOffset(store: Uint8Array, count: number, n: number): number {
  if (!(n >= 1 && n <= count)) return -1;
  let at = count;
  for (let i = 0; i < n - 1; i++) at += store[i] as number;
  return at;
}

/** The `count` records of `store` as views into it, record 1 first. */
export function recordViews(store: Uint8Array, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = count;
  for (let i = 0; i < count; i++) {
    const length = store[i] as number;
    out.push(store.subarray(at, at + length));
    at += length;
  }
  return out;
}
