import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { concatBytes, decodeResponse, fromHex, toHex } from '../../src/apdu/index.js';
import { buildSscCard, samplePerson, type SimulatedCard } from '../../src/card-sim/index.js';
import { matchesResponse, parseScript, stepRunsOn } from '../../src/cli/actions/script.js';
import { SSC_KEYS, diversifyKey, issuerTestMasterKey, sm2PublicKeyOf, type SscKeyName } from '../../src/keys/index.js';
import { PKI_CERT_ADF_NAME, SSC_FIDS } from '../../src/records/index.js';
import { referenceMac } from '../card-sim/crypto-oracle.js';
import { referenceCryptogram } from '../card-sim/fixtures.js';

/*
 * The APDU-script conformance suite: one script per reader style (scripts/*.apdu, in the format
 * `sscard script` runs), each replayed byte for byte against fresh simulated cards of both spec
 * versions on both protocols. A script says which cards it applies to (`# applies: all |
 * financial | 3.00`); `T=0:` / `T=1:` lines hold what differs between the protocols.
 *
 * Cryptograms depend on the card's keys and challenge, so the scripts name them and this harness
 * fills them in for the card at hand (the card's randomness is fixed here, so GET CHALLENGE
 * answers {CHALLENGE}); the cryptograms and MACs are computed with the reference implementations
 * of test/card-sim (crypto-oracle.ts, fixtures.ts) from the published test master keys:
 *   {CHALLENGE}              the 8 bytes GET CHALLENGE answers
 *   {AUTH key}               EXTERNAL AUTHENTICATE 00 82 00 kid Lc cryptogram, key by SSC_KEYS name
 *   {MAC key header data|-}  header Lc data MAC4 (commandMac over header || Lc || data, IV = challenge)
 */

const RANDOM = fromHex('112233445566778899AABBCCDDEEFF00');
const CHALLENGE = RANDOM.subarray(0, 8);

interface Subject {
  person: 'zhang-wei' | 'wang-yan';
  spec: '2.00' | '3.00';
  financial: boolean;
}

/** 2.00 with 3DES and an all-digit identifier; 3.00 with SM4 and a 32-character RID identifier. */
const SUBJECTS: readonly Subject[] = [
  { person: 'zhang-wei', spec: '2.00', financial: true },
  { person: 'wang-yan', spec: '3.00', financial: true },
];

function cardOf(subject: Subject, transmission: 'T=0' | 'T=1'): SimulatedCard {
  return buildSscCard(samplePerson(subject.person), {
    powered: true,
    transmission,
    random: (n) => Uint8Array.from({ length: n }, (_, i) => RANDOM[i % RANDOM.length] as number),
  });
}

function cardKey(subject: Subject, name: SscKeyName): Uint8Array {
  const doc = samplePerson(subject.person);
  return diversifyKey(issuerTestMasterKey(name), doc.card.identifier, subject.spec === '2.00' ? '3des' : 'sm4');
}

function keyName(word: string): SscKeyName {
  if (!(word in SSC_KEYS)) throw new Error(`script names no key ${word}`);
  return word as SscKeyName;
}

/** The script with its placeholders filled in for `subject`. */
function expand(text: string, subject: Subject): string {
  const algorithm = subject.spec === '2.00' ? '3des' : 'sm4';
  return text
    .replaceAll('{CHALLENGE}', toHex(CHALLENGE))
    .replace(/\{AUTH (\w+)\}/g, (_, word: string) => {
      const name = keyName(word);
      const crypt = referenceCryptogram(algorithm, cardKey(subject, name), CHALLENGE);
      return toHex(concatBytes(Uint8Array.of(0x00, 0x82, 0x00, SSC_KEYS[name].kid, crypt.length), crypt));
    })
    .replace(/\{MAC (\w+) ([0-9A-F]{8}) ([0-9A-F]+|-)\}/g, (_, word: string, header: string, dataText: string) => {
      const data = dataText === '-' ? new Uint8Array(0) : fromHex(dataText);
      const head = concatBytes(fromHex(header), Uint8Array.of(data.length + 4));
      const mac = referenceMac(algorithm, cardKey(subject, keyName(word)), concatBytes(head, data), CHALLENGE);
      return toHex(concatBytes(head, data, mac));
    });
}

function applies(text: string, subject: Subject): boolean {
  const scope = /^# applies: (.+)$/m.exec(text)?.[1]?.trim();
  if (scope === undefined) throw new Error('a conformance script says which cards it applies to (# applies: ...)');
  return scope === 'all' || (scope === 'financial' && subject.financial) || scope === subject.spec;
}

