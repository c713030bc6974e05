import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/apdu/index.js';
import {
  CardTreeError,
  DedicatedFile,
  ElementaryFile,
  ImageFormatError,
  MasterFile,
  SimulatedCard,
  afterPin,
  exportState,
  importState,
  type CardState,
} from '../../src/card-sim/index.js';
import { buildTestTree, FID, send, selectSsse, testCard } from './fixtures.js';

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

  it('resolves paths and DF names', () => {
    const mf = buildTestTree();
    expect(mf.nodeAt([FID.SSSE, FID.DF02, FID.EF07])?.name).toBe('work record');
    expect(mf.nodeAt([FID.SSSE, 0x1234])).toBeUndefined();
    expect(mf.findByDfName(fromHex('A000000333010101'))?.label).toBe('bank');
  });
});

describe('card state export / import', () => {
  it('round-trips through JSON, keeps the counters and contents, and never holds the PIN digits', () => {
    const card = testCard();
    selectSsse(card);
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
    try {
      importState(input);
    } catch (err) {
      expect(err).toBeInstanceOf(ImageFormatError);
      expect((err as ImageFormatError).code).toBe('CARD_IMAGE_INVALID');
      return (err as ImageFormatError).field;
    }
    throw new Error('importState accepted a broken state');
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
      fieldOf(broken((s) => ((s.mf.children[0] as { pins: { record: { triesLeft: number } }[] }).pins[0]!.record.triesLeft = 7))),
    ).toBe('mf.children[0].pins[0].record.triesLeft');
    expect(
      fieldOf(broken((s) => ((s.mf.children[0] as { pins: { policy: { tryLimit: number } }[] }).pins[0]!.policy.tryLimit = 0))),
    ).toBe('mf.children[0].pins[0].policy.tryLimit');
    const ssse = (s: CardState): { children: { records?: string[]; read?: unknown }[] } =>
      s.mf.children[0] as unknown as { children: { records?: string[]; read?: unknown }[] };
    expect(fieldOf(broken((s) => (ssse(s).children[0]!.records![2] = '03'.repeat(19))))).toBe('mf.children[0].children[0].records[2]');
    expect(fieldOf(broken((s) => (ssse(s).children[0]!.read = { kind: 'sometimes' })))).toBe(
      'mf.children[0].children[0].read.kind',
    );
    expect(fieldOf(broken((s) => ssse(s).children.push(ssse(s).children[0]!)))).toBe('mf.children[0].children[5]');
  });

  it('says what is wrong with a hex field: the bad character and its position, or an odd digit count', () => {
    const messageOf = (input: unknown): string => {
      try {
        importState(input);
      } catch (err) {
        expect(err).toBeInstanceOf(ImageFormatError);
        return (err as Error).message;
      }
      throw new Error('importState accepted a broken state');
    };
    const record = (value: string) =>
      broken((s) => ((s.mf.children[0] as unknown as { children: { records: string[] }[] }).children[0]!.records[0] = value));
    expect(messageOf(record('07094131303530303033G1'))).toBe(
      'card image field mf.children[0].children[0].records[0]: non-hex character "G" at position 20 (expected hex digits without spaces)',
    );
    expect(messageOf(record('0709 4131'))).toBe(
      'card image field mf.children[0].children[0].records[0]: white space at position 4 (expected hex digits without spaces)',
    );
    expect(messageOf(record('070941313'))).toBe(
      'card image field mf.children[0].children[0].records[0]: odd number of hex digits (9); expected whole bytes',
    );
  });

  it('keeps access conditions and labels', () => {
    const mf = new MasterFile();
    mf.addDf({ fid: 0xdf01, label: 'A' }).addEf({ fid: 0xef01, structure: 'transparent', size: 2, write: afterPin('p') });
    const back = importState(exportState(mf));
    const ef = back.nodeAt([0xdf01, 0xef01]);
    expect(ef?.kind === 'ef' && ef.write).toEqual({ kind: 'pin', pin: 'p' });
    expect(back.nodeAt([0xdf01])?.name).toBe('A');
  });
});
