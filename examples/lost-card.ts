/**
 * A lost card, from the loss report to the replacement. The holder reports the card lost through
 * the 12333 voice menu; a pharmacy that is handed the card checks it against the registry,
 * refuses it and blocks its application on the spot, so that from then on every terminal finds
 * it blocked; the holder reports both sides lost in writing and gets a new card at the window;
 * the new card works (its bank application once the bank activates it), the old one never again,
 * also at offline terminals, which load the signed blacklist file.
 *
 * Run: npx tsx examples/lost-card.ts
 *
 * The registry is an embedded store in a temporary directory, on a fixed clock. The master keys
 * and the blacklist signing key are the project's published TEST keys; never use them for real.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSscCard, samplePerson, validatePersonalization } from 'sscard/card-sim';
import type { SimulatedCard } from 'sscard/card-sim';
import { blacklistTestPublicKey } from 'sscard/keys';
import { Registry } from 'sscard/office';
import type { OperationContext } from 'sscard/office';
import {
  ApplicationBlockedError,
  ApplicationControl,
  BlacklistFile,
  CardBlacklistedError,
  MemoryTransport,
  SoftwarePsam,
  SscCard,
} from 'sscard/terminal';
import type { BlacklistSource } from 'sscard/terminal';

const WINDOW: OperationContext = { terminalId: 'window-110105-01', role: 'window', channel: 'counter' };
const IVR: OperationContext = { terminalId: 'ivr-12333', role: 'hotline', channel: 'ivr' };
const BANK: OperationContext = { terminalId: 'bank-branch-0042', role: 'bank', channel: 'counter' };
const PHARMACY: OperationContext = { terminalId: 'pos-pharmacy-7', role: 'pos', channel: 'terminal' };
const BATCH: OperationContext = { terminalId: 'blacklist-cron', role: 'admin', channel: 'batch' };

let now = new Date('2027-01-05T10:00:00+08:00');
const clock = { now: () => new Date(now.getTime()) };
const later = (iso: string) => void (now = new Date(iso));

const dir = mkdtempSync(join(tmpdir(), 'sscard-lost-card-'));
const registry = await Registry.open(`file:${join(dir, 'registry')}`, { clock });
const holder = samplePerson('zhang-wei');
const checkDocument = (d: Record<string, unknown>) => void validatePersonalization(d);

/** A pharmacy's secure module: RKSSSE to read 3.00 cards, APP_CONTROL to block listed cards. */
const pharmacyPsam = SoftwarePsam.withTestKeys(['RKSSSE', 'APP_CONTROL']);
const bankPsam = SoftwarePsam.withTestKeys(['RKSSSE', 'BANK_APP_CONTROL']);

async function atPharmacy(
  chip: SimulatedCard,
  blacklist: BlacklistSource | undefined,
  who: string,
): Promise<SscCard | undefined> {
  try {
    return await SscCard.open(new MemoryTransport(chip), {
      psam: pharmacyPsam,
      ...(blacklist === undefined ? {} : { blacklist, blockBlacklisted: true }),
    });
  } catch (error) {
    if (error instanceof CardBlacklistedError) {
      const action = error.applicationBlocked ? `; application blocked${error.reported ? ' and reported' : ''}` : '';
      console.log(`${who}: refused, ${error.entries.map((e) => `${e.side} ${e.reason}`).join(', ')}${action}`);
    } else if (error instanceof ApplicationBlockedError) {
      console.log(`${who}: the card answers as a blocked application (${error.code})`);
    } else {
      throw error;
    }
    return undefined;
  }
}

/** The blacklist file the nightly job exports, as an offline POS loads and checks it. */
async function exportedBlacklist(): Promise<BlacklistFile> {
  const file = join(dir, 'blacklist.json');
  writeFileSync(file, JSON.stringify(await registry.exportBlacklist(BATCH)));
  return BlacklistFile.parse(readFileSync(file, 'utf8'), { publicKey: blacklistTestPublicKey(), now: clock.now });
}

