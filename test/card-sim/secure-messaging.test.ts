import { describe as group, expect, it } from 'vitest';
import { concatBytes, encodeAn, fromHex, toHex } from '../../src/apdu/index.js';
import {
  ALWAYS,
  CardTreeError,
  ImageFormatError,
  MasterFile,
  SimulatedCard,
  afterKey,
  afterKeyWithMac,
  describeAccess,
  exportState,
  importState,
  type CardState,
  type ElementaryFile,
  SSC_FIDS,
  SSSE_DF_NAME,
  buildSscCard,
} from '../../src/card-sim/index.js';
import { SSC_KEYS, type SscKeyName } from '../../src/keys/index.js';
import { referenceEcb, referenceMac } from './crypto-oracle.js';
import { cardKey, subject, type Subject } from './subjects.js';
import { send, sw, swHex } from '../support/card-exchange.js';
import { expectThrowsClass } from '../support/throws.js';

/*
 * Secure messaging on file writes, through APDU bytes. DF10 (health) writes need EXTERNAL
 * AUTHENTICATE with the health key AND a command sent as CLA 04 with data || MAC4, the MAC made
 * with the health key over CLA INS P1 P2 || Lc || data, IV = a GET CHALLENGE value used once.
 * Keys come from the published TEST master keys diversified with the card identifier; the MACs
 * and cryptograms are computed by the test's own node:crypto oracle, not by the card's code.
 */

const SELECT_SSSE = concatBytes(fromHex('00A404000F'), SSSE_DF_NAME);
const SELECT_DF10 = '00A4000C02DF10';
const SELECT_EF08 = '00A4020C02EF08';
/** READ RECORD n of SFI 7 (EF07) / SFI 8 (EF08) / SFI 5 (EF05): P2 = SFI<<3 | 4. */
const P2_EF05 = 0x2c;
const P2_EF07 = 0x3c;
const P2_EF08 = 0x44;

const subjects = [subject('zhang-wei', '3des'), subject('li-xiuying', 'sm4')];

function blockOf(s: Subject): number {
  return s.algorithm === 'sm4' ? 16 : 8;
}

/** GET CHALLENGE 8 (asserting 9000) and the challenge bytes. */
function challenge(card: SimulatedCard): Uint8Array {
  const r = send(card, '0084000008');
  expect(swHex(r.sw)).toBe('9000');
  return r.data;
}

/** GET CHALLENGE + EXTERNAL AUTHENTICATE with key `name`; the SW of the latter. */
function authenticate(card: SimulatedCard, s: Subject, name: SscKeyName = 'HEALTH'): string {
  const block = new Uint8Array(blockOf(s));
  block.set(challenge(card));
  const cryptogram = referenceEcb(s.algorithm, cardKey(s, name), block);
  return sw(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, SSC_KEYS[name].kid, cryptogram.length), cryptogram));
}

interface MacOptions {
  /** MAC key (default the health key). */
  key?: Uint8Array;
  /** IV to use instead of asking the card for a challenge (then no GET CHALLENGE is sent). */
  iv?: Uint8Array;
  /** Flip one MAC bit. */
  corrupt?: boolean;
  /** Header the MAC is computed over, when it differs from the one sent. */
  macHeader?: string;
}

/**
 * A write with secure messaging: `header Lc data || MAC4`, MAC over header || Lc || data with IV
 * = a fresh GET CHALLENGE (unless `opts.iv`). Returns the command bytes (not sent).
 */
function macWrite(
  card: SimulatedCard,
  s: Subject,
  header: string,
  data: Uint8Array,
  opts: MacOptions = {},
): Uint8Array {
  const iv = opts.iv ?? challenge(card);
  const lc = Uint8Array.of(data.length + 4);
  const mac = referenceMac(
    s.algorithm,
    opts.key ?? cardKey(s, 'HEALTH'),
    concatBytes(fromHex(opts.macHeader ?? header), lc, data),
    iv,
  );
  if (opts.corrupt === true) mac[3] = (mac[3] as number) ^ 0x80;
  return concatBytes(fromHex(header), lc, data, mac);
}

function plainWrite(header: string, data: Uint8Array): Uint8Array {
  return concatBytes(fromHex(header), Uint8Array.of(data.length), data);
}

function historyRecord(diagnosis: string): Uint8Array {
  // date 4 cn || ICD-10 8 an || diagnosis 60 an || institution 24 an = 96 bytes.
  return concatBytes(
    fromHex('20250301'),
    encodeAn('J06.900', 8),
    encodeAn(diagnosis, 60),
    encodeAn('12110000400688702Q', 24),
  );
}

