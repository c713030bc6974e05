import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/apdu/index.js';
import {
  SimulatedCard,
  loadCardImage,
  openCardImage,
  saveCardImage,
  BANK_AID,
  SSSE_DF_NAME,
  buildSscCard,
  buildSscTree,
  type DfState,
} from '../../src/card-sim/index.js';
import { SSC_KEYS, commandMac, diversifyKey, issuerTestMasterKey } from '../../src/keys/index.js';
import { expectTranscript, send, sw, swHex } from '../support/card-exchange.js';
import { tempDirPerTest } from '../support/temp-dir.js';
import { openImageFile } from './image-fixtures.js';
import { cardKey, subject, type Subject } from './subjects.js';

/*
 * Lifecycle commands through APDU bytes, with MACs computed by src/keys from the published TEST
 * master key APP_CONTROL diversified with the card identifier (what a terminal's secure module
 * does), against SSC cards built from the sample people.
 */

const SELECT_SSSE = toHex(concatBytes(fromHex('00A404000F'), SSSE_DF_NAME));
const SELECT_BANK = toHex(concatBytes(fromHex('00A4040008'), BANK_AID));
/** READ RECORD SFI 5 (EF05) record 7, the card number. */
const READ_EF05_CARD_NUMBER = '00B2072C00';

const tmp = tempDirPerTest('sscard-lifecycle-');

const subjects = [subject('zhang-wei', '3des'), subject('li-xiuying', 'sm4')];

const appControlKey = (s: Subject): Uint8Array => cardKey(s, 'APP_CONTROL');

/**
 * GET CHALLENGE, then `header 04 MAC4` with the MAC over header || 04 (IV = the challenge).
 * `corrupt` flips a MAC bit; `skipChallenge` sends the command without asking for a challenge.
 */
function lifecycle(
  card: SimulatedCard,
  s: Subject,
  header: string,
  opts: { corrupt?: boolean; skipChallenge?: boolean } = {},
): string {
  let challenge: Uint8Array = new Uint8Array(0);
  if (opts.skipChallenge !== true) {
    const ch = send(card, '0084000008');
    expect(swHex(ch.sw)).toBe('9000');
    challenge = ch.data;
  }
  const mac = lifecycleMac(s, header, challenge);
  if (opts.corrupt === true) mac[0] = (mac[0] as number) ^ 0x01;
  return sw(card, `${header}04${toHex(mac)}`);
}

/** The MAC of a lifecycle command header (no data) under `s`'s APP_CONTROL key, over `challenge`. */
function lifecycleMac(s: Subject, header: string, challenge: Uint8Array): Uint8Array {
  return commandMac(s.algorithm, appControlKey(s), fromHex(header), new Uint8Array(0), challenge);
}

/** A powered card for `s` with SSSE selected (the SELECT's answer is not the subject here). */
function cardInSsse(s: Subject): SimulatedCard {
  const card = buildSscCard(s.doc, { powered: true });
  sw(card, SELECT_SSSE);
  return card;
}

/** The card's SSSE APP_CONTROL key, whose tries the MAC rules count. */
function appControlKeyOf(card: SimulatedCard) {
  return card.tree.findByDfName(SSSE_DF_NAME)!.key(SSC_KEYS.APP_CONTROL.kid)!;
}

/** A card for `s` in SSSE that has refused a block with a bad MAC (6988): one key try spent. */
function cardAfterBadMac(s: Subject): { card: SimulatedCard; key: ReturnType<typeof appControlKeyOf> } {
  const card = cardInSsse(s);
  const key = appControlKeyOf(card);
  expect(lifecycle(card, s, '841E0000', { corrupt: true })).toBe('6988');
  expect(key.triesLeft).toBe(2);
  return { card, key };
}

