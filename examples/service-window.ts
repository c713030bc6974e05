/**
 * The issuer's service window and the bank branch, with the back office registry. The window
 * issues a card (the registry records it, the chip is made from the stored document); a pharmacy
 * locks the PIN with three wrong tries; the window unlocks it (ID document checked against the
 * registry and the chip; PIN UNBLOCK keeps the PIN) and later resets a forgotten one (RELOAD PIN,
 * the new PIN typed twice); the bank activates the bank side and unlocks a bank PIN locked at an
 * ATM only with the holder's correct bank PIN. Every act, refusals too, is in the registry's
 * history, printed at the end.
 *
 * Run: npx tsx examples/service-window.ts   (after npm run build: it imports the built package by its name)
 *
 * The registry is an embedded one in a temporary directory; the master keys are the project's
 * published TEST keys; never use them for a real card.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSscCard, samplePerson } from 'sscard/card-sim';
import type { SimulatedCard } from 'sscard/card-sim';
import { OperationRefusedError, Registry, ServiceWindow, fixedClock } from 'sscard/office';
import {
  CardChannel,
  MemoryTransport,
  PinBlockedError,
  PinIncorrectError,
  SoftwarePsam,
  SscCard,
} from 'sscard/terminal';

const dir = mkdtempSync(join(tmpdir(), 'sscard-window-example-'));
const registry = await Registry.open(`file:${dir}`, { clock: fixedClock('2025-03-03T09:30:00+08:00') });

/** The window keeps the application PIN, the branch the bank PIN; both read EF06 of 3.00 cards. */
const desk = new ServiceWindow(
  registry,
  { terminalId: 'window-110105-03', role: 'window', channel: 'counter' },
  SoftwarePsam.withTestKeys(['RKSSSE', 'PIN_UNBLOCK', 'PIN_RELOAD']),
);
const branch = new ServiceWindow(
  registry,
  { terminalId: 'bank-icbc-0042', role: 'bank', channel: 'counter' },
  SoftwarePsam.withTestKeys(['RKSSSE', 'BANK_PIN_UNBLOCK', 'BANK_PIN_RELOAD', 'BANK_APP_CONTROL']),
);

/** The card in a reader for the length of `fn`. */
async function inReader<T>(chip: SimulatedCard, fn: (reader: CardChannel) => Promise<T>): Promise<T> {
  const reader = new CardChannel(new MemoryTransport(chip));
  try {
    return await fn(reader);
  } finally {
    await reader.close();
  }
}

/** Runs an act that should be refused, and prints the refusal's code. */
async function refused(who: string, act: () => Promise<unknown>): Promise<void> {
  try {
    await act();
    console.log(`${who}: NOT refused`);
  } catch (error) {
    if (!(error instanceof OperationRefusedError)) throw error;
    console.log(`${who}: refused ${error.code}: ${error.message}`);
  }
}

async function threeWrong(tryPin: (pin: string) => Promise<void>): Promise<void> {
  for (const pin of ['111111', '222222', '333333']) {
    await tryPin(pin).catch((error: unknown) => {
      if (!(error instanceof PinIncorrectError || error instanceof PinBlockedError)) throw error;
    });
  }
}

try {
  // ---- the window issues a financial card ------------------------------------------------------------
  const person = samplePerson('zhang-wei');
  const idNumber = person.person.idNumber;
  let chip: SimulatedCard | undefined;
  const issued = await desk.issueCard({
    document: { ...person, financial: true },
    makeCard: (document) => void (chip = buildSscCard(document)),
  });
  const card = chip as unknown as SimulatedCard;
  const number = issued.card.cardNumber;
  console.log(
    `window: issued card ${number} to ${issued.card.holderName}, valid ${issued.card.issueDate} to ${issued.card.expiryDate}`,
  );

  // ---- at a pharmacy: three wrong PINs lock the application PIN ------------------------------------
  await inReader(card, async (reader) => threeWrong(async (pin) => (await SscCard.open(reader)).verifyPin(pin)));
  console.log(`pharmacy: three wrong PINs; the registry still says ${(await registry.cardStatus(number)).ssc}`);

  // ---- at the window: the ID document must be the holder's ----------------------------------------
  await refused("window, someone else's ID", () =>
    inReader(card, (reader) => desk.unlockPin(reader, { idNumber: samplePerson('li-xiuying').person.idNumber })),
  );
  const unlocked = await inReader(card, (reader) => desk.unlockPin(reader, { idNumber }));
  console.log(
    `window: ${unlocked.cardCommand}; lock recorded first: ${unlocked.lockRecorded}; registry: ${unlocked.card.ssc}`,
  );

  // ---- months later the holder forgets the PIN: a new one, typed twice ------------------------------
  await refused('window, new PIN typed differently', () =>
    inReader(card, (reader) => desk.resetPin(reader, { idNumber, newPin: '135790', newPinAgain: '135709' })),
  );
  const reset = await inReader(card, (reader) =>
    desk.resetPin(reader, { idNumber, newPin: '135790', newPinAgain: '135790' }),
  );
  console.log(`window: ${reset.cardCommand}; PIN still initial: ${reset.card.pinInitial}`);
  await inReader(card, async (reader) => (await SscCard.open(reader)).verifyPin('135790'));
  console.log('pharmacy: the holder verifies the new PIN: ok');

  // ---- the bank PIN: activated at the branch, locked at an ATM, unlocked with the holder's bank PIN ---
  await inReader(card, (reader) => branch.activateBank(reader, { idNumber }));
  await inReader(card, async (reader) => threeWrong(async (pin) => (await SscCard.open(reader)).bank.verifyPin(pin)));
  console.log(
    `ATM: bank PIN tries left ${await inReader(card, async (reader) => (await SscCard.open(reader)).bank.pinTriesLeft())}`,
  );
  await refused('branch, wrong bank PIN', () =>
    inReader(card, (reader) => branch.bankUnlock(reader, { idNumber, bankPin: '864209' })),
  );
  const bankUnlocked = await inReader(card, (reader) => branch.bankUnlock(reader, { idNumber, bankPin: '888888' }));
  console.log(`branch: ${bankUnlocked.cardCommand}; registry bank side: ${bankUnlocked.card.bank}`);

  // ---- the history ----------------------------------------------------------------------------------
  console.log(`history of ${number}:`);
  for (const e of await registry.history(number)) {
    console.log(`  ${e.operation} ${e.result}${e.reason === null ? '' : ` ${e.reason}`} (${e.role} ${e.terminalId})`);
  }
} finally {
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
}