function allergyRecord(substance: string): Uint8Array {
  return concatBytes(encodeAn(substance, 20), encodeAn('皮疹', 100));
}

function healthFile(card: SimulatedCard, fid: number): ElementaryFile {
  const node = card.tree.nodeAt([SSC_FIDS.SSSE, SSC_FIDS.DF10, fid]);
  if (node?.kind !== 'ef') throw new Error(`no DF10 EF ${fid.toString(16)}`);
  return node;
}

function contents(card: SimulatedCard): string[][] {
  return [SSC_FIDS.EF05, SSC_FIDS.EF07, SSC_FIDS.EF08].map((fid) =>
    healthFile(card, fid)
      .records()
      .map((r) => toHex(r)),
  );
}

function healthKeyTries(card: SimulatedCard): number {
  return card.tree.findByDfName(SSSE_DF_NAME)?.key(SSC_KEYS.HEALTH.kid)?.triesLeft ?? -1;
}

/** A powered SSC card with SSSE, then DF10, selected. */
function df10Card(s: Subject, onDurableChange?: (state: CardState) => void): SimulatedCard {
  const card = buildSscCard(
    s.doc,
    onDurableChange === undefined ? { powered: true } : { powered: true, onDurableChange },
  );
  expect(sw(card, SELECT_SSSE)).toBe('9000');
  expect(sw(card, SELECT_DF10)).toBe('9000');
  return card;
}

