/**
 * The issuer's service window: a blocked PIN is unblocked (PIN UNBLOCK `84 24`) and a forgotten
 * PIN is reset (RELOAD PIN `80 5E 00 00`). Both commands carry a MAC, and PIN UNBLOCK an
 * enciphered PIN block, made with card keys the window derives from the issuer's master keys and
 * the card identifier; a terminal without those keys is refused.
 *
 * Run: npx tsx examples/service-window.ts
 *
 * The master keys are the project's published TEST keys; never use them for a real card.
 */
import { SscardError, concatBytes, describe } from '../src/apdu/index.js';
import { commandMac, diversifyKey, encipherUnblockPin, issuerTestMasterKey } from '../src/keys/index.js';
import type { KeyAlgorithm, SscKeyName } from '../src/keys/index.js';
import { encodePinBcd } from '../src/pin/index.js';
import { buildSscCard, samplePerson } from '../src/card-sim/index.js';
import { MemoryTransport, PinBlockedError, PinIncorrectError, SSSE_DF_NAME, SscCard } from '../src/terminal/index.js';
import type { CardSession } from '../src/terminal/index.js';

const chip = buildSscCard(samplePerson('zhang-wei'));

async function insert(terminal: string): Promise<SscCard> {
  return SscCard.open(new MemoryTransport(chip, { name: terminal }));
}

/** The card key `name` of this card, derived from the issuer master key (what the window's PSAM does inside). */
function cardKey(name: SscKeyName, cardIdentifier: string, algorithm: KeyAlgorithm): Uint8Array {
  return diversifyKey(issuerTestMasterKey(name), cardIdentifier, algorithm);
}

/** SELECT SSSE, then GET CHALLENGE: the challenge is the IV of the next command's MAC. */
async function challenge(s: CardSession): Promise<Uint8Array> {
  await s.send({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: SSSE_DF_NAME, ne: 256 });
  return s.send({ cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, data: new Uint8Array(0), ne: 8 });
}

/** PIN UNBLOCK `84 24 00 00`: E(unblock key, PIN block) || MAC; the counter is restored and the PIN set. */
async function unblockPin(card: SscCard, cardIdentifier: string, newPin: string): Promise<void> {
  const algorithm = card.algorithm;
  if (algorithm === undefined) throw new Error('the card did not announce its algorithm');
  const key = cardKey('PIN_UNBLOCK', cardIdentifier, algorithm);
  try {
    await card.channel.exclusive(async (s) => {
      const iv = await challenge(s);
      const cryptogram = encipherUnblockPin(algorithm, key, newPin);
      const mac = commandMac(algorithm, key, Uint8Array.of(0x84, 0x24, 0x00, 0x00), cryptogram, iv);
      await s.send({ cla: 0x84, ins: 0x24, p1: 0x00, p2: 0x00, data: concatBytes(cryptogram, mac) });
    });
  } finally {
    key.fill(0);
  }
}

/** RELOAD PIN `80 5E 00 00`: new PIN (BCD) || MAC under the reload key. */
async function reloadPin(card: SscCard, key: Uint8Array, newPin: string): Promise<number> {
  const algorithm = card.algorithm;
  if (algorithm === undefined) throw new Error('the card did not announce its algorithm');
  return card.channel.exclusive(async (s) => {
    const iv = await challenge(s);
    const pin = encodePinBcd(newPin);
    try {
      const mac = commandMac(algorithm, key, Uint8Array.of(0x80, 0x5e, 0x00, 0x00), pin, iv);
      const r = await s.transmit({ cla: 0x80, ins: 0x5e, p1: 0x00, p2: 0x00, data: concatBytes(pin, mac) });
      return r.sw;
    } finally {
      pin.fill(0);
    }
  });
}

// ---- at a pharmacy: three wrong PINs block the card ------------------------------------------------
const pharmacy = await insert('pharmacy reader');
for (const pin of ['111111', '222222', '333333']) {
  try {
    await pharmacy.verifyPin(pin);
  } catch (error) {
    if (!(error instanceof PinIncorrectError || error instanceof PinBlockedError)) throw error;
  }
}
console.log(`pharmacy: PIN blocked=${(await pharmacy.pinStatus()).blocked}`);
await pharmacy.close();

// ---- at the service window: identity checked, PIN unblocked with a PIN the holder chooses ----------
const desk = await insert('service window');
try {
  const info = await desk.readCardInfo();
  const holder = await desk.readCardholder();
  console.log(`window: card ${info.cardNumber} of ${holder.name}; ID document checked against the card`);
  await unblockPin(desk, info.cardIdentifier, '602851');
  console.log('window: PIN UNBLOCK accepted');
  await desk.verifyPin('602851');
  console.log('window: the holder verifies the new PIN: ok');
} finally {
  await desk.close();
}

// ---- months later the holder forgets the PIN: RELOAD PIN at the window ------------------------------
const later = await insert('service window');
try {
  const info = await later.readCardInfo();
  const algorithm = later.algorithm;
  if (algorithm === undefined) throw new Error('the card did not announce its algorithm');
  // A terminal without the issuer's reload key: its MAC is wrong and the card refuses (6988).
  const guessed = new Uint8Array(16).fill(0x11);
  const refused = await reloadPin(later, guessed, '135790');
  console.log(`terminal without the issuer key: RELOAD PIN refused: ${describe(refused)}`);
  const reloadKey = cardKey('PIN_RELOAD', info.cardIdentifier, algorithm);
  try {
    const sw = await reloadPin(later, reloadKey, '135790');
    if (sw !== 0x9000) throw new SscardError('EXAMPLE', `RELOAD PIN failed: ${describe(sw)}`);
  } finally {
    reloadKey.fill(0);
  }
  console.log('window: RELOAD PIN accepted');
  await later.verifyPin('135790');
  console.log('window: the holder verifies the reloaded PIN: ok');
} finally {
  await later.close();
}