try {
  // ---- issue; the holder activates the bank side and changes the initial PIN ---------------------
  const issued = await registry.issueCard(WINDOW, {
    document: { ...holder, financial: true },
    validate: checkDocument,
  });
  const oldNumber = issued.card.cardNumber;
  const oldChip = buildSscCard(issued.document);
  console.log(`window: issued card ${oldNumber} to ${issued.card.holderName}; bank side ${issued.card.bank}`);
  await registry.activateBank(BANK, {
    cardNumber: oldNumber,
    idNumber: holder.person.idNumber,
    cardSide: async () => {
      const card = await SscCard.open(new MemoryTransport(oldChip), { psam: bankPsam });
      await ApplicationControl.forCard(card, bankPsam).unblock('bank');
      await card.close();
    },
  });
  const first = await SscCard.open(new MemoryTransport(oldChip), { psam: pharmacyPsam, refuseInitialPin: false });
  await first.changePin('123456', '602851');
  await registry.recordPinChanged(PHARMACY, { cardNumber: oldNumber });
  await first.close();
  console.log(
    `bank: bank side active; pharmacy: PIN changed (registry pinInitial=${(await registry.cardStatus(oldNumber)).pinInitial})`,
  );

  // ---- the card is lost: a self-service report through the 12333 voice menu ----------------------
  later('2027-02-01T22:40:00+08:00');
  const reported = await registry.reportLoss(IVR, { cardNumber: oldNumber, side: 'ssc', channel: 'self' });
  console.log(`12333 voice menu, 22:40: social security side ${reported.ssc}`);

  // ---- a pharmacy, online, is handed the card --------------------------------------------------
  later('2027-02-02T09:15:00+08:00');
  await atPharmacy(oldChip, registry.blacklistSource(PHARMACY), 'pharmacy (online)');
  await atPharmacy(oldChip, undefined, 'another terminal, no blacklist');
  console.log(
    `registry: application blocked on the card: ${(await registry.lossStatus(oldNumber)).applicationBlocked.ssc}`,
  );

  // ---- written reports of both sides, then the replacement at the window --------------------------
  later('2027-02-02T10:00:00+08:00');
  await registry.reportLoss(WINDOW, {
    cardNumber: oldNumber,
    side: 'ssc',
    channel: 'written',
    idNumber: holder.person.idNumber,
    document: 'id',
  });
  // The card is lost, so the bank checks the bank PIN against the account in its own systems.
  await registry.reportLoss(BANK, {
    cardNumber: oldNumber,
    side: 'bank',
    channel: 'written',
    idNumber: holder.person.idNumber,
    bankPinCheck: { on: 'bank_system', check: async () => undefined },
  });
  const replaced = await registry.replaceCard(WINDOW, {
    cardNumber: oldNumber,
    idNumber: holder.person.idNumber,
    validate: checkDocument,
  });
  const newChip = buildSscCard(replaced.document);
  const fresh = replaced.card;
  console.log(
    `window: ${oldNumber} replaced by ${fresh.cardNumber} (identifier ${fresh.cardIdentifier}); old card ${replaced.old.ssc}/${replaced.old.bank}`,
  );

  // ---- the new card works; its bank side once the bank activates it ------------------------------
  const blacklist = await exportedBlacklist();
  console.log(
    `blacklist file version ${blacklist.version}: ${blacklist.listings.map((l) => `${l.cardNumber} ${l.side} ${l.reason}`).join(', ')}`,
  );
  const newCard = await atPharmacy(newChip, blacklist, 'pharmacy (offline)');
  if (newCard !== undefined) {
    console.log(
      `pharmacy (offline): new card ${(await newCard.readCardInfo()).cardNumber} of ${(await newCard.readCardholder()).name} accepted`,
    );
    try {
      await newCard.bank.verifyPin('888888');
    } catch (error) {
      if (!(error instanceof ApplicationBlockedError)) throw error;
      console.log('ATM: bank application not active yet');
    }
    await newCard.close();
  }
  later('2027-02-05T11:00:00+08:00');
  const activated = await registry.activateBank(BANK, {
    cardNumber: fresh.cardNumber,
    idNumber: holder.person.idNumber,
    cardSide: async () => {
      const card = await SscCard.open(new MemoryTransport(newChip), { psam: bankPsam });
      await ApplicationControl.forCard(card, bankPsam).unblock('bank');
      await card.bank.verifyPin('888888');
      await card.close();
    },
  });
  console.log(`bank: bank side of ${fresh.cardNumber} ${activated.bank}, bank PIN verified on the card`);

  // ---- the old card, never again ---------------------------------------------------------------
  await atPharmacy(oldChip, blacklist, 'old card, offline pharmacy');
  const listed = await blacklist.lookup({ cardNumber: oldNumber, cardIdentifier: issued.card.cardIdentifier });
  console.log(`old card, in the blacklist file: ${listed.map((e) => `${e.side} ${e.reason}`).join(', ')}`);
  const history = await registry.history(oldNumber);
  console.log(
    `history of ${oldNumber}: ${history.map((h) => h.operation + (h.result === 'refused' ? `(refused ${h.reason})` : '')).join(', ')}`,
  );
} finally {
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
}
