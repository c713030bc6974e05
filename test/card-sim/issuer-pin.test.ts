import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/apdu/index.js';
import {
  SimulatedCard,
  closeCardImage,
  loadCardImage,
  openCardImage,
  saveCardImage,
  samplePerson,
  BANK_AID,
  SSSE_DF_NAME,
  buildSscCard,
  buildSscTree,
} from '../../src/card-sim/index.js';
import { SSC_KEYS, commandMac, encipherUnblockPin, type SscKeyName } from '../../src/keys/index.js';
import { encodePinBcd, encodePinBlockFormat2 } from '../../src/pin/index.js';
import { testCard } from './fixtures.js';
import { cardKey, subject, type Subject as KeySubject } from './subjects.js';
import { send, sw, swHex } from '../support/card-exchange.js';
import { tempDirPerTest } from '../support/temp-dir.js';

/*
 * The issuer's PIN commands through APDU bytes: the SSSE's PIN UNBLOCK in both forms, and the
 * bank application's RELOAD PIN and PIN UNBLOCK (which needs the holder's bank PIN). MACs and PIN
 * blocks are computed with src/keys from the published TEST master keys diversified with the card
 * identifier, as a window's secure module does.
 */

const SELECT_SSSE = toHex(concatBytes(fromHex('00A404000F'), SSSE_DF_NAME));
const SELECT_BANK = toHex(concatBytes(fromHex('00A4040008'), BANK_AID));
const EMPTY = new Uint8Array(0);

const tmp = tempDirPerTest('sscard-issuer-pin-');

/** A subject and the bank PIN its personalization sets. */
type Subject = KeySubject & { bankPin: string };

const subjects: Subject[] = [
  { ...subject('zhang-wei', '3des'), bankPin: '888888' },
  { ...subject('wang-yan', 'sm4'), bankPin: '246810' },
];

interface IssuerOptions {
  /** Send without asking for a challenge first. */
  skipChallenge?: boolean;
  /** Flip a MAC bit. */
  corrupt?: boolean;
  /** Use this IV instead of a fresh challenge (a replay). */
  iv?: Uint8Array;
}

/** The command `header || Lc || data || MAC4` with the MAC of `key`; returns the bytes sent and the SW. */
function issuerCommand(
  card: SimulatedCard,
  s: Subject,
  key: SscKeyName,
  header: string,
  data: Uint8Array,
  opts: IssuerOptions = {},
): { bytes: Uint8Array; sw: string } {
  let iv = opts.iv ?? EMPTY;
  if (opts.skipChallenge !== true && opts.iv === undefined) {
    const ch = send(card, '0084000008');
    expect(swHex(ch.sw)).toBe('9000');
    iv = ch.data;
  }
  const mac = commandMac(s.algorithm, cardKey(s, key), fromHex(header), data, iv);
  if (opts.corrupt === true) mac[0] = (mac[0] as number) ^ 0x01;
  const bytes = concatBytes(fromHex(header), Uint8Array.of(data.length + 4), data, mac);
  return { bytes, sw: sw(card, bytes) };
}

const unblockMacOnly = (card: SimulatedCard, s: Subject, opts?: IssuerOptions) =>
  issuerCommand(card, s, 'PIN_UNBLOCK', '84240000', EMPTY, opts);
const bankReload = (card: SimulatedCard, s: Subject, pin: string, opts?: IssuerOptions) =>
  issuerCommand(card, s, 'BANK_PIN_RELOAD', '805E0080', encodePinBlockFormat2(pin), opts);
const bankUnblock = (card: SimulatedCard, s: Subject, pin: string, opts?: IssuerOptions) =>
  issuerCommand(
    card,
    s,
    'BANK_PIN_UNBLOCK',
    '84240080',
    encipherUnblockPin(s.algorithm, cardKey(s, 'BANK_PIN_UNBLOCK'), pin),
    opts,
  );

const verifyApp = (card: SimulatedCard, pin: string): string =>
  sw(card, concatBytes(fromHex('0020000003'), encodePinBcd(pin)));
const verifyBank = (card: SimulatedCard, pin: string): string =>
  sw(card, concatBytes(fromHex('0020008008'), encodePinBlockFormat2(pin)));
const bankTries = (card: SimulatedCard): string => toHex(send(card, '80CA9F1700').data);

function blockAppPin(card: SimulatedCard): void {
  expect(sw(card, SELECT_SSSE)).toBe('9000');
  for (let i = 0; i < 3; i++) verifyApp(card, '000000');
  expect(sw(card, '0020000000')).toBe('6983');
}

function blockBankPin(card: SimulatedCard): void {
  expect(sw(card, SELECT_BANK)).toBe('9000');
  for (let i = 0; i < 3; i++) verifyBank(card, '000000');
  expect(bankTries(card)).toBe('9F170100');
}

