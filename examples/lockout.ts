/**
 * Three wrong PINs block the application PIN; after that even the right PIN is refused, and only
 * the issuer can reset it at a service window (see examples/service-window.ts).
 *
 * Run: npx tsx examples/lockout.ts   (after npm run build: it imports the built package by its name)
 */
import { buildSscCard, samplePerson } from 'sscard/card-sim';
import { MemoryTransport, PinBlockedError, PinIncorrectError, SscCard } from 'sscard/terminal';

const rightPin = '123456'; // the card was never used: its PIN is still the initial one
const wrongPins = ['111111', '222222', '333333'];

const card = await SscCard.open(new MemoryTransport(buildSscCard(samplePerson('zhang-wei'))));
try {
  const before = await card.pinStatus();
  console.log(`tries left: ${before.triesLeft}`);
  for (const pin of wrongPins) {
    try {
      await card.verifyPin(pin);
      throw new Error('a wrong PIN was accepted');
    } catch (error) {
      if (error instanceof PinIncorrectError)
        console.log(`wrong PIN: ${error.triesLeft} ${error.triesLeft === 1 ? 'try' : 'tries'} left`);
      else if (error instanceof PinBlockedError)
        console.log(`wrong PIN: the PIN is now blocked (justBlocked=${error.justBlocked})`);
      else throw error;
    }
  }
  try {
    await card.verifyPin(rightPin);
    throw new Error('a blocked PIN was accepted');
  } catch (error) {
    if (!(error instanceof PinBlockedError)) throw error;
    console.log(`right PIN: refused, the PIN is blocked (${error.message})`);
  }
  const after = await card.pinStatus();
  console.log(`status: blocked=${after.blocked}, tries left ${after.triesLeft}`);
} finally {
  await card.close();
}