for (const s of subjects) {
  group(`DF10 writes with secure messaging, ${s.who} (${s.algorithm})`, () => {
    it('the SSC profile demands key-and-mac with the health key for DF10 EF05, EF07 and EF08 (and only there)', () => {
      const card = buildSscCard(s.doc);
      for (const fid of [SSC_FIDS.EF05, SSC_FIDS.EF07, SSC_FIDS.EF08]) {
        expect(healthFile(card, fid).write).toEqual({ kind: 'key-and-mac', keyId: SSC_KEYS.HEALTH.kid });
      }
      const work = card.tree.nodeAt([SSC_FIDS.SSSE, SSC_FIDS.DF02, SSC_FIDS.EF07]);
      expect(work?.kind === 'ef' ? work.write : undefined).toEqual(afterKey(SSC_KEYS.UKSSSE.kid));
    });

    it("after EXTERNAL AUTHENTICATE a MAC'd UPDATE RECORD (P1=00 P2=03) writes a new record 1 of EF08", () => {
      const card = df10Card(s);
      const before = healthFile(card, SSC_FIDS.EF08)
        .records()
        .map((r) => toHex(r));
      expect(authenticate(card, s)).toBe('9000');
      expect(sw(card, SELECT_EF08)).toBe('9000');
      const record = historyRecord('急性上呼吸道感染');
      expect(sw(card, macWrite(card, s, '04DC0003', record))).toBe('9000');
      // Read it back through APDUs (reading needs the PIN).
      expect(sw(card, '0020000003123456')).toBe('9000');
      const read = send(card, `00B201${P2_EF08.toString(16)}00`);
      expect([toHex(read.data), swHex(read.sw)]).toEqual([toHex(record), '9000']);
      if (before[0] !== undefined) expect(toHex(send(card, `00B202${P2_EF08.toString(16)}00`).data)).toBe(before[0]);
      expect(healthKeyTries(card)).toBe(3);
    });

    it("a MAC'd APPEND RECORD on EF07 and a MAC'd UPDATE RECORD of DF10/EF05 record 1 by SFI", () => {
      const card = df10Card(s);
      expect(authenticate(card, s)).toBe('9000');
      const allergy = allergyRecord('青霉素');
      expect(sw(card, macWrite(card, s, '04E20038', allergy))).toBe('9000');
      // One EXTERNAL AUTHENTICATE covers several writes; each write needs its own challenge.
      expect(sw(card, macWrite(card, s, `04DC01${P2_EF05.toString(16)}`, fromHex('34')))).toBe('9000');
      expect(healthFile(card, SSC_FIDS.EF07).record(1)).toEqual(allergy);
      expect(toHex(healthFile(card, SSC_FIDS.EF05).record(1)!)).toBe('34');
      expect(sw(card, '0020000003123456')).toBe('9000');
      expect(toHex(send(card, `00B201${P2_EF07.toString(16)}00`).data)).toBe(toHex(allergy));
    });

    it('a plain write is refused with 6982, even after EXTERNAL AUTHENTICATE, and writes nothing', () => {
      const card = df10Card(s);
      const before = contents(card);
      expect(authenticate(card, s)).toBe('9000');
      expect(sw(card, SELECT_EF08)).toBe('9000');
      expect(sw(card, plainWrite('00DC0003', historyRecord('x')))).toBe('6982');
      expect(sw(card, plainWrite('00E20038', allergyRecord('x')))).toBe('6982');
      expect(sw(card, plainWrite(`00DC01${P2_EF05.toString(16)}`, fromHex('34')))).toBe('6982');
      expect(card.securityState().authenticatedKeys).toContain(SSC_KEYS.HEALTH.kid);
      expect(contents(card)).toEqual(before);
    });

    it('a correct MAC without EXTERNAL AUTHENTICATE is not enough: 6982, nothing written, no key try lost', () => {
      const card = df10Card(s);
      const before = contents(card);
      expect(sw(card, macWrite(card, s, '04E20038', allergyRecord('x')))).toBe('6982');
      expect(contents(card)).toEqual(before);
      expect(healthKeyTries(card)).toBe(3);
    });

    it('a bad MAC answers 6988, writes nothing, spends a health-key try durably and ends the authentication', () => {
      const states: CardState[] = [];
      const card = df10Card(s, (state) => states.push(state));
      const before = contents(card);
      expect(authenticate(card, s)).toBe('9000');
      states.length = 0;
      expect(sw(card, macWrite(card, s, '04E20038', allergyRecord('x'), { corrupt: true }))).toBe('6988');
      expect(contents(card)).toEqual(before);
      expect(healthKeyTries(card)).toBe(2);
      // The spent try reached the persistence hook before the answer.
      const ssseState = (st: CardState) => st.mf.children.find((c) => c.type === 'df' && c.label === 'SSSE');
      const keyState = (st: CardState) =>
        (ssseState(st) as { keys: { id: number; triesLeft: number }[] }).keys.find((k) => k.id === SSC_KEYS.HEALTH.kid);
      expect(states.map((st) => keyState(st)?.triesLeft)).toEqual([2]);
      // A good MAC'd write now still fails: the bad MAC ended the authentication.
      expect(card.securityState().authenticatedKeys).not.toContain(SSC_KEYS.HEALTH.kid);
      expect(sw(card, macWrite(card, s, '04E20038', allergyRecord('y')))).toBe('6982');
      expect(contents(card)).toEqual(before);
      expect(authenticate(card, s)).toBe('9000');
      expect(healthKeyTries(card)).toBe(3);
      expect(sw(card, macWrite(card, s, '04E20038', allergyRecord('y')))).toBe('9000');
    });

    it('the MAC covers the whole header and the data and needs the health key: each change is 6988', () => {
      const card = df10Card(s);
      const before = contents(card);
      expect(authenticate(card, s)).toBe('9000');
      expect(sw(card, SELECT_EF08)).toBe('9000');
      const record = historyRecord('x');
      // Made for P2=03 (new record 1), sent for P2=01 (overwrite the last record).
      expect(sw(card, macWrite(card, s, '04DC0001', record, { macHeader: '04DC0003' }))).toBe('6988');
      expect(authenticate(card, s)).toBe('9000');
      // Made with CLA 00 in the header.
      expect(sw(card, macWrite(card, s, '04DC0003', record, { macHeader: '00DC0003' }))).toBe('6988');
      expect(authenticate(card, s)).toBe('9000');
      // Made with another card key (UKSSSE) of the same card.
      expect(sw(card, macWrite(card, s, '04DC0003', record, { key: cardKey(s, 'UKSSSE') }))).toBe('6988');
      expect(authenticate(card, s)).toBe('9000');
      // One data byte changed after the MAC was made.
      const tampered = macWrite(card, s, '04DC0003', record);
      tampered[10] = (tampered[10] as number) ^ 0x01;
      expect(sw(card, tampered)).toBe('6988');
      expect(contents(card)).toEqual(before);
    });

    it('without a pending challenge: 6984, nothing written, no key try spent', () => {
      const card = df10Card(s);
      const before = contents(card);
      expect(authenticate(card, s)).toBe('9000');
      // EXTERNAL AUTHENTICATE used up its challenge; the MAC is made with a guessed (zero) IV.
      expect(sw(card, macWrite(card, s, '04E20038', allergyRecord('x'), { iv: new Uint8Array(8) }))).toBe('6984');
      expect(contents(card)).toEqual(before);
      expect(healthKeyTries(card)).toBe(3);
    });

    it("a replayed MAC'd write is refused: 6984 (challenge used up), then 6988 under a new challenge; written once", () => {
      const card = df10Card(s);
      expect(authenticate(card, s)).toBe('9000');
      const allergy = allergyRecord('青霉素');
      const command = macWrite(card, s, '04E20038', allergy);
      expect(sw(card, command)).toBe('9000');
      const after = contents(card);
      expect(sw(card, command)).toBe('6984');
      challenge(card);
      expect(sw(card, command)).toBe('6988');
      expect(contents(card)).toEqual(after);
      expect(
        healthFile(card, SSC_FIDS.EF07)
          .records()
          .filter((r) => toHex(r) === toHex(allergy)),
      ).toHaveLength(1);
    });

    it("three bad MACs block the health key: then 6983 for MAC'd writes and for EXTERNAL AUTHENTICATE", () => {
      const card = df10Card(s);
      // The MAC is checked before the write condition: a bad one costs a try with or without
      // authentication (the authentication ends at the first one anyway).
      expect(authenticate(card, s)).toBe('9000');
      for (let i = 0; i < 3; i++) {
        expect(sw(card, macWrite(card, s, '04E20038', allergyRecord('x'), { corrupt: true }))).toBe('6988');
      }
      expect(healthKeyTries(card)).toBe(0);
      expect(sw(card, macWrite(card, s, '04E20038', allergyRecord('x')))).toBe('6983');
      expect(authenticate(card, s)).toBe('6983');
    });

    it('length and class: data no longer than the MAC is 6700; CLA 84 for UPDATE RECORD is 6E00', () => {
      const card = df10Card(s);
      expect(authenticate(card, s)).toBe('9000');
      challenge(card);
      expect(sw(card, '04E2003804AABBCCDD')).toBe('6700');
      expect(sw(card, '04E2003803AABBCC')).toBe('6700');
      expect(sw(card, plainWrite('84DC0003', allergyRecord('x')))).toBe('6E00');
      // A MAC'd record of the wrong length: the MAC is fine, the file refuses the length.
      expect(sw(card, macWrite(card, s, '04E20038', new Uint8Array(119)))).toBe('6700');
    });
  });
}