/** Runs an expanded script the way `sscard script --card` does; returns the lines that ran. */
function run(file: string, text: string, card: SimulatedCard): number {
  let ran = 0;
  for (const step of parseScript(text, file)) {
    if (!stepRunsOn(step, card.transmission)) continue;
    ran += 1;
    if (step.kind === 'reset') card.reset(step.cold ? 'cold' : 'warm');
    else if (step.kind === 'power-off') card.powerOff();
    else if (step.kind === 'power-on') card.powerOn();
    else {
      const response = card.transmit(step.command);
      if (step.expect !== undefined && !matchesResponse(step.expect, response)) {
        const r = decodeResponse(response);
        throw new Error(
          `${file}:${step.line}: expected ${step.expect.text}, got ${toHex(r.data)} ${r.sw.toString(16).toUpperCase()}`,
        );
      }
    }
  }
  return ran;
}

const SCRIPTS_DIR = new URL('./scripts/', import.meta.url);
const SCRIPTS = readdirSync(SCRIPTS_DIR)
  .filter((f) => f.endsWith('.apdu'))
  .sort();

describe('conformance scripts', () => {
  it('covers the reader styles: by tag, by number, by SFI, 6Cxx, T=0 GET RESPONSE, issuance, PBOC, PKI, EF0D', () => {
    expect(SCRIPTS).toEqual([
      'by-number.apdu',
      'by-sfi.apdu',
      'by-tag.apdu',
      'ef0d.apdu',
      'issuance.apdu',
      'pboc-bank.apdu',
      'pki.apdu',
      't0-get-response.apdu',
      'wrong-le.apdu',
    ]);
  });

  for (const file of SCRIPTS) {
    const text = readFileSync(new URL(file, SCRIPTS_DIR), 'utf8');
    for (const subject of SUBJECTS) {
      if (!applies(text, subject)) continue;
      for (const transmission of ['T=1', 'T=0'] as const) {
        it(`${file} on ${subject.person} (${subject.spec}, ${transmission})`, () => {
          const card = cardOf(subject, transmission);
          expect(run(file, expand(text, subject), card)).toBeGreaterThan(0);
        });
      }
    }
  }

  it('a mismatch stops the run and names the line (the harness can fail)', () => {
    const card = cardOf(SUBJECTS[0] as Subject, 'T=1');
    expect(() =>
      run('bad.apdu', '00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF -> 90 00\n00B2012C00 -> 01 11 * 90 00\n', card),
    ).toThrow(/bad\.apdu:2: expected 01 11 \* 90 00/);
  });
});

describe('what the scripts cannot say', () => {
  it('EF 0012 holds the public key of the SM2 private key the card keeps', () => {
    const card = cardOf(SUBJECTS[1] as Subject, 'T=1');
    run('pki.apdu', readFileSync(new URL('pki.apdu', SCRIPTS_DIR), 'utf8'), card);
    const answer = decodeResponse(card.transmit(fromHex('00B0000042')));
    const adf = card.tree.findByDfName(PKI_CERT_ADF_NAME);
    const key = adf?.keys.find((k) => k.usage === 'sign');
    expect(key?.algorithm).toBe('sm2');
    expect(toHex(answer.data.subarray(2))).toBe(toHex(sm2PublicKeyOf(key!.key)));
    // Another card has another key pair.
    const other = cardOf(SUBJECTS[1] as Subject, 'T=1');
    run('pki.apdu', readFileSync(new URL('pki.apdu', SCRIPTS_DIR), 'utf8'), other);
    expect(toHex(decodeResponse(other.transmit(fromHex('00B0000042'))).data)).not.toBe(toHex(answer.data));
  });

  it('2.00 cards have neither the PKI application nor EF0D nor its key', () => {
    const card = cardOf(SUBJECTS[0] as Subject, 'T=1');
    expect(toHex(card.transmit(fromHex('00A404000C504B492EC9E7BBE1B1A3D5CF')))).toBe('6A82');
    expect(toHex(card.transmit(fromHex('00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF')))).toBe('9000');
    expect(toHex(card.transmit(fromHex('00B2016C00')))).toBe('6A82');
    expect(toHex(card.transmit(fromHex('0082000D080000000000000000')))).toBe('6A88');
    expect(card.tree.nodeAt([SSC_FIDS.SSSE, SSC_FIDS.EF0D])).toBeUndefined();
  });

  it('the ATR ends with the 8 bytes the keys are diversified with, on every protocol', () => {
    for (const subject of SUBJECTS) {
      for (const transmission of ['T=1', 'T=0'] as const) {
        const atr = cardOf(subject, transmission).atr;
        const doc = samplePerson(subject.person);
        const id = doc.card.identifier;
        // All-digit identifier: its last 8 BCD bytes; RID form: the last 8 bytes before the F padding.
        const expected = /^[0-9]+$/.test(id) ? id.slice(-16) : id.replace(/F+$/, '').slice(-16);
        expect(toHex(atr.subarray(atr.length - 8))).toBe(expected);
      }
    }
  });
});
