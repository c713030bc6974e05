/**
 * A hospital writes the medical history on the card; a pharmacy can read it but not write it.
 * Writing DF10 (health) needs external authentication with the health key and a write sent with
 * secure messaging (a MAC made with that key), which only the hospital terminal's secure module
 * (PSAM) can provide; reading needs the cardholder's PIN.
 *
 * Run: npx tsx examples/hospital-records.ts   (after npm run build: it imports the built package by its name)
 *
 * The secure modules hold the project's published TEST master keys (the simulated card is
 * personalized with keys diversified from them); never use them for a real card.
 */
import { buildSscCard, samplePerson } from 'sscard/card-sim';
import { InitialPinInEffectError, MemoryTransport, SecurityStatusError, SoftwarePsam, SscCard } from 'sscard/terminal';
import type { MedicalHistoryEntry, SecureModule } from 'sscard/terminal';

// 李秀英: spec 3.00 card (SM4), so even reading the cardholder data needs the RKSSSE key.
const chip = buildSscCard(samplePerson('li-xiuying'));
const holderPin = '470219';

/** Puts the card into a reader of a terminal with secure module `psam`; the card is powered on. */
function insert(terminal: string, psam: SecureModule): Promise<SscCard> {
  return SscCard.open(new MemoryTransport(chip, { name: terminal }), { psam });
}

function show(history: MedicalHistoryEntry[]): void {
  for (const h of history) console.log(`  ${h.date} ${h.icd10} ${h.diagnosis} (${h.institution})`);
}

// ---- the hospital: holds the HEALTH and RKSSSE keys -----------------------------------------
const hospital = await insert('hospital reader', SoftwarePsam.withTestKeys(['HEALTH', 'RKSSSE']));
try {
  const holder = await hospital.readCardholder();
  console.log(`hospital: patient ${holder.name}, born ${holder.birthDate}`);
  // First visit with this card: the holder replaces the initial PIN before anything else.
  try {
    await hospital.verifyPin('123456');
  } catch (error) {
    if (!(error instanceof InitialPinInEffectError)) throw error;
    hospital.validateNewPin(holderPin, holderPin);
    await hospital.changePin('123456', holderPin);
    console.log('hospital: initial PIN replaced by the holder');
  }
  await hospital.verifyPin(holderPin);
  console.log('hospital: medical history on the card (newest first)');
  show(await hospital.readMedicalHistory());

  await hospital.appendMedicalHistory({
    date: '2026-03-16',
    icd10: 'J18.900',
    diagnosis: '社区获得性肺炎',
    institution: '12310000425023419N',
  });
  console.log('hospital: appended a record');
  show(await hospital.readMedicalHistory());
} finally {
  await hospital.close();
}

// ---- the pharmacy: holds RKSSSE only ----------------------------------------------------------
const pharmacy = await insert('pharmacy reader', SoftwarePsam.withTestKeys(['RKSSSE']));
try {
  await pharmacy.verifyPin(holderPin);
  const history = await pharmacy.readMedicalHistory();
  console.log(`pharmacy: reads ${history.length} history records, newest ${history[0]?.diagnosis ?? '(none)'}`);
  try {
    await pharmacy.appendMedicalHistory({
      date: '2026-03-17',
      icd10: 'Z76.000',
      diagnosis: '处方续配',
      institution: '91310104MA1FL0XX2K',
    });
    console.log('pharmacy: write accepted (unexpected)');
    process.exitCode = 1;
  } catch (error) {
    if (!(error instanceof SecurityStatusError)) throw error;
    console.log(`pharmacy: write refused by the card: ${error.message}`);
  }
} finally {
  await pharmacy.close();
}