group('secure messaging on other files (generic access model)', () => {
  const s = subjects[0]!;

  it("a keyed write condition also accepts a MAC'd write, checked with that key (DF02 work record, UKSSSE)", () => {
    const card = buildSscCard(s.doc, { powered: true });
    expect(sw(card, SELECT_SSSE)).toBe('9000');
    expect(sw(card, '00A4000C02DF02')).toBe('9000');
    expect(authenticate(card, s, 'UKSSSE')).toBe('9000');
    const record = concatBytes(encodeAn('E000003', 7), fromHex('20250101FFFFFFFF'), encodeAn('上海某公司', 70));
    expect(sw(card, macWrite(card, s, '04DC003B', record, { key: cardKey(s, 'HEALTH') }))).toBe('6988');
    expect(authenticate(card, s, 'UKSSSE')).toBe('9000');
    expect(sw(card, macWrite(card, s, '04DC003B', record, { key: cardKey(s, 'UKSSSE') }))).toBe('9000');
    const work = card.tree.nodeAt([SSC_FIDS.SSSE, SSC_FIDS.DF02, SSC_FIDS.EF07]);
    expect(work?.kind === 'ef' ? work.record(1) : undefined).toEqual(record);
  });

  function transparentCard(): { card: SimulatedCard; key: Uint8Array } {
    const key = fromHex('00112233445566778899AABBCCDDEEFF');
    const mf = new MasterFile({});
    const app = mf.addDf({ fid: 0x1000, dfName: fromHex('A00000000101'), label: 'APP' });
    app.addKey({ id: 0x09, algorithm: '3des', key, usage: 'external-auth' });
    app.addEf({ fid: 0x0001, structure: 'transparent', size: 8, write: afterKeyWithMac(0x09) });
    app.addEf({ fid: 0x0002, structure: 'transparent', size: 8, write: ALWAYS });
    const card = new SimulatedCard({ tree: mf, powered: true });
    expect(sw(card, '00A4040006A00000000101')).toBe('9000');
    return { card, key };
  }

  it('UPDATE BINARY with secure messaging (04 D6) on a key-and-mac transparent EF; plain 6982', () => {
    const { card, key } = transparentCard();
    expect(sw(card, '00A4020C020001')).toBe('9000');
    const ch = challenge(card);
    const crypt = referenceEcb('3des', key, ch);
    expect(sw(card, concatBytes(fromHex('0082000908'), crypt))).toBe('9000');
    expect(sw(card, '00D6000202CAFE')).toBe('6982');
    const iv = challenge(card);
    const mac = referenceMac('3des', key, fromHex('04D6000206CAFE'), iv);
    expect(sw(card, concatBytes(fromHex('04D6000206CAFE'), mac))).toBe('9000');
    const read = send(card, '00B0000008');
    expect([toHex(read.data), swHex(read.sw)]).toEqual(['0000CAFE00000000', '9000']);
  });

  it('CLA 04 to a file whose write condition names no key: 6982 (nothing to check the MAC with)', () => {
    const { card } = transparentCard();
    expect(sw(card, '00A4020C020002')).toBe('9000');
    challenge(card);
    expect(sw(card, '04D6000005CA00000000')).toBe('6982');
    expect(sw(card, '00D6000001CA')).toBe('9000');
  });

  it('key-and-mac is a write condition only; it reads as "key:9+mac"', () => {
    const mf = new MasterFile({});
    const app = mf.addDf({ fid: 0x1000 });
    expect(() => app.addEf({ fid: 0x0001, structure: 'transparent', size: 1, read: afterKeyWithMac(9) })).toThrow(
      CardTreeError,
    );
    expect(describeAccess(afterKeyWithMac(9))).toBe('key:9+mac');
  });
});

