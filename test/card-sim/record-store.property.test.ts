import { describe as group, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { StatusWordError } from '../../src/apdu/index.js';
import { ALWAYS, createElementaryFile } from '../../src/card-sim/index.js';
import type { RecordFile } from '../../src/card-sim/index.js';

/*
 * A record file keeps its records packed in one buffer (written in place when a record keeps its
 * length, repacked otherwise). Against a plain array of records, through every way a record file
 * changes, each structure answers as the array says.
 */

type Op = { kind: 'append'; bytes: Uint8Array } | { kind: 'update'; n: number; bytes: Uint8Array };

const MAX = 6;
const LENGTH = 8;

function recordOf(length: fc.Arbitrary<number>): fc.Arbitrary<Uint8Array> {
  return length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
}

function ops(length: fc.Arbitrary<number>): fc.Arbitrary<Op[]> {
  return fc.array(
    fc.oneof(
      recordOf(length).map((bytes): Op => ({ kind: 'append', bytes })),
      fc
        .record({ n: fc.integer({ min: 0, max: MAX + 1 }), bytes: recordOf(length) })
        .map((o): Op => ({ kind: 'update', ...o })),
    ),
    { maxLength: 20 },
  );
}

/** Runs `op` on the file and on the model; both refuse or both change. */
function apply(file: RecordFile, model: Uint8Array[], op: Op, cyclic: boolean): void {
  if (op.kind === 'append') {
    const full = !cyclic && model.length >= MAX;
    if (full) {
      expect(() => file.appendRecord(op.bytes)).toThrow(StatusWordError);
      return;
    }
    expect(file.appendRecord(op.bytes)).toBe(cyclic ? 1 : model.length + 1);
    if (cyclic) {
      model.unshift(op.bytes.slice());
      model.length = Math.min(model.length, MAX);
    } else model.push(op.bytes.slice());
    return;
  }
  const present = op.n >= 1 && op.n <= model.length;
  if (!present) {
    expect(() => file.updateRecord(op.n, op.bytes)).toThrow(StatusWordError);
    return;
  }
  file.updateRecord(op.n, op.bytes);
  model[op.n - 1] = op.bytes.slice();
}

function expectLike(file: RecordFile, model: Uint8Array[]): void {
  expect(file.recordCount).toBe(model.length);
  expect(file.records()).toEqual(model);
  for (let n = 0; n <= MAX + 1; n++) {
    expect(file.record(n)).toEqual(model[n - 1]);
    expect(file.recordView(n)).toEqual(model[n - 1]); // the deprecated view agrees
  }
  const tag = model[model.length - 1]?.[0];
  if (tag !== undefined) expect(file.findRecordByTag(tag)).toBe(model.findIndex((r) => r[0] === tag) + 1);
}

group('record files against an array of records', () => {
  test.prop([ops(fc.integer({ min: 1, max: LENGTH })), fc.boolean()])('linear variable', (steps, startFull) => {
    const initial = startFull ? [Uint8Array.of(1, 2, 3)] : [];
    const file = createElementaryFile({
      fid: 0x0001,
      structure: 'linear-variable',
      recordLength: LENGTH,
      maxRecords: MAX,
      records: initial,
      read: ALWAYS,
    }) as RecordFile;
    const model = initial.map((r) => r.slice());
    for (const op of steps) {
      apply(file, model, op, false);
      expectLike(file, model);
    }
  });

  test.prop([ops(fc.constant(LENGTH)), fc.constantFrom('linear-fixed' as const, 'cyclic' as const)])(
    'fixed length: linear fixed and cyclic',
    (steps, structure) => {
      const file = createElementaryFile({
        fid: 0x0001,
        structure,
        recordLength: LENGTH,
        maxRecords: MAX,
        read: ALWAYS,
      }) as RecordFile;
      const model: Uint8Array[] = [];
      for (const op of steps) {
        apply(file, model, op, structure === 'cyclic');
        expectLike(file, model);
      }
    },
  );

  test.prop([fc.array(recordOf(fc.integer({ min: 1, max: LENGTH })), { maxLength: MAX })])(
    'a record handed in or out is a copy',
    (records) => {
      const given = records.map((r) => r.slice());
      const file = createElementaryFile({
        fid: 0x0001,
        structure: 'linear-variable',
        recordLength: LENGTH,
        maxRecords: MAX,
        records: given,
      }) as RecordFile;
      given.forEach((r) => r.fill(0xee));
      file.records().forEach((r) => r.fill(0xdd));
      file.record(1)?.fill(0xcc);
      expect(file.records()).toEqual(records);
    },
  );
});
