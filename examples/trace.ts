/**
 * An APDU trace of a short session: every exchange the terminal makes (including GET RESPONSE
 * rounds) reaches the observer already masked, so PIN digits cannot leak into a log.
 *
 * Run: npx tsx examples/trace.ts   (after npm run build: it imports the built package by its name)
 */
import { buildSscCard, samplePerson } from 'sscard/card-sim';
import { MemoryTransport, PinIncorrectError, SscCard, formatTraceJson, formatTracePretty } from 'sscard/terminal';
import type { TraceEvent } from 'sscard/terminal';

// A T=0 card, so the trace also shows the GET RESPONSE rounds the channel adds (61xx answers).
const chip = buildSscCard(samplePerson('zhang-wei'), { transmission: 'T=0' });
const events: TraceEvent[] = [];
const card = await SscCard.open(new MemoryTransport(chip, { name: 'demo reader' }), {
  trace: (event) => {
    events.push(event);
    console.log(formatTracePretty(event));
  },
});
try {
  const info = await card.readCardInfo();
  console.log(`-- card ${info.cardNumber}; now a wrong PIN, then the PIN change`);
  try {
    await card.verifyPin('987654');
  } catch (error) {
    if (!(error instanceof PinIncorrectError)) throw error;
  }
  await card.changePin('123456', '864209');
} finally {
  await card.close();
}

// The same events as JSON lines, e.g. for a log file; the CHANGE PIN event as an example.
const change = events.find((e) => e.command.name === 'CHANGE PIN');
if (change !== undefined) console.log(`-- as JSON: ${formatTraceJson(change)}`);
