import { describe, expect, it } from 'vitest';
import { SimulatedCard, buildSscCard, samplePerson } from '../../../src/card-sim/index.js';
import { SSC_KEYS, issuerTestMasterKey } from '../../../src/keys/index.js';
import {
  AuthenticationFailedError,
  CardKeyMissingError,
  InvalidArgumentError,
  IssuerKeyMissingError,
  SoftwarePsam,
} from '../../../src/terminal/index.js';
import { stateJson, windowRig, WINDOW_KEYS } from './rig.js';

/*
 * A window corrects the cardholder data on the chip: EXTERNAL AUTHENTICATE with the issuance key
 * (04), then UPDATE RECORD of EF06. On both algorithms and both spec versions (3.00 reads EF06
 * back only after RKSSSE, which the SscCard does itself).
 */

const PSAM_KEYS = [...WINDOW_KEYS, 'ISSUANCE'] as const;

describe.each([
  { who: 'zhang-wei', note: '3DES, spec 2.00' },
  { who: 'wang-yan', note: 'SM4, spec 3.00' },
])('IssuerTerminal.correctCardholder, $who ($note)', ({ who }) => {
  it('writes the fields given, after external authentication with key 04, and reads the holder back', async () => {
    const { card, window, trace } = await windowRig(who, { psam: SoftwarePsam.withTestKeys(PSAM_KEYS) });
    const before = await card.readCardholder();
    const from = trace.length;
    const after = await window.correctCardholder({ name: '欧阳娜娜', birthplace: '110108', birthDate: '1990-02-28' });
    expect(after).toEqual({ ...before, name: '欧阳娜娜', birthplace: '110108', birthDate: '1990-02-28' });
    const sent = trace.slice(from).map((e) => e.command.name);
    expect(sent).toContain('EXTERNAL AUTHENTICATE');
    // name, name extension, birthplace, birth date: four records, nothing else written.
    expect(sent.filter((c) => c === 'UPDATE RECORD')).toHaveLength(4);
    // A fresh session (another terminal) reads the corrected data from the chip.
    expect(await card.readCardholder()).toEqual(after);
  });

  it('a name longer than tag 09 continues in its extension (4E), split at a character', async () => {
    const { window } = await windowRig(who, { psam: SoftwarePsam.withTestKeys(PSAM_KEYS) });
    const long = '买买提江·艾尔肯阿卜杜热合曼·吐尔逊';
    expect(Buffer.byteLength(long, 'utf8')).toBeGreaterThan(30);
    expect((await window.correctCardholder({ name: long, sex: '2' })).name).toBe(long);
  });
});

describe('IssuerTerminal.correctCardholder refusals', () => {
  it('bad values and unknown fields: InvalidArgumentError naming the field, nothing sent', async () => {
    const { window, sim, trace } = await windowRig('zhang-wei', { psam: SoftwarePsam.withTestKeys(PSAM_KEYS) });
    const state = stateJson(sim);
    const from = trace.length;
    for (const [changes, field] of [
      [{ sex: '3' }, 'sex'],
      [{ ethnicity: '1' }, 'ethnicity'],
      [{ birthplace: '11010' }, 'birthplace'],
      [{ birthDate: '1990-2-28' }, 'birthDate'],
      [{ birthDate: '1990-02-30' }, 'birthDate'],
      [{ name: '' }, 'name'],
      [{ name: '名'.repeat(40) }, 'name'],
      [{ idNumber: '110101199001011237' }, 'idNumber'],
      [{}, 'at least one field'],
    ] as const) {
      const err = await window.correctCardholder(changes as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(changes)).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain(field);
    }
    expect(trace.length).toBe(from);
    expect(stateJson(sim)).toBe(state);
  });

  it("a module without the issuance key: IssuerKeyMissingError; another issuer's key: refused by the card, EF06 unchanged", async () => {
    const { window } = await windowRig('zhang-wei');
    await expect(window.correctCardholder({ sex: '2' })).rejects.toBeInstanceOf(IssuerKeyMissingError);
    const other = new SoftwarePsam({ RKSSSE: issuerTestMasterKey('RKSSSE'), ISSUANCE: new Uint8Array(16).fill(0x42) });
    const rig = await windowRig('zhang-wei', { psam: other });
    const before = await rig.card.readCardholder();
    const err = await rig.window
      .correctCardholder({ sex: before.sexCode === '1' ? '2' : '1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailedError);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', sw: 0x63c2, triesLeft: 2 });
    expect(await rig.card.readCardholder()).toEqual(before);
  });

  it('a card without the issuance key (an older image): CardKeyMissingError (6A88)', async () => {
    const state = buildSscCard(samplePerson('zhang-wei')).exportState();
    const ssse = state.mf.children.find((c) => c.type === 'df' && c.fid === '5353');
    if (ssse?.type !== 'df') throw new Error('no SSSE in the state');
    const keyCount = ssse.keys?.length ?? 0;
    ssse.keys = (ssse.keys ?? []).filter((k) => k.id !== SSC_KEYS.ISSUANCE.kid);
    expect(ssse.keys.length).toBe(keyCount - 1);
    const { window } = await windowRig('zhang-wei', {
      sim: SimulatedCard.fromState(state),
      psam: SoftwarePsam.withTestKeys(PSAM_KEYS),
    });
    const err = await window.correctCardholder({ sex: '1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardKeyMissingError);
    expect(err).toMatchObject({ code: 'CARD_KEY_MISSING', sw: 0x6a88 });
  });
});
