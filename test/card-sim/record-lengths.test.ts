import { describe as group, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/apdu/index.js';
import {
  CardTreeError,
  ElementaryFile,
  MasterFile,
  exportState,
  importState,
  type CardState,
  samplePerson,
  SSC_FIDS,
  SSSE_DF_NAME,
  buildSscCard,
} from '../../src/card-sim/index.js';
import {
  authenticationCryptogram,
  commandMac,
  diversifyKey,
  issuerTestMasterKey,
  SSC_KEYS,
} from '../../src/keys/index.js';
import { SSC_EF05_ITEMS, SSC_EF06_ITEMS } from '../../src/records/index.js';
import { send, sw, thrownSw } from '../support/card-exchange.js';

function apdu(header: string, data: Uint8Array): Uint8Array {
  return concatBytes(fromHex(header), Uint8Array.of(data.length), data);
}

const bytes = (n: number, fill = 0x31): Uint8Array => new Uint8Array(n).fill(fill);

group('linear-variable EFs with a fixed length per record', () => {
  function file(records?: Uint8Array[]): ElementaryFile {
    return new ElementaryFile({
      fid: 0xef05,
      structure: 'linear-variable',
      recordLengths: [3, 1, 5],
      records: records ?? [bytes(3), bytes(1)],
    });
  }

  it('derives recordLength (the longest) and maxRecords (the count) from recordLengths', () => {
    const ef = file();
    expect(ef.recordLength).toBe(5);
    expect(ef.maxRecords).toBe(3);
    expect(ef.recordLengths).toEqual([3, 1, 5]);
  });

  it('UPDATE RECORD must give a record exactly its own length (6700 otherwise, nothing changed)', () => {
    const ef = file();
    expect(thrownSw(() => ef.updateRecord(1, bytes(1)))).toBe(0x6700);
    expect(thrownSw(() => ef.updateRecord(1, bytes(5)))).toBe(0x6700);
    expect(thrownSw(() => ef.updateRecord(2, bytes(3)))).toBe(0x6700);
    expect(toHex(ef.record(1)!)).toBe('313131');
    ef.updateRecord(1, bytes(3, 0x41));
    expect(toHex(ef.record(1)!)).toBe('414141');
  });

  it('APPEND RECORD fills the next position with its own length, then 6A84', () => {
    const ef = file();
    expect(thrownSw(() => ef.appendRecord(bytes(3)))).toBe(0x6700);
    expect(ef.appendRecord(bytes(5))).toBe(3);
    expect(thrownSw(() => ef.appendRecord(bytes(5)))).toBe(0x6a84);
  });

  it('a file without recordLengths still takes any length up to recordLength', () => {
    const ef = new ElementaryFile({ fid: 0xef05, structure: 'linear-variable', recordLength: 5, records: [bytes(3)] });
    ef.updateRecord(1, bytes(1));
    ef.updateRecord(1, bytes(5));
    expect(thrownSw(() => ef.updateRecord(1, bytes(6)))).toBe(0x6700);
    expect(ef.recordLengths).toBeUndefined();
  });

  it('refuses inconsistent definitions while building', () => {
    const bad = [
      { fid: 1, structure: 'linear-fixed', recordLength: 3, recordLengths: [3] },
      { fid: 1, structure: 'linear-variable', recordLength: 4, recordLengths: [3, 2] },
      { fid: 1, structure: 'linear-variable', maxRecords: 3, recordLengths: [3, 2] },
      { fid: 1, structure: 'linear-variable', recordLengths: [] },
      { fid: 1, structure: 'linear-variable', recordLengths: [3, 0] },
      { fid: 1, structure: 'linear-variable', recordLengths: [3, 2], records: [bytes(2)] },
      { fid: 1, structure: 'transparent', recordLengths: [3] },
    ] as const;
    for (const options of bad) {
      expect(() => new ElementaryFile(options as never), JSON.stringify(options)).toThrow(CardTreeError);
    }
  });

  it('state export keeps recordLengths (only where set) and import enforces them, field named', () => {
    const mf = new MasterFile();
    const df = mf.addDf({ fid: 0xdf01 });
    df.addEf({
      fid: 0xef05,
      sfi: 5,
      structure: 'linear-variable',
      recordLengths: [3, 1],
      records: [bytes(3), bytes(1)],
    });
    df.addEf({ fid: 0xef06, sfi: 6, structure: 'linear-variable', recordLength: 4, records: [bytes(2)] });
    const state = exportState(mf);
    const efs = (state.mf.children[0] as unknown as { children: Record<string, unknown>[] }).children;
    expect(efs[0]!['recordLengths']).toEqual([3, 1]);
    expect('recordLengths' in efs[1]!).toBe(false);
    const back = importState(JSON.parse(JSON.stringify(state)));
    const ef = back.nodeAt([0xdf01, 0xef05]) as ElementaryFile;
    expect(ef.recordLengths).toEqual([3, 1]);
    expect(thrownSw(() => ef.updateRecord(2, bytes(3)))).toBe(0x6700);

    const broken = JSON.parse(JSON.stringify(state)) as CardState & {
      mf: { children: { children: Record<string, unknown>[] }[] };
    };
    broken.mf.children[0]!.children[0]!['records'] = ['313131', '3131'];
    expect(() => importState(broken)).toThrow(
      expect.objectContaining({
        field: 'mf.children[0].children[0].records[1]',
        kind: 'tree',
        problem: 'length 2, record 2 is 1 bytes',
      }),
    );
    broken.mf.children[0]!.children[0]!['recordLengths'] = [3, 'x'];
    expect(() => importState(broken)).toThrow(
      expect.objectContaining({ field: 'mf.children[0].children[0].recordLengths[1]', kind: 'type' }),
    );
  });
});

group('SSC profile: EF05, EF06 and DF10/EF05 have one length per record', () => {
  it('the SSSE files carry the item lengths (tag + length + value)', () => {
    const card = buildSscCard(samplePerson('zhang-wei'));
    const ssse = card.tree.findByDfName(SSSE_DF_NAME)!;
    const ef05 = ssse.child(SSC_FIDS.EF05) as ElementaryFile;
    const ef06 = ssse.child(SSC_FIDS.EF06) as ElementaryFile;
    expect(ef05.recordLengths).toEqual(SSC_EF05_ITEMS.map((i) => i.length + 2));
    expect(ef06.recordLengths).toEqual(SSC_EF06_ITEMS.map((i) => i.length + 2));
    expect(ef05.records().map((r) => r.length)).toEqual(ef05.recordLengths);
    // Not writable through APDUs, but the file itself refuses a wrong length: record 7 (card number) is 11 bytes.
    expect(thrownSw(() => ef05.updateRecord(7, bytes(10)))).toBe(0x6700);
  });

  it('UPDATE RECORD on DF10/EF05 (health basics) with a wrong length answers 6700, the right length 9000', () => {
    const doc = samplePerson('li-xiuying');
    const card = buildSscCard(doc, { powered: true });
    expect(sw(card, concatBytes(fromHex('00A404000F'), SSSE_DF_NAME))).toBe('9000');
    expect(sw(card, '00A4000002DF10')).toBe('9000');
    const challenge = send(card, '0084000008');
    const key = diversifyKey(issuerTestMasterKey('HEALTH'), doc.card.identifier, 'sm4');
    const cryptogram = authenticationCryptogram('sm4', key, challenge.data);
    expect(sw(card, apdu(`008200${SSC_KEYS.HEALTH.kid.toString(16).padStart(2, '0')}`, cryptogram))).toBe('9000');
    // DF10 writes come with secure messaging: a fresh challenge, then `04 DC ..` data || MAC (health key).
    const macd = (header: string, data: Uint8Array): Uint8Array => {
      const iv = send(card, '0084000008').data;
      return apdu(header, concatBytes(data, commandMac('sm4', key, fromHex(header), data, iv)));
    };
    // Record 1 (ABO blood type) is 1 byte; record 15 (other warning) is 40 bytes. SFI 5: P2 = 5<<3 | 4 = 2C.
    expect(sw(card, macd('04DC012C', fromHex('3132')))).toBe('6700');
    expect(sw(card, macd('04DC012C', bytes(40, 0x20)))).toBe('6700');
    expect(sw(card, macd('04DC0F2C', fromHex('31')))).toBe('6700');
    expect(sw(card, macd('04DC012C', fromHex('33')))).toBe('9000');
    expect(sw(card, macd('04DC0F2C', bytes(40, 0x41)))).toBe('9000');
    expect(sw(card, '0020000000')).toBe('63C6'); // PIN not needed for writing; read needs it
    expect(sw(card, '0020000003123456')).toBe('9000');
    expect(toHex(send(card, '00B2012C00').data)).toBe('33');
    expect(toHex(send(card, '00B20F2C00').data)).toBe('41'.repeat(40));
  });
});
