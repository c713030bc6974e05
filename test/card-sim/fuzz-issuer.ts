import fc from 'fast-check';
import { concatBytes, fromHex } from '../../src/apdu/index.js';
import type { CardState } from '../../src/card-sim/index.js';
import {
  MAC_LENGTH,
  commandMac,
  encipherPbocUnblockPin,
  encipherPinChange,
  encipherUnblockPin,
  encryptEcb,
  pbocReloadMac,
  pinChangeDataLength,
  type KeyAlgorithm,
} from '../../src/keys/index.js';
import { encodePinBcd, encodePinBlockFormat2 } from '../../src/pin/index.js';

/*
 * Issuer commands with a good MAC for the fuzz: PIN UNBLOCK (MAC only, the project's PIN block,
 * the PBOC PIN block, a malformed block), RELOAD PIN (challenge-bound, and the PBOC zero-IV form),
 * and the hotline's PIN change script, for the SSSE PIN and the bank PIN. Random MACs (the mutated
 * commands of the mix) stop at the MAC check; these reach what lies past it: PIN blocks that do
 * not decode, PINs outside the policy, the PIN set, the counter restored. The keys come from the
 * card's own state (a test reading its card's memory, as an issuer knows its cards' keys).
 */

export type IssuerForm =
  | 'unblock-mac'
  | 'unblock'
  | 'unblock-pboc'
  | 'unblock-raw'
  | 'reload'
  | 'reload-pboc'
  | 'change-script'
  | 'change-script-raw';

export const ISSUER_FORMS: readonly IssuerForm[] = [
  'unblock-mac',
  'unblock',
  'unblock-pboc',
  'unblock-raw',
  'reload',
  'reload-pboc',
  'change-script',
  'change-script-raw',
];

export interface IssuerChoice {
  readonly target: 'ssse' | 'bank';
  readonly form: IssuerForm;
  /** The PIN the command carries (new PIN; for the change script the current one). */
  readonly pin: string;
  /** The change script's new PIN. */
  readonly newPin: string;
  /** Bytes for the malformed forms (and for a PIN that cannot be encoded). */
  readonly raw: Uint8Array;
  /** A byte of the MAC flipped: the MAC check fails after all. */
  readonly badMac: boolean;
}

/** PINs the cards of the fuzz hold (the initial application and bank PINs), and any other. */
const pinDigits = fc.oneof(
  fc.constantFrom('123456', '888888', '246810', '654321'),
  fc.stringMatching(/^[0-9]{6}$/),
  fc.stringMatching(/^[0-9]{0,14}$/),
);

export const issuerChoice: fc.Arbitrary<IssuerChoice> = fc.record({
  target: fc.constantFrom('ssse' as const, 'bank' as const),
  form: fc.constantFrom(...ISSUER_FORMS),
  pin: pinDigits,
  newPin: pinDigits,
  raw: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  badMac: fc.nat({ max: 9 }).map((n) => n === 0),
});

interface Application {
  dfName: Uint8Array;
  reference: number;
  keyOf: (usage: string) => { algorithm: KeyAlgorithm; key: Uint8Array } | undefined;
}

type DfState = CardState['mf'];

