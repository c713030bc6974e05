/**
 * The POS code under test in pos.test.ts: a pharmacy's check at the counter. It takes whatever
 * transport the till has (a USB reader in the shop, MemoryTransport in the tests), so the same
 * code runs against a real card and a simulated one.
 */
import {
  CardRemovedError,
  PinBlockedError,
  PinIncorrectError,
  SscCard,
  findDrugConflicts,
  type PrescriptionItem,
  type SscCardOptions,
  type Transport,
} from 'sscard/terminal';

/** What the till shows after the check. */
export type CounterOutcome =
  | { kind: 'dispense'; holder: string }
  | { kind: 'conflict'; holder: string; drugs: string[] }
  | { kind: 'wrong-pin'; triesLeft: number }
  | { kind: 'pin-blocked'; advice: string }
  | { kind: 'card-removed' };

/**
 * Reads the holder, verifies the PIN the holder typed, reads the contraindications and checks the
 * prescription against them. Card errors the cashier can act on become outcomes; anything else
 * (a silent card, a broken reader) is thrown to the caller.
 */
export async function counterCheck(
  transport: Transport,
  pin: string,
  prescription: readonly PrescriptionItem[],
  options: SscCardOptions = {},
): Promise<CounterOutcome> {
  const card = await SscCard.open(transport, options);
  try {
    const holder = (await card.readCardholder()).name;
    await card.verifyPin(pin);
    const conflicts = findDrugConflicts(await card.readContraindications(), prescription);
    if (conflicts.length > 0) return { kind: 'conflict', holder, drugs: conflicts.map((c) => c.drug) };
    return { kind: 'dispense', holder };
  } catch (error) {
    if (error instanceof PinIncorrectError) return { kind: 'wrong-pin', triesLeft: error.triesLeft };
    if (error instanceof PinBlockedError) return { kind: 'pin-blocked', advice: error.hint ?? error.message };
    if (error instanceof CardRemovedError) return { kind: 'card-removed' };
    throw error;
  }
}