const stateJson = (card: SimulatedCard): string => JSON.stringify(card.exportState());

for (const s of subjects) {
  group(`issuer PIN commands, ${s.who} (${s.algorithm})`, () => {
    const fresh = (): SimulatedCard => buildSscCard(s.doc, { powered: true });

    it('the bank application holds its reload and unblock keys, diversified like the SSSE keys', () => {
      const bank = buildSscTree(s.doc).findByDfName(BANK_AID)!;
      const reload = bank.key(SSC_KEYS.BANK_PIN_RELOAD.kid);
      const unblock = bank.key(SSC_KEYS.BANK_PIN_UNBLOCK.kid);
      expect([reload?.usage, unblock?.usage]).toEqual(['reload', 'unblock']);
      expect(toHex(reload!.key)).toBe(toHex(cardKey(s, 'BANK_PIN_RELOAD')));
      expect(toHex(unblock!.key)).toBe(toHex(cardKey(s, 'BANK_PIN_UNBLOCK')));
      // The SSSE keeps exactly its own keys, numbered as reader programs name them (0A RKSSSE,
      // 04 issuance, 0D EF0D on 3.00 cards) and by the project's own numbers (08 the PIN change key).
      const ssse = buildSscTree(s.doc).findByDfName(SSSE_DF_NAME)!;
      const ef0d = s.doc.specVersion === '3.00' ? [0x0d] : [];
      expect(ssse.keys.map((k) => k.id)).toEqual([0x0a, 0x04, ...ef0d, 0x02, 0x03, 0x09, 0x05, 0x06, 0x07, 0x08]);
    });

    it('PIN UNBLOCK MAC only (Lc 04): the counter is restored and the PIN stays', () => {
      const card = fresh();
      blockAppPin(card);
      expect(unblockMacOnly(card, s).sw).toBe('9000');
      expect(sw(card, '0020000000')).toBe('63C3');
      expect(verifyApp(card, '123456')).toBe('9000');
    });

    it('PIN UNBLOCK MAC only: no challenge 6984, bad MAC 6988 (a key try, no PIN try), replay 6984; the PIN stays blocked', () => {
      const card = fresh();
      blockAppPin(card);
      expect(unblockMacOnly(card, s, { skipChallenge: true }).sw).toBe('6984');
      expect(unblockMacOnly(card, s, { corrupt: true }).sw).toBe('6988');
      const unblockKey = () => card.tree.findByDfName(SSSE_DF_NAME)!.key(SSC_KEYS.PIN_UNBLOCK.kid)!;
      expect(unblockKey().triesLeft).toBe(2);
      expect(sw(card, '0020000000')).toBe('6983');
      const good = unblockMacOnly(card, s);
      expect(good.sw).toBe('9000');
      expect(unblockKey().triesLeft).toBe(3);
      blockAppPin(card);
      expect(sw(card, good.bytes)).toBe('6984'); // the captured command, its challenge used up
      send(card, '0084000008');
      expect(sw(card, good.bytes)).toBe('6988'); // against a fresh challenge
      expect(sw(card, '0020000000')).toBe('6983');
    });

    it('PIN UNBLOCK of a PIN that is not blocked restores its counter; no issuer refusal spends a PIN try', () => {
      const card = fresh();
      expect(sw(card, SELECT_SSSE)).toBe('9000');
      expect(verifyApp(card, '999999')).toBe('63C2');
      expect(unblockMacOnly(card, s, { corrupt: true }).sw).toBe('6988');
      expect(unblockMacOnly(card, s, { skipChallenge: true }).sw).toBe('6984');
      expect(sw(card, '0020000000')).toBe('63C2');
      expect(unblockMacOnly(card, s).sw).toBe('9000');
      expect(sw(card, '0020000000')).toBe('63C3');
    });

    it('PIN UNBLOCK with a PIN block still sets the new PIN; other lengths are 6700 and keep the challenge unused', () => {
      const card = fresh();
      blockAppPin(card);
      const size = s.algorithm === 'sm4' ? 16 : 8;
      const challenge = send(card, '0084000008').data;
      expect(sw(card, concatBytes(fromHex('8424000005'), new Uint8Array(5)))).toBe('6700');
      expect(sw(card, concatBytes(fromHex('84240000'), Uint8Array.of(size + 5), new Uint8Array(size + 5)))).toBe(
        '6700',
      );
      const cryptogram = encipherUnblockPin(s.algorithm, cardKey(s, 'PIN_UNBLOCK'), '975310');
      expect(issuerCommand(card, s, 'PIN_UNBLOCK', '84240000', cryptogram, { iv: challenge }).sw).toBe('9000');
      expect(verifyApp(card, '123456')).toBe('63C2');
      expect(verifyApp(card, '975310')).toBe('9000');
    });

    it('PIN UNBLOCK with a PIN that fits the block but not the policy: 6700 after a good MAC, the PIN stays blocked', () => {
      const card = fresh();
      blockAppPin(card);
      const short = encipherUnblockPin(s.algorithm, cardKey(s, 'PIN_UNBLOCK'), '1234');
      expect(issuerCommand(card, s, 'PIN_UNBLOCK', '84240000', short).sw).toBe('6700');
      const long = encipherUnblockPin(s.algorithm, cardKey(s, 'PIN_UNBLOCK'), '12345678');
      expect(issuerCommand(card, s, 'PIN_UNBLOCK', '84240000', long).sw).toBe('6700');
      expect(sw(card, '0020000000')).toBe('6983');
      expect(verifyApp(card, '123456')).toBe('6983');
    });

    it('bank RELOAD PIN 80 5E 00 80: a format-2 block || MAC under the bank reload key sets the bank PIN', () => {
      const card = fresh();
      blockBankPin(card);
      expect(bankReload(card, s, '135790').sw).toBe('9000');
      expect(bankTries(card)).toBe('9F170103');
      expect(verifyBank(card, s.bankPin)).toBe('63C2');
      expect(verifyBank(card, '135790')).toBe('9000');
      // The SSSE PIN is untouched.
      expect(sw(card, SELECT_SSSE)).toBe('9000');
      expect(sw(card, '0020000000')).toBe('63C3');
    });

    it('bank RELOAD PIN refusals: 6984 without a challenge, 6988 bad MAC or the SSSE key, 6700 length, PIN outside the policy', () => {
      const card = fresh();
      blockBankPin(card);
      expect(bankReload(card, s, '135790', { skipChallenge: true }).sw).toBe('6984');
      expect(bankReload(card, s, '135790', { corrupt: true }).sw).toBe('6988');
      expect(issuerCommand(card, s, 'PIN_RELOAD', '805E0080', encodePinBlockFormat2('135790')).sw).toBe('6988');
      // The SSSE's BCD form is not the bank's.
      expect(issuerCommand(card, s, 'BANK_PIN_RELOAD', '805E0080', encodePinBcd('135790')).sw).toBe('6700');
      expect(bankReload(card, s, '13579').sw).toBe('6700');
      // The bank form is exactly a format-2 block and a MAC4: a byte more or less is 6700.
      const block = encodePinBlockFormat2('135790');
      expect(issuerCommand(card, s, 'BANK_PIN_RELOAD', '805E0080', block.subarray(0, 7)).sw).toBe('6700');
      // Refused before the MAC is looked at: a bad one costs no try of the reload key.
      const longer = concatBytes(block, Uint8Array.of(0xff));
      expect(issuerCommand(card, s, 'BANK_PIN_RELOAD', '805E0080', longer, { corrupt: true }).sw).toBe('6700');
      expect(bankTries(card)).toBe('9F170100');
      const bankKey = card.tree.findByDfName(BANK_AID)!.key(SSC_KEYS.BANK_PIN_RELOAD.kid)!;
      expect(bankKey.triesLeft).toBe(3); // the length refusal came after a good MAC, which restored it
    });

    it('a captured bank RELOAD PIN cannot be replayed', () => {
      const card = fresh();
      expect(sw(card, SELECT_BANK)).toBe('9000');
      const captured = bankReload(card, s, '135790');
      expect(captured.sw).toBe('9000');
      expect(verifyBank(card, '135790')).toBe('9000');
      expect(bankReload(card, s, '246802').sw).toBe('9000');
      expect(sw(card, captured.bytes)).toBe('6984');
      send(card, '0084000008');
      expect(sw(card, captured.bytes)).toBe('6988');
      expect(verifyBank(card, '246802')).toBe('9000');
    });

    it("bank PIN UNBLOCK 84 24 00 80 with the holder's right bank PIN: the counter is restored, the PIN stays", () => {
      const card = fresh();
      blockBankPin(card);
      expect(bankUnblock(card, s, s.bankPin).sw).toBe('9000');
      expect(bankTries(card)).toBe('9F170103');
      expect(verifyBank(card, s.bankPin)).toBe('9000');
    });

    it('bank PIN UNBLOCK with a wrong bank PIN: 63C0, the card stays blocked and its state does not change', () => {
      const card = fresh();
      blockBankPin(card);
      const before = stateJson(card);
      expect(bankUnblock(card, s, '000001').sw).toBe('63C0');
      expect(bankUnblock(card, s, '888889').sw).toBe('63C0');
      expect(stateJson(card)).toBe(before);
      expect(bankTries(card)).toBe('9F170100');
      expect(verifyBank(card, s.bankPin)).toBe('6983');
    });

    it('bank PIN UNBLOCK of a PIN that is not blocked: a wrong PIN answers the unchanged counter and spends nothing', () => {
      const card = fresh();
      expect(sw(card, SELECT_BANK)).toBe('9000');
      expect(verifyBank(card, '000000')).toBe('63C2');
      const before = stateJson(card);
      expect(bankUnblock(card, s, '000001').sw).toBe('63C2');
      expect(stateJson(card)).toBe(before);
      expect(bankUnblock(card, s, s.bankPin).sw).toBe('9000');
      expect(bankTries(card)).toBe('9F170103');
    });

    it('bank PIN UNBLOCK refusals: MAC only 6700, no challenge 6984, bad MAC 6988, the SSSE unblock key 6988, replay 6984', () => {
      const card = fresh();
      blockBankPin(card);
      expect(issuerCommand(card, s, 'BANK_PIN_UNBLOCK', '84240080', EMPTY, { skipChallenge: true }).sw).toBe('6700');
      expect(bankUnblock(card, s, s.bankPin, { skipChallenge: true }).sw).toBe('6984');
      expect(bankUnblock(card, s, s.bankPin, { corrupt: true }).sw).toBe('6988');
      const ssseKeyBlock = encipherUnblockPin(s.algorithm, cardKey(s, 'PIN_UNBLOCK'), s.bankPin);
      expect(issuerCommand(card, s, 'PIN_UNBLOCK', '84240080', ssseKeyBlock).sw).toBe('6988');
      expect(bankTries(card)).toBe('9F170100');
      const good = bankUnblock(card, s, s.bankPin);
      expect(good.sw).toBe('9000');
      blockBankPin(card);
      expect(sw(card, good.bytes)).toBe('6984');
      expect(bankTries(card)).toBe('9F170100');
    });

    it('a blocked bank application answers 6A81 (temporary) or 9303 (permanent) to its PIN commands; a blocked card 6A81', () => {
      const card = fresh();
      expect(sw(card, SELECT_BANK)).toBe('9000');
      const bank = card.tree.findByDfName(BANK_AID)!;
      bank.blockApplication('temporary');
      expect(bankReload(card, s, '135790', { skipChallenge: true }).sw).toBe('6A81');
      expect(bankUnblock(card, s, s.bankPin, { skipChallenge: true }).sw).toBe('6A81');
      bank.blockApplication('permanent');
      expect(bankReload(card, s, '135790', { skipChallenge: true }).sw).toBe('9303');
      expect(bankUnblock(card, s, s.bankPin, { skipChallenge: true }).sw).toBe('9303');
      const other = fresh();
      expect(sw(other, SELECT_SSSE)).toBe('9000');
      other.tree.blockCard();
      expect(unblockMacOnly(other, s, { skipChallenge: true }).sw).toBe('6A81');
    });

    it('a card image keeps the result of each issuer command', () => {
      const path = join(tmp.path, 'card.json');
      saveCardImage(path, fresh());
      let card = openCardImage(path, { powered: true });
      blockAppPin(card);
      blockBankPin(card);
      expect(sw(card, SELECT_SSSE)).toBe('9000');
      expect(unblockMacOnly(card, s).sw).toBe('9000');
      expect(sw(card, SELECT_BANK)).toBe('9000');
      expect(bankUnblock(card, s, s.bankPin).sw).toBe('9000');
      closeCardImage(card);

      card = loadCardImage(path, { powered: true });
      expect(sw(card, SELECT_SSSE)).toBe('9000');
      expect(sw(card, '0020000000')).toBe('63C3');
      expect(verifyApp(card, '123456')).toBe('9000');
      expect(sw(card, SELECT_BANK)).toBe('9000');
      expect(bankTries(card)).toBe('9F170103');

      card = openCardImage(path, { powered: true });
      expect(sw(card, SELECT_BANK)).toBe('9000');
      expect(bankReload(card, s, '135790').sw).toBe('9000');
      closeCardImage(card);
      card = loadCardImage(path, { powered: true });
      expect(sw(card, SELECT_BANK)).toBe('9000');
      expect(verifyBank(card, '135790')).toBe('9000');
    });
  });
}

group('issuer PIN commands on cards without the keys', () => {
  it('a bank application without PIN keys (an image from before they existed) answers 6A88', () => {
    const card = testCard();
    expect(sw(card, SELECT_BANK)).toBe('9000');
    expect(sw(card, concatBytes(fromHex('805E00800C'), encodePinBlockFormat2('135790'), new Uint8Array(4)))).toBe(
      '6A88',
    );
    expect(sw(card, concatBytes(fromHex('8424008010'), new Uint8Array(16)))).toBe('6A88');
  });

  it('a non-financial card has no bank application', () => {
    const card = buildSscCard(samplePerson('abdurahman'), { powered: true });
    expect(sw(card, SELECT_BANK)).toBe('6A82');
  });
});
