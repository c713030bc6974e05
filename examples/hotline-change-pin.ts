/**
 * A PIN changed by phone. The holder calls 12333 and changes the card's PIN with the keypad; the
 * office enciphers both PINs at once under the card's own key (it never keeps them) and queues a
 * script for the card. The next time the card is used at an online POS, the POS applies the
 * script (the office MACs it over the card's challenge) and the card itself checks the current
 * PIN and sets the new one. From then on the new PIN works at any POS, online or not.
 *
 * Run: npx tsx examples/hotline-change-pin.ts
 *
 * The registry is an embedded store in a temporary directory; the master key is the project's
 * published TEST key PIN_CHANGE; never use it for a real card.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSscCard, samplePerson } from 'sscard/card-sim';
import { OfficeIssuerHost, Registry, RegistryHotlineService, parseKeys, runScriptedCall } from 'sscard/office';
import { MemoryTransport, PinIncorrectError, SoftwarePsam, SscCard } from 'sscard/terminal';

const dir = mkdtempSync(join(tmpdir(), 'sscard-hotline-example-'));
const registry = await Registry.open(`file:${dir}`);
try {
  // The card is issued: recorded by the office, personalized from the same document.
  const issued = await registry.issueCard(
    { terminalId: 'window-110105-01', role: 'window', channel: 'counter' },
    { document: samplePerson('zhang-wei') },
  );
  const chip = buildSscCard({ ...(issued.document as object), pin: { initial: '123456', tryLimit: 3 } } as never);
  const cardNumber = issued.card.cardNumber;
  const idNumber = issued.card.idNumber;
  console.log(`card ${cardNumber} issued; its PIN is the initial one`);

  // The office's secure module: the PIN change master key, outside the database.
  const officePsam = SoftwarePsam.withTestKeys(['PIN_CHANGE']);

  // 1. The call: 2 card services, 2 change PIN, card number without its letter, current PIN,
  //    ID number, new PIN twice; each entry ends with #.
  const hotline = new RegistryHotlineService(registry, officePsam, {
    terminalId: 'ivr-12333-01',
    role: 'hotline',
    channel: 'ivr',
  });
  const keys = parseKeys(`2 2 ${cardNumber}# 123456# ${idNumber}# 246810# 246810#`);
  const outcome = await runScriptedCall(hotline, keys, { lang: 'en' }, (output) => {
    for (const line of output.lines) if (line.startsWith('Your PIN change')) console.log(`hotline: ${line}`);
  });
  console.log(`call ended: ${outcome}`);
  console.log(`pending scripts for ${cardNumber}: ${(await registry.cardStatus(cardNumber)).pendingScripts}`);

  // 2. Until the card is used online, the old PIN still works (an offline POS).
  const offlineBefore = await SscCard.open(new MemoryTransport(chip), { refuseInitialPin: false });
  await offlineBefore.verifyPin('123456');
  console.log('offline POS: the old PIN still works');

  // 3. A pharmacy POS online: opening the card applies the pending script.
  const host = new OfficeIssuerHost(registry, officePsam, {
    terminalId: 'pos-pharmacy-7',
    role: 'pos',
    channel: 'terminal',
  });
  const online = await SscCard.open(new MemoryTransport(chip), { issuerHost: host });
  for (const entry of online.issuerScripts?.entries ?? [])
    console.log(`online POS: script ${entry.kind} ${entry.outcome?.result ?? 'not sent'}`);
  const status = await registry.cardStatus(cardNumber);
  console.log(`office: pending scripts ${status.pendingScripts}, PIN initial ${status.pinInitial}`);

  // 4. An offline POS: the new PIN works, the old one no longer.
  const offlineAfter = await SscCard.open(new MemoryTransport(chip));
  try {
    await offlineAfter.verifyPin('123456');
  } catch (error) {
    if (error instanceof PinIncorrectError)
      console.log(`offline POS: the old PIN is refused (${error.triesLeft} tries left)`);
  }
  await offlineAfter.verifyPin('246810');
  console.log('offline POS: the new PIN works');
} finally {
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
}