for (const s of subjects) {
  group(`lifecycle commands, ${s.who} (${s.algorithm})`, () => {
    it('the SSC profile installs the application control key, diversified like the others', () => {
      const ssse = buildSscTree(s.doc).findByDfName(SSSE_DF_NAME)!;
      const key = ssse.key(SSC_KEYS.APP_CONTROL.kid);
      expect(key?.usage).toBe('lifecycle');
      expect(key?.algorithm).toBe(s.algorithm);
      expect(toHex(key!.key)).toBe(toHex(appControlKey(s)));
    });

    it('APPLICATION BLOCK (temporary): 6A81 for SELECT and every command in it; APPLICATION UNBLOCK lifts it', () => {
      const card = buildSscCard(s.doc, { powered: true });
      expect(sw(card, SELECT_SSSE)).toBe('9000');
      expect(sw(card, '0020000003123456')).toBe('9000');
      expect(lifecycle(card, s, '841E0000')).toBe('9000');
      expect(card.securityState().verifiedPins).toEqual([]);
      expect(sw(card, READ_EF05_CARD_NUMBER)).toBe('6A81');
      expect(sw(card, '0020000003123456')).toBe('6A81');
      expect(sw(card, '00A40000023F00')).toBe('9000');
      const select = send(card, SELECT_SSSE);
      expect(swHex(select.sw)).toBe('6A81');
      expect(toHex(select.data)).toBe('');
      expect(card.securityState().application).toBe('SSSE');
      expect(sw(card, '00A4000002DF10')).toBe('6A81');
      expect(sw(card, READ_EF05_CARD_NUMBER)).toBe('6A81');
      // DF10 (inside the blocked SSSE) was made current by the refused SELECT; the block is lifted there.
      expect(card.securityState().currentPath).toEqual([0x5353, 0xdf10]);
      expect(lifecycle(card, s, '84180000')).toBe('9000');
      expect(toHex(send(card, `${SELECT_SSSE}00`).data)).toMatch(/^6F/); // the FCI, asked for with Le
      expect(sw(card, READ_EF05_CARD_NUMBER)).toBe('9000');
      // Blocking twice temporarily is harmless; unblocking an application that is not blocked is 6985.
      expect(lifecycle(card, s, '84180000')).toBe('6985');
    });

    it('APPLICATION BLOCK (permanent): 9303 for SELECT, for everything in it and for APPLICATION UNBLOCK', () => {
      const card = cardInSsse(s);
      expect(lifecycle(card, s, '841E0001')).toBe('9000');
      expect(sw(card, READ_EF05_CARD_NUMBER)).toBe('9303');
      expect(lifecycle(card, s, '84180000')).toBe('9303');
      expect(lifecycle(card, s, '841E0000')).toBe('9303');
      card.reset();
      expect(sw(card, SELECT_SSSE)).toBe('9303');
      expect(sw(card, '0020000000')).toBe('9303');
      expect(sw(card, '00A40000023F00')).toBe('9000');
    });

    it('a temporary block can be made permanent', () => {
      const card = cardInSsse(s);
      expect(lifecycle(card, s, '841E0000')).toBe('9000');
      expect(lifecycle(card, s, '841E0001')).toBe('9000');
      expect(sw(card, SELECT_SSSE)).toBe('9303');
    });

    it('MAC rules: bad MAC 6988 (a key try), no challenge 6984, a replay 6984, 3 bad MACs block the key', () => {
      const { card, key } = cardAfterBadMac(s);
      expect(lifecycle(card, s, '841E0000', { skipChallenge: true })).toBe('6984');
      expect(key.triesLeft).toBe(2);
      expect(sw(card, READ_EF05_CARD_NUMBER)).toBe('9000');
      // The same bytes a second time: the challenge they were made for is used up.
      const ch = send(card, '0084000008').data;
      const block = `841E000004${toHex(lifecycleMac(s, '841E0000', ch))}`;
      expect(sw(card, block)).toBe('9000');
      expect(key.triesLeft).toBe(3);
      expect(sw(card, block)).toBe('6984');
      expect(lifecycle(card, s, '84180000')).toBe('9000');
      for (let i = 0; i < 3; i++) expect(lifecycle(card, s, '841E0000', { corrupt: true })).toBe('6988');
      expect(key.blocked).toBe(true);
      expect(lifecycle(card, s, '841E0000')).toBe('6983');
      expect(sw(card, READ_EF05_CARD_NUMBER)).toBe('9000');
    });

    it('a good MAC restores the key tries; the MAC covers the header (P2 changed: 6988)', () => {
      const { card, key } = cardAfterBadMac(s);
      const ch = send(card, '0084000008').data;
      const macForTemporary = toHex(lifecycleMac(s, '841E0000', ch));
      expect(sw(card, `841E000104${macForTemporary}`)).toBe('6988');
      expect(key.triesLeft).toBe(1);
      expect(lifecycle(card, s, '841E0000')).toBe('9000');
      expect(key.triesLeft).toBe(3);
    });

    it('malformed commands: 6A86 wrong P1-P2, 6700 wrong Lc, 6E00 without CLA 84, 6985 outside an application', () => {
      const card = buildSscCard(s.doc, { powered: true });
      expect(lifecycle(card, s, '841E0000')).toBe('6985'); // MF selected: no application
      sw(card, SELECT_SSSE);
      expectTranscript(card, [
        ['841E000204AABBCCDD', '6A86'],
        ['841E010004AABBCCDD', '6A86'],
        ['8418000104AABBCCDD', '6A86'],
        ['8416000104AABBCCDD', '6A86'],
        ['841E000003AABBCC', '6700'],
        ['841E0000', '6700'],
        ['841E000005AABBCCDDEE', '6700'],
        ['001E000004AABBCCDD', '6E00'],
        ['8016000004AABBCCDD', '6E00'],
      ]);
      expect(sw(card, READ_EF05_CARD_NUMBER)).toBe('9000');
    });

    it('CARD BLOCK is final: every later command, also after a reset, answers 6A81', () => {
      const card = buildSscCard(s.doc, { powered: true });
      expect(lifecycle(card, s, '84160000', { skipChallenge: false })).toBe('6A88'); // no lifecycle key at the MF
      sw(card, SELECT_SSSE);
      expect(lifecycle(card, s, '84160000')).toBe('9000');
      for (const cmd of [
        '00A40000023F00',
        SELECT_SSSE,
        '0084000008',
        READ_EF05_CARD_NUMBER,
        '0020000003123456',
        '00FF000000',
        'FF00000000',
        '84180000',
      ]) {
        expect(sw(card, cmd), cmd).toBe('6A81');
      }
      card.reset('cold');
      expect(sw(card, '00A40000023F00')).toBe('6A81');
      expect(card.tree.cardBlocked).toBe(true);
    });
  });
}

