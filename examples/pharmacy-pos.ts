/**
 * A pharmacy point-of-sale flow on the terminal SDK: read the cardholder, take the PIN (making the
 * holder replace the initial one first), read the contraindicated drugs and check a prescription
 * against them.
 *
 * Run: npx tsx examples/pharmacy-pos.ts   (after npm run build: it imports the built package by its name)
 *
 * The card is simulated in memory. With a USB reader, the only change is the transport:
 * `await SmartcardTransport.connect({ reader: '...' })` from sscard/terminal.
 */
import { buildSscCard, samplePerson } from 'sscard/card-sim';
import {
  InitialPinInEffectError,
  MemoryTransport,
  PinBlockedError,
  PinIncorrectError,
  SscCard,
  findDrugConflicts,
  maskIdNumber,
} from 'sscard/terminal';
import type { PrescriptionItem } from 'sscard/terminal';

/** What the cardholder types on the PIN pad, in order (a real POS reads its keypad). */
const keypad = ['123456', '580913', '580913', '580913'];
function nextEntry(): string {
  const entry = keypad.shift();
  if (entry === undefined) throw new Error('the cardholder has nothing more to type');
  return entry;
}

/** The prescription, each drug with its ingredients and drug classes from the pharmacy's drug database. */
const prescription: PrescriptionItem[] = [
  { drug: '阿莫西林胶囊 (amoxicillin)', ingredients: ['阿莫西林', '青霉素类抗生素'] },
  { drug: '复方甘草片 (compound liquorice tablets)', ingredients: ['甘草浸膏粉', '阿片粉', '樟脑'] },
];

/**
 * Takes the PIN. A card still on the initial PIN is accepted by the chip but refused by the
 * terminal until the holder picks a new PIN (typed twice).
 */
async function takePin(card: SscCard): Promise<void> {
  const pin = nextEntry();
  try {
    await card.verifyPin(pin);
  } catch (error) {
    if (!(error instanceof InitialPinInEffectError)) throw error;
    console.log('initial PIN in effect: the cardholder must choose a new PIN');
    const newPin = nextEntry();
    card.validateNewPin(newPin, nextEntry());
    await card.changePin(pin, newPin);
    console.log('PIN changed');
    await card.verifyPin(nextEntry());
  }
  console.log('PIN verified');
}

const reader = new MemoryTransport(buildSscCard(samplePerson('zhang-wei')), { name: 'pharmacy reader' });
const card = await SscCard.open(reader);
try {
  const holder = await card.readCardholder();
  console.log(`cardholder: ${holder.name}, ID ${maskIdNumber(holder.idNumber)}`);

  try {
    await takePin(card);
  } catch (error) {
    if (error instanceof PinIncorrectError) console.log(`wrong PIN, ${error.triesLeft} tries left`);
    else if (error instanceof PinBlockedError) console.log('PIN blocked: send the cardholder to a service window');
    throw error;
  }

  const contraindications = await card.readContraindications();
  for (const c of contraindications) console.log(`contraindication on card: ${c.substance} (${c.reaction})`);
  const conflicts = findDrugConflicts(contraindications, prescription);
  for (const item of prescription) {
    const hit = conflicts.find((c) => c.drug === item.drug);
    console.log(
      hit === undefined
        ? `ok: ${item.drug}`
        : `CONFLICT: ${item.drug} contains ${hit.ingredient}, card lists ${hit.substance}`,
    );
  }
  console.log(conflicts.length === 0 ? 'dispense' : 'do not dispense: refer the prescription back to the doctor');
} finally {
  await card.close();
}