/** The application holding the SSSE PIN (BCD, reference 00) or the bank PIN (format 2), with its keys. */
function findApplication(state: CardState, target: IssuerChoice['target']): Application | undefined {
  const walk = (df: DfState, parents: DfState[]): Application | undefined => {
    const pin = df.pins.find((p) => (target === 'bank') === (p.format === 'iso9564-format2'));
    const dfName = (df as { dfName?: string }).dfName;
    if (pin !== undefined && dfName !== undefined) {
      const chain = [df, ...parents];
      return {
        dfName: fromHex(dfName),
        reference: pin.reference,
        keyOf: (usage) => {
          for (const d of chain) {
            const k = d.keys.find((x) => x.usage === usage);
            if (k !== undefined && k.algorithm !== 'sm2') return { algorithm: k.algorithm, key: fromHex(k.key) };
          }
          return undefined;
        },
      };
    }
    for (const c of df.children) {
      if (c.type !== 'df') continue;
      const found = walk(c as DfState, [df, ...parents]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(state.mf, []);
}

/** `raw` cut or zero-padded to `length` bytes. */
function sized(raw: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(raw.subarray(0, length));
  return out;
}

/** `encode()`, or `raw` when the PIN cannot be encoded (a length the format does not take). */
function orRaw(encode: () => Uint8Array, raw: Uint8Array): Uint8Array {
  try {
    return encode();
  } catch {
    return raw;
  }
}

export interface IssuerRun {
  /** Sends a command and returns the card's answer (the fuzz checks every answer). */
  transmit(bytes: Uint8Array, authorised: boolean): Uint8Array;
  /** A warm reset (no challenge pending, for the zero-IV RELOAD PIN). */
  warmReset(): void;
}

/** The challenge a GET CHALLENGE returns (T=0: through GET RESPONSE), or zeros when none came. */
function challengeOf(run: IssuerRun): Uint8Array {
  let out = run.transmit(fromHex('0084000008'), false);
  if (out.length === 2 && out[0] === 0x61)
    out = run.transmit(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, out[1] as number), false);
  return out.length === 10 && out[8] === 0x90 && out[9] === 0x00 ? out.subarray(0, 8) : new Uint8Array(8);
}

/**
 * Selects the application, asks for a challenge (not for the zero-IV RELOAD PIN) and sends the
 * issuer command `choice` with a MAC made with the card's key. Returns false when the card has no
 * such application (nothing sent).
 */
export function sendIssuerCommand(state: CardState, choice: IssuerChoice, run: IssuerRun): boolean {
  const app = findApplication(state, choice.target);
  if (app === undefined) return false;
  const { form, raw } = choice;
  const usage = form.startsWith('unblock') ? 'unblock' : form.startsWith('reload') ? 'reload' : 'change';
  const key = app.keyOf(usage) ?? { algorithm: '3des' as const, key: new Uint8Array(16).fill(0x11) };
  const size = key.algorithm === 'sm4' ? 16 : 8;
  if (form === 'reload-pboc') run.warmReset();
  run.transmit(concatBytes(Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, app.dfName.length), app.dfName), false);
  const header =
    usage === 'unblock'
      ? Uint8Array.of(0x84, 0x24, 0x00, app.reference)
      : usage === 'reload'
        ? Uint8Array.of(0x80, 0x5e, 0x00, app.reference)
        : Uint8Array.of(0x84, 0x5e, 0x01, app.reference);
  const bank = choice.target === 'bank';
  let data: Uint8Array;
  if (form === 'unblock-mac') data = new Uint8Array(0);
  else if (form === 'unblock') data = orRaw(() => encipherUnblockPin(key.algorithm, key.key, choice.pin), raw);
  else if (form === 'unblock-pboc') data = orRaw(() => encipherPbocUnblockPin(key.algorithm, key.key, choice.pin), raw);
  else if (form === 'unblock-raw') data = encryptEcb(key.algorithm, key.key, sized(raw, size));
  else if (form === 'reload' || form === 'reload-pboc')
    data = orRaw(() => (bank ? encodePinBlockFormat2(choice.pin) : encodePinBcd(choice.pin)), raw);
  else if (form === 'change-script')
    data = orRaw(() => encipherPinChange(key.algorithm, key.key, choice.pin, choice.newPin), raw);
  else data = encryptEcb(key.algorithm, key.key, sized(raw, pinChangeDataLength(key.algorithm)));
  const mac =
    form === 'reload-pboc'
      ? pbocReloadMac(key.algorithm, key.key, data)
      : commandMac(key.algorithm, key.key, header, data, challengeOf(run));
  if (choice.badMac) mac[0] = (mac[0] as number) ^ 0x01;
  const lc = data.length + MAC_LENGTH;
  run.transmit(concatBytes(header, Uint8Array.of(lc), data, mac), !choice.badMac);
  return true;
}