group('card state carries key-and-mac', () => {
  const s = subjects[1]!;
  type Json = Record<string, unknown>;
  const df10Efs = (state: Json): Json[] => {
    const ssse = ((state['mf'] as Json)['children'] as Json[]).find((c) => c['label'] === 'SSSE') as Json;
    const df10 = (ssse['children'] as Json[]).find((c) => c['label'] === 'DF10') as Json;
    return df10['children'] as Json[];
  };

  it('export / import round trip; the restored card still demands the MAC', () => {
    const card = buildSscCard(s.doc, { powered: true });
    const state = card.exportState();
    const json = JSON.parse(JSON.stringify(state)) as Json;
    for (const ef of df10Efs(json)) expect(ef['write']).toEqual({ kind: 'key-and-mac', keyId: SSC_KEYS.HEALTH.kid });
    expect(exportState(importState(json))).toEqual(state);

    const restored = SimulatedCard.fromState(json, { powered: true });
    expect(sw(restored, SELECT_SSSE)).toBe('9000');
    expect(sw(restored, SELECT_DF10)).toBe('9000');
    expect(authenticate(restored, s)).toBe('9000');
    expect(sw(restored, plainWrite('00E20038', allergyRecord('x')))).toBe('6982');
    expect(sw(restored, macWrite(restored, s, '04E20038', allergyRecord('x')))).toBe('9000');
  });

  function importError(mutate: (ef: Json, state: Json) => void): ImageFormatError {
    const state = JSON.parse(JSON.stringify(buildSscCard(s.doc).exportState())) as Json;
    mutate(df10Efs(state)[1] as Json, state);
    return expectThrowsClass(() => importState(state), ImageFormatError);
  }

  it('a malformed or misplaced key-and-mac is refused by field name', () => {
    expect(
      importError((ef) => {
        ef['write'] = { kind: 'key-and-mac' };
      }).field,
    ).toMatch(/\.children\[1\]\.write\.keyId$/);
    expect(
      importError((ef) => {
        ef['read'] = { kind: 'key-and-mac', keyId: 3 };
      }).field,
    ).toMatch(/\.children\[1\]\.read\.kind$/);
    // A version 1 state (clear initial PINs, no lifecycle, no recordLengths) never held it.
    const asVersionOne = (state: Json): void => {
      state['version'] = 1;
      delete state['cardBlocked'];
      const walk = (df: Json): void => {
        for (const p of df['pins'] as { policy: Json }[]) {
          delete p.policy['initialPinVerifier'];
          p.policy['initialPin'] = '123456';
        }
        for (const c of df['children'] as Json[]) {
          if (c['type'] === 'df') walk(c);
          else delete c['recordLengths'];
        }
      };
      walk(state['mf'] as Json);
    };
    expect(importError((_, state) => asVersionOne(state)).field).toMatch(/\.write\.kind$/);
  });
});
