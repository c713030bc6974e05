import { SscardError, toHex } from '../../apdu/index.js';
import { buildSscCard, samplePerson } from '../../card-sim/index.js';
import {
  InitialPinInEffectError,
  MemoryTransport,
  NewPinRejectedError,
  PinIncorrectError,
  SscCard,
  findDrugConflicts,
  maskIdNumber,
} from '../../terminal/index.js';
import type { PrescriptionItem } from '../../terminal/index.js';
import { colors, printLine } from '../output.js';
import { printTrace } from '../trace-output.js';

/*
 * `sscard demo`: a pharmacy POS transaction on a simulated card in memory, told step by step.
 * Everything is fixed (sample person, PINs, prescription), so every run prints the same story;
 * only the public terminal and card-sim APIs are used, as POS software would use them.
 * PIN digits are never printed: the story says what the cardholder types, a keypad shows ******.
 */

/** The cardholder: 张伟, spec 2.00 card, penicillin allergy (青霉素, 过敏性休克) on the card. */
const DEMO_PERSON = 'zhang-wei';

/** What the cardholder types, in order. */
const PINS = {
  initial: '123456',
  chosen: '802417',
  /** The second entry of the new PIN, mistyped. */
  mistyped: '802471',
  wrong: '246802',
} as const;

/**
 * The demo prescription with each drug's ingredients and classes, as a pharmacy's drug database
 * would list them (findDrugConflicts matches the card's substances against these names).
 */
const PRESCRIPTION: ReadonlyArray<PrescriptionItem & { english: string }> = [
  { drug: '布洛芬缓释胶囊', english: 'ibuprofen sustained-release capsules', ingredients: ['布洛芬', '非甾体抗炎药'] },
  { drug: '阿莫西林胶囊', english: 'amoxicillin capsules', ingredients: ['阿莫西林', '青霉素类抗生素'] },
  { drug: '氯雷他定片', english: 'loratadine tablets', ingredients: ['氯雷他定', '抗组胺药'] },
];

const KEYPAD = '******';

/** A step of the story that did not go as scripted: the demo stops with this error. */
class DemoError extends SscardError {
  constructor(message: string) {
    super('DEMO_UNEXPECTED', `demo: ${message}`);
  }
}

/** Runs `action`, which must fail with an error of class `expected`; returns that error. */
async function expectFailure<E extends Error>(
  action: () => unknown,
  expected: abstract new (...args: never[]) => E,
  what: string,
): Promise<E> {
  try {
    await action();
  } catch (error) {
    if (error instanceof expected) return error;
    throw error;
  }
  throw new DemoError(`${what} was expected to be refused, and was not`);
}

export async function runDemo(opts: { trace?: boolean }): Promise<void> {
  const c = colors();
  let stepNo = 0;
  const step = (title: string) => printLine(`\n${c.bold(`${++stepNo}. ${title}`)}`);
  const say = (text: string) => printLine(`   ${text}`);
  const ok = (text: string) => say(`${c.green('ok')}       ${text}`);
  const refused = (text: string) => say(`${c.yellow('refused')}  ${text}`);

  printLine(c.bold('sscard demo: a pharmacy POS and a simulated social security card'));
  printLine(
    c.dim(
      `(card in memory, sample cardholder ${DEMO_PERSON}${opts.trace === true ? '; APDU trace on stderr, PINs masked' : ''})`,
    ),
  );

  step('Insert card');
  const reader = new MemoryTransport(buildSscCard(samplePerson(DEMO_PERSON)), { name: 'pharmacy reader' });
  const card = await SscCard.open(reader, opts.trace === true ? { trace: printTrace } : {});
  try {
    say(`ATR ${toHex(card.atr, { spaces: true })} (${reader.protocol})`);
    const info = await card.readCardInfo();
    say(`card ${info.cardNumber}, spec ${info.specVersion}, valid until ${info.expiryDate}`);

    step('Read cardholder');
    const holder = await card.readCardholder();
    say(`name      ${holder.name}`);
    say(`ID        ${maskIdNumber(holder.idNumber)}   (masked on screen and receipt)`);
    say(`sex       ${holder.sex}, born ${holder.birthDate}`);

    step('Cardholder enters the PIN');
    const before = await card.pinStatus();
    say(`PIN tries left: ${before.triesLeft ?? '?'}`);
    say(`keypad: ${KEYPAD}   (the initial PIN the card was issued with)`);
    const initial = await expectFailure(() => card.verifyPin(PINS.initial), InitialPinInEffectError, 'the initial PIN');
    refused(`${initial.message}`);

    step('Change the PIN (new PIN typed twice)');
    say(`keypad: new ${KEYPAD}, again ${KEYPAD}   (second entry mistyped)`);
    const mismatch = await expectFailure(
      () => card.validateNewPin(PINS.chosen, PINS.mistyped),
      NewPinRejectedError,
      'a mistyped new PIN',
    );
    refused(`${mismatch.message}`);
    say(`keypad: new ${KEYPAD}, again ${KEYPAD}   (the initial PIN once more)`);
    const again = await expectFailure(
      () => card.validateNewPin(PINS.initial, PINS.initial),
      NewPinRejectedError,
      'the initial PIN as new PIN',
    );
    refused(`${again.message}`);
    say(`keypad: new ${KEYPAD}, again ${KEYPAD}`);
    card.validateNewPin(PINS.chosen, PINS.chosen);
    await card.changePin(PINS.initial, PINS.chosen);
    ok('PIN changed on the card');

    step('Cardholder enters a wrong PIN');
    say(`keypad: ${KEYPAD}`);
    const wrong = await expectFailure(() => card.verifyPin(PINS.wrong), PinIncorrectError, 'a wrong PIN');
    refused(`wrong PIN, ${wrong.triesLeft} ${wrong.triesLeft === 1 ? 'try' : 'tries'} left`);

    step('Cardholder enters the right PIN');
    say(`keypad: ${KEYPAD}`);
    await card.verifyPin(PINS.chosen);
    const after = await card.pinStatus();
    if (!after.verified) throw new DemoError('the card does not report the PIN as verified');
    ok('PIN verified');

    step('Read contraindicated drugs from the card');
    const contraindications = await card.readContraindications();
    if (contraindications.length === 0) say('none recorded');
    for (const x of contraindications) say(`${x.substance}: ${x.reaction}`);

    step('Check the prescription');
    say(c.dim('rule: a substance on the card matches a drug when one name contains the other'));
    say(c.dim('      (the drug listed with its ingredients and drug classes)'));
    const conflicts = findDrugConflicts(contraindications, PRESCRIPTION);
    for (const item of PRESCRIPTION) {
      const hits = conflicts.filter((x) => x.drug === item.drug);
      const label = `${item.drug} (${item.english})`;
      if (hits.length === 0) {
        ok(label);
        continue;
      }
      for (const hit of hits) {
        say(`${c.red('CONFLICT')} ${label}: contains ${hit.ingredient}; card lists ${hit.substance} (${hit.reaction})`);
      }
    }
    const drugs = [...new Set(conflicts.map((x) => x.drug))];
    if (drugs.length === 0) say(c.green('no conflicts: dispense'));
    else
      say(
        c.red(
          `${drugs.length} conflicting drug${drugs.length === 1 ? '' : 's'}: do not dispense ${drugs.join(', ')}; refer to the prescriber`,
        ),
      );
  } finally {
    await card.close();
  }

  step('Remove card');
  say('card powered off; its verified-PIN state is gone');
  printLine(`\n${c.green('done')}`);
}
