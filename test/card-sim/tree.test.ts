import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/apdu/index.js';
import {
  CardConfigError,
  CardTreeError,
  CyclicFile,
  DedicatedFile,
  ElementaryFile,
  LinearFixedFile,
  LinearVariableFile,
  RecordFile,
  TransparentFile,
  createElementaryFile,
  ImageFormatError,
  MasterFile,
  SimulatedCard,
  afterPin,
  exportState,
  importState,
  type CardState,
} from '../../src/card-sim/index.js';
import { send, thrownSw } from '../support/card-exchange.js';
import { expectThrowsClass } from '../support/throws.js';
import { FID, buildTestTree, selectSsse, ssseCard } from './fixtures.js';
import type { EditableJson } from '../support/editable-json.js';

describe('file tree', () => {
  it('rejects duplicate FIDs, SFIs and DF names among siblings', () => {
    const mf = new MasterFile();
    const df = mf.addDf({ fid: 0xdf01, dfName: fromHex('A00001') });
    df.addEf({ fid: 0xef01, sfi: 1, structure: 'transparent', size: 4 });
    expect(() => df.addEf({ fid: 0xef01, structure: 'transparent', size: 4 })).toThrow(CardTreeError);
    expect(() => df.addEf({ fid: 0xef02, sfi: 1, structure: 'transparent', size: 4 })).toThrow(/SFI 1/);
    expect(() => mf.addDf({ fid: 0xdf02, dfName: fromHex('A00001') })).toThrow(/named A00001/);
    expect(() => mf.addDf({ fid: 0xdf01 })).toThrow(/FID DF01/);
  });

  it('checks record shapes, key sizes and PIN ids while building', () => {
    expect(
      () => new ElementaryFile({ fid: 0xef01, structure: 'linear-fixed', recordLength: 4, records: [fromHex('0102')] }),
    ).toThrow(/record 1: length 2, the record length is 4/);
    expect(() => new ElementaryFile({ fid: 0xef01, structure: 'cyclic', recordLength: 4 })).toThrow(/maxRecords/);
    expect(() => new ElementaryFile({ fid: 0x3f00, structure: 'transparent' })).toThrow(/reserved/);
    const df = new DedicatedFile({ fid: 0xdf01 });
    expect(() => df.addKey({ id: 1, algorithm: 'sm4', key: new Uint8Array(24), usage: 'external-auth' })).toThrow(/16/);
    df.addPin({ id: 'app' });
    expect(() => df.addPin({ id: 'app', reference: 1 })).toThrow(/already has a PIN 'app'/);
    expect(() => df.addPin({ id: 'other' })).toThrow(/reference 0/);
    expect(() => df.addPin({ id: 'x', reference: 2, policy: { tryLimit: 99 } })).toThrow(CardTreeError);
  });

  it('derives a key given as a derivation once, at its first use, and checks its length then', () => {
    const df = new DedicatedFile({ fid: 0xdf01 });
    let calls = 0;
    const key = df.addKey({
      id: 1,
      algorithm: 'sm4',
      usage: 'external-auth',
      key: () => {
        calls += 1;
        return fromHex('00112233445566778899AABBCCDDEEFF');
      },
    });
    expect(calls).toBe(0);
    expect(toHex(key.key)).toBe('00112233445566778899AABBCCDDEEFF');
    expect(key.withKey((cipher, bytes) => `${cipher} ${toHex(bytes)}`)).toBe('sm4 00112233445566778899AABBCCDDEEFF');
    expect(calls).toBe(1);
    const short = df.addKey({ id: 2, algorithm: '3des', usage: 'internal-auth', key: () => new Uint8Array(8) });
    expect(() => short.key).toThrow(CardConfigError);
    expect(() => short.key).toThrow(/key 2: derived key 3des key must be 16 or 24 bytes, got 8/);
  });

  it('cyclic append makes the new record number 1 and drops the oldest when full', () => {
    const ef = new ElementaryFile({ fid: 0xef07, structure: 'cyclic', recordLength: 1, maxRecords: 3 });
    for (const b of [1, 2, 3, 4]) ef.appendRecord(Uint8Array.of(b));
    expect(ef.records().map((r) => r[0])).toEqual([4, 3, 2]);
  });

  it('linear append fills up to maxRecords, then 6A84', () => {
    const ef = new ElementaryFile({ fid: 0xef01, structure: 'linear-variable', recordLength: 3, maxRecords: 2 });
    expect(ef.appendRecord(Uint8Array.of(1))).toBe(1);
    expect(ef.appendRecord(Uint8Array.of(1, 2, 3))).toBe(2);
    expect(() => ef.appendRecord(Uint8Array.of(9))).toThrow(expect.objectContaining({ sw: 0x6a84 }));
  });

  it('an EF is an object of its structure, which answers 6981 to what that structure cannot do', () => {
    const transparent = createElementaryFile({ fid: 0xef01, structure: 'transparent', size: 4 });
    const files = [
      transparent,
      createElementaryFile({ fid: 0xef02, structure: 'linear-fixed', recordLength: 2, records: [Uint8Array.of(1, 2)] }),
      createElementaryFile({ fid: 0xef03, structure: 'linear-variable', recordLength: 2, records: [Uint8Array.of(1)] }),
      createElementaryFile({ fid: 0xef04, structure: 'cyclic', recordLength: 2, maxRecords: 2 }),
    ];
    expect(files.map((f) => f.constructor)).toEqual([TransparentFile, LinearFixedFile, LinearVariableFile, CyclicFile]);
    expect(new ElementaryFile({ fid: 0xef05, structure: 'cyclic', recordLength: 1, maxRecords: 1 })).toBeInstanceOf(
      CyclicFile,
    );
    expect(thrownSw(() => transparent.updateRecord(1, Uint8Array.of(1, 2)))).toBe(0x6981);
    expect(thrownSw(() => transparent.appendRecord(Uint8Array.of(1, 2)))).toBe(0x6981);
    expect(thrownSw(() => transparent.asRecordFile())).toBe(0x6981);
    expect(transparent.asTransparentFile()).toBe(transparent);
    for (const records of files.slice(1)) {
      expect(thrownSw(() => records.writeBinary(0, Uint8Array.of(1)))).toBe(0x6981);
      expect(thrownSw(() => records.asTransparentFile())).toBe(0x6981);
      expect(records.asRecordFile()).toBe(records);
      expect(records).toBeInstanceOf(RecordFile);
    }
  });

  it('UPDATE RECORD "previous": a linear file writes the record before, a cyclic one a new record 1', () => {
    const linear = createElementaryFile({
      fid: 0xef01,
      structure: 'linear-fixed',
      recordLength: 1,
      records: [Uint8Array.of(1), Uint8Array.of(2)],
    });
    expect(linear.asRecordFile().updatePreviousRecord(2, Uint8Array.of(9))).toBe(1);
    expect(linear.records().map((r) => r[0])).toEqual([9, 2]);
    const cyclic = createElementaryFile({
      fid: 0xef02,
      structure: 'cyclic',
      recordLength: 1,
      maxRecords: 2,
      records: [Uint8Array.of(1), Uint8Array.of(2)],
    });
    expect(cyclic.asRecordFile().updatePreviousRecord(2, Uint8Array.of(9))).toBe(1);
    expect(cyclic.records().map((r) => r[0])).toEqual([9, 1]);
  });

  it('resolves paths and DF names', () => {
    const mf = buildTestTree();
    expect(mf.nodeAt([FID.SSSE, FID.DF02, FID.EF07])?.name).toBe('work record');
    expect(mf.nodeAt([FID.SSSE, 0x1234])).toBeUndefined();
    expect(mf.findByDfName(fromHex('A000000333010101'))?.label).toBe('bank');
  });
});