group('lifecycle state persists in the card image', () => {
  const s = subjects[0]!;

  it('a blocked application and a blocked card survive save and load', () => {
    const path = join(tmp.path, 'card.json');
    let card = cardInSsse(s);
    expect(lifecycle(card, s, '841E0000')).toBe('9000');
    saveCardImage(path, card);
    expect((openImageFile(path).state.mf.children[0] as DfState).applicationBlocked).toBe('temporary');
    card = loadCardImage(path, { powered: true });
    expect(sw(card, SELECT_SSSE)).toBe('6A81');
    expect(lifecycle(card, s, '84180000')).toBe('9000');
    saveCardImage(path, card);
    expect('applicationBlocked' in openImageFile(path).state.mf.children[0]!).toBe(false);
    card = loadCardImage(path, { powered: true });
    expect(sw(card, SELECT_SSSE)).toBe('9000');
    expect(lifecycle(card, s, '84160000')).toBe('9000');
    saveCardImage(path, card);
    expect(openImageFile(path).state.cardBlocked).toBe(true);
    expect(sw(loadCardImage(path, { powered: true }), '00A40000023F00')).toBe('6A81');
  });

  it('a card bound to its image writes the block before answering', () => {
    const path = join(tmp.path, 'card.json');
    saveCardImage(path, buildSscCard(s.doc));
    const card = openCardImage(path, { powered: true });
    sw(card, SELECT_SSSE);
    expect(lifecycle(card, s, '841E0001')).toBe('9000');
    const onDisk = loadCardImage(path, { powered: true });
    expect(sw(onDisk, SELECT_SSSE)).toBe('9303');
  });

  it('when the block cannot be made durable the card answers 6581 and stays usable', () => {
    let failing = false;
    const card = buildSscCard(s.doc, {
      powered: true,
      onDurableChange: (state) => {
        if (failing && state.mf.children.some((c) => c.type === 'df' && c.applicationBlocked !== undefined)) {
          throw new Error('disk full');
        }
      },
    });
    sw(card, SELECT_SSSE);
    failing = true;
    expect(lifecycle(card, s, '841E0000')).toBe('6581');
    expect(card.tree.findByDfName(SSSE_DF_NAME)!.blocked).toBeUndefined();
    expect(sw(card, SELECT_SSSE)).toBe('9000');
  });

  it("the bank application has a lifecycle key of its own (BANK_APP_CONTROL): the SSSE's key is refused there", () => {
    const card = buildSscCard(s.doc, { powered: true });
    expect(sw(card, SELECT_BANK)).toBe('9000');
    expect(lifecycle(card, s, '841E0000')).toBe('6988');
    expect(sw(card, SELECT_BANK)).toBe('9000');
    const bankKey = diversifyKey(issuerTestMasterKey('BANK_APP_CONTROL'), s.doc.card.identifier, s.algorithm);
    const challenge = send(card, '0084000008').data;
    expect(
      sw(
        card,
        `841E000004${toHex(commandMac(s.algorithm, bankKey, fromHex('841E0000'), new Uint8Array(0), challenge))}`,
      ),
    ).toBe('9000');
    expect(sw(card, SELECT_BANK)).toBe('6A81');
    expect(sw(card, SELECT_SSSE)).toBe('9000');
  });
});
