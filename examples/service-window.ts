/**
 * The issuer's service window and the bank branch. A locked application PIN is unblocked at the
 * window (PIN UNBLOCK: the counter is restored, the PIN stays), a forgotten one is replaced
 * (RELOAD PIN); at the bank a locked bank PIN is unlocked only with the holder's bank PIN, and a
 * forgotten one is reset. Each command carries a MAC (and PIN UNBLOCK an enciphered PIN block)
 * made by the terminal's secure module with card keys it derives from the issuer's master keys;
 * a terminal without those keys is refused.
 *
 * Run: npx tsx examples/service-window.ts   (after npm run build: it imports the built package by its name)
 *
 * The master keys are the project's published TEST keys; never use them for a real card.
 */
import { samplePerson, buildSscCard } from 'sscard/card-sim';
import {
  BankPinMismatchError,
  IssuerKeyMissingError,
  IssuerMacRejectedError,
  IssuerTerminal,
  MemoryTransport,
  PinBlockedError,
  PinIncorrectError,
  SoftwarePsam,
  SscCard,
} from 'sscard/terminal';
import type { SecureModule } from 'sscard/terminal';

const holder = samplePerson('zhang-wei');
const chip = buildSscCard(holder);

/** The window's module: RKSSSE to read the cardholder on 3.00 cards, and the PIN keys. */
const windowPsam = SoftwarePsam.withTestKeys(['RKSSSE', 'PIN_UNBLOCK', 'PIN_RELOAD']);
/** The bank branch's module: the bank application's PIN keys. */
const bankPsam = SoftwarePsam.withTestKeys(['BANK_PIN_UNBLOCK', 'BANK_PIN_RELOAD']);

async function insert(terminal: string, psam?: SecureModule): Promise<SscCard> {
  return SscCard.open(new MemoryTransport(chip, { name: terminal }), psam === undefined ? {} : { psam });
}

async function wrongTries(what: string, tryPin: (pin: string) => Promise<void>): Promise<void> {
  for (const pin of ['111111', '222222', '333333']) {
    try {
      await tryPin(pin);
    } catch (error) {
      if (!(error instanceof PinIncorrectError || error instanceof PinBlockedError)) throw error;
    }
  }
  console.log(`${what}: three wrong PINs`);
}

// ---- at a pharmacy: three wrong PINs lock the application PIN --------------------------------------
const pharmacy = await insert('pharmacy reader');
await wrongTries('pharmacy', (pin) => pharmacy.verifyPin(pin));
console.log(`pharmacy: PIN blocked=${(await pharmacy.pinStatus()).blocked}`);
await pharmacy.close();

// ---- at the service window: identity checked, the PIN unblocked (the holder still knows it) ---------
const desk = await insert('service window', windowPsam);
try {
  const window = new IssuerTerminal(desk, windowPsam);
  const person = await window.checkHolder(holder.person.idNumber);
  console.log(`window: ID document matches the card of ${person.name}`);
  await window.unblockPin();
  console.log(`window: PIN UNBLOCK accepted; tries left ${(await desk.pinStatus()).triesLeft}`);
} finally {
  await desk.close();
}

// ---- months later the holder forgets the PIN: RELOAD PIN at the window ------------------------------
const later = await insert('service window', windowPsam);
try {
  // A pharmacy terminal has no reload key: refused before anything reaches the card.
  const pharmacyKeys = SoftwarePsam.withTestKeys(['RKSSSE']);
  await new IssuerTerminal(later, pharmacyKeys).reloadPin('135790').catch((error: unknown) => {
    if (!(error instanceof IssuerKeyMissingError)) throw error;
    console.log(`pharmacy terminal: ${error.code}: ${error.message}`);
  });
  // Keys of another issuer: the card refuses the MAC (6988).
  const foreign = new SoftwarePsam({ PIN_RELOAD: new Uint8Array(16).fill(0x11) });
  await new IssuerTerminal(later, foreign).reloadPin('135790').catch((error: unknown) => {
    if (!(error instanceof IssuerMacRejectedError)) throw error;
    console.log(`another issuer's keys: ${error.code}: ${error.message}`);
  });
  const window = new IssuerTerminal(later, windowPsam);
  await window.checkHolder(holder.person.idNumber);
  await window.reloadPin('135790');
  console.log('window: RELOAD PIN accepted');
  await later.verifyPin('135790');
  console.log('window: the holder verifies the reloaded PIN: ok');
} finally {
  await later.close();
}

// ---- the bank PIN: locked at an ATM, unlocked at the branch with the holder's bank PIN --------------
const atm = await insert('ATM');
await wrongTries('ATM', (pin) => atm.bank.verifyPin(pin));
console.log(`ATM: bank PIN tries left ${await atm.bank.pinTriesLeft()}`);
await atm.close();

const branch = await insert('bank branch');
try {
  const teller = new IssuerTerminal(branch, bankPsam);
  await teller.bankUnblock('864209').catch((error: unknown) => {
    if (!(error instanceof BankPinMismatchError)) throw error;
    console.log(`branch: wrong bank PIN, nothing changed: ${error.code}, tries left ${error.triesLeft}`);
  });
  await teller.bankUnblock('888888');
  console.log(`branch: bank PIN unlocked; tries left ${await branch.bank.pinTriesLeft()}`);
  await teller.bankReload('502718');
  await branch.bank.verifyPin('502718');
  console.log('branch: bank PIN reset; the holder verifies the new one: ok');
} finally {
  await branch.close();
}