describe('card state export / import', () => {
  it('round-trips through JSON, keeps the counters and contents, and never holds the PIN digits', () => {
    const card = ssseCard();
    expect(send(card, '805E010007123456FF987654').sw).toBe(0x9000);
    expect(send(card, '0020000003111111').sw).toBe(0x63c2);
    const json = JSON.stringify(card.exportState());
    expect(json).not.toContain('987654');
    const again = SimulatedCard.fromState(JSON.parse(json));
    again.powerOn();
    selectSsse(again);
    expect(send(again, '0020000000').sw).toBe(0x63c2);
    expect(send(again, '0020000003987654').sw).toBe(0x9000);
    expect(exportState(again.tree).mf).toEqual(JSON.parse(JSON.stringify(again.exportState().mf)));
    expect(toHex(again.atr)).toBe(toHex(card.atr));
  });

  it('exports the same state it imports (idempotent)', () => {
    const state = exportState(buildTestTree({ algorithm: 'sm4' }));
    expect(exportState(importState(JSON.parse(JSON.stringify(state))))).toEqual(state);
  });

  function broken(mutate: (s: CardState & Record<string, unknown>) => void): unknown {
    const s = JSON.parse(JSON.stringify(exportState(buildTestTree()))) as CardState & Record<string, unknown>;
    mutate(s);
    return s;
  }

  function fieldOf(input: unknown): string {
    return expectThrowsClass(() => importState(input), ImageFormatError, { code: 'CARD_IMAGE_INVALID' }).field;
  }

  it('names the bad field', () => {
    expect(fieldOf(null)).toBe('state');
    expect(fieldOf(broken((s) => ((s as { format: string }).format = 'x')))).toBe('format');
    expect(fieldOf(broken((s) => ((s as { version: number }).version = 3)))).toBe('version');
    expect(fieldOf(broken((s) => (s.atrCardBytes = '0011')))).toBe('atrCardBytes');
    expect(fieldOf(broken((s) => ((s.mf.children[0] as { fid: string }).fid = 'XYZ1')))).toBe('mf.children[0].fid');
    expect(fieldOf(broken((s) => ((s.mf.children[0] as { keys: { key: string }[] }).keys[1]!.key = 'ABC')))).toBe(
      'mf.children[0].keys[1].key',
    );
    expect(
      fieldOf(
        broken(
          (s) => ((s.mf.children[0] as { pins: { record: { triesLeft: number } }[] }).pins[0]!.record.triesLeft = 7),
        ),
      ),
    ).toBe('mf.children[0].pins[0].record.triesLeft');
    expect(
      fieldOf(
        broken(
          (s) => ((s.mf.children[0] as { pins: { policy: { tryLimit: number } }[] }).pins[0]!.policy.tryLimit = 0),
        ),
      ),
    ).toBe('mf.children[0].pins[0].policy.tryLimit');
    const ssse = (s: CardState): { children: { records?: string[]; read?: unknown }[] } =>
      s.mf.children[0] as unknown as { children: { records?: string[]; read?: unknown }[] };
    expect(fieldOf(broken((s) => (ssse(s).children[0]!.records![2] = '03'.repeat(19))))).toBe(
      'mf.children[0].children[0].records[2]',
    );
    expect(fieldOf(broken((s) => (ssse(s).children[0]!.read = { kind: 'sometimes' })))).toBe(
      'mf.children[0].children[0].read.kind',
    );
    expect(fieldOf(broken((s) => ssse(s).children.push(ssse(s).children[0]!)))).toBe('mf.children[0].children[5]');
  });

  function problemOf(input: unknown): ImageFormatError {
    return expectThrowsClass(() => importState(input), ImageFormatError);
  }

  it('says what is wrong with a hex field: where the bad character is, or an odd digit count, never the text', () => {
    const record = (value: string) =>
      broken(
        (s) => ((s.mf.children[0] as unknown as { children: { records: string[] }[] }).children[0]!.records[0] = value),
      );
    const nonHex = problemOf(record('07094131303530303033G1'));
    expect(nonHex.field).toBe('mf.children[0].children[0].records[0]');
    expect(nonHex.kind).toBe('value');
    expect(nonHex.problem).toBe('non-hex character at position 20 (expected hex digits without spaces)');
    expect(nonHex.file).toBeUndefined();
    expect(nonHex.message).toBe(`card image field ${nonHex.field}: ${nonHex.problem}`);
    expect(nonHex.message).not.toContain('G');
    expect(problemOf(record('0709 4131')).problem).toBe(
      'white space at position 4 (expected hex digits without spaces)',
    );
    expect(problemOf(record('070941313')).problem).toBe('odd number of hex digits (9); expected whole bytes');
  });

  it('says what kind of problem a field has', () => {
    const ssse = (s: CardState) =>
      s.mf.children[0] as unknown as { fid: unknown; keys: Record<string, unknown>[]; children: unknown[] };
    const kinds = [
      problemOf(broken((s) => (ssse(s).fid = 3))),
      problemOf(broken((s) => delete ssse(s).keys[0]!['usage'])),
      problemOf(broken((s) => (ssse(s).keys[0]!['usage'] = 'anything'))),
      problemOf(broken((s) => ssse(s).children.push({ ...(ssse(s).children[0] as object) }))),
    ].map((e) => [e.field, e.kind]);
    expect(kinds).toEqual([
      ['mf.children[0].fid', 'type'],
      ['mf.children[0].keys[0].usage', 'missing'],
      ['mf.children[0].keys[0].usage', 'value'],
      ['mf.children[0].children[5]', 'tree'],
    ]);
  });

  it('refuses fields it does not know at any depth, so no data is lost at the next save', () => {
    const at = (mutate: (s: EditableJson) => void): [string, string] => {
      const e = problemOf(broken((s) => mutate(s as unknown as EditableJson)));
      return [e.field, e.kind];
    };
    expect(at((s) => (s.comment = 'x'))).toEqual(['comment', 'unknown-field']);
    expect(at((s) => (s.mf.dfName = 'A000'))).toEqual(['mf.dfName', 'unknown-field']);
    expect(at((s) => (s.mf.children[0].note = 1))).toEqual(['mf.children[0].note', 'unknown-field']);
    expect(at((s) => (s.mf.children[0].keys[0].counter = 1))).toEqual([
      'mf.children[0].keys[0].counter',
      'unknown-field',
    ]);
    expect(at((s) => (s.mf.children[0].pins[0].record.lastTry = 1))).toEqual([
      'mf.children[0].pins[0].record.lastTry',
      'unknown-field',
    ]);
    expect(at((s) => (s.mf.children[0].pins[0].record.verifier.pepper = '00'))).toEqual([
      'mf.children[0].pins[0].record.verifier.pepper',
      'unknown-field',
    ]);
    expect(at((s) => (s.mf.children[0].pins[0].policy.initialPinVerifier.pepper = '00'))).toEqual([
      'mf.children[0].pins[0].policy.initialPinVerifier.pepper',
      'unknown-field',
    ]);
    expect(at((s) => (s.mf.children[0].children[0].read.pin = 'app'))).toEqual([
      'mf.children[0].children[0].read.pin',
      'unknown-field',
    ]);
    // A record EF holds no transparent data, and a transparent EF no records.
    expect(at((s) => (s.mf.children[0].children[0].data = ''))).toEqual([
      'mf.children[0].children[0].data',
      'unknown-field',
    ]);
    expect(at((s) => (s.mf.children[0].children[2].records = []))).toEqual([
      'mf.children[0].children[2].records',
      'unknown-field',
    ]);
  });

  it('keeps access conditions and labels', () => {
    const mf = new MasterFile();
    mf.addDf({ fid: 0xdf01, label: 'A' }).addEf({
      fid: 0xef01,
      structure: 'transparent',
      size: 2,
      write: afterPin('p'),
    });
    const back = importState(exportState(mf));
    const ef = back.nodeAt([0xdf01, 0xef01]);
    expect(ef?.kind === 'ef' && ef.write).toEqual({ kind: 'pin', pin: 'p' });
    expect(back.nodeAt([0xdf01])?.name).toBe('A');
  });
});
