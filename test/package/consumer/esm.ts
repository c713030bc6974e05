/**
 * An ES module consumer of the packed package, type-checked under strict + nodenext without
 * skipLibCheck and then run. It prints one JSON object: { checks: { name: boolean } }.
 */
import { createRequire } from 'node:module';
import * as root from 'sscard';
import { SscardError } from 'sscard';
import * as apdu from 'sscard/apdu';
import * as pin from 'sscard/pin';
import * as records from 'sscard/records';
import * as keys from 'sscard/keys';
import * as cardSim from 'sscard/card-sim';
import * as terminal from 'sscard/terminal';
import * as bridge from 'sscard/bridge';
import { MemoryTransport, PinIncorrectError, SscCard } from 'sscard/terminal';
import type { Contraindication, HealthFlags, WorkRecord } from 'sscard/terminal';
import schema from 'sscard/schema/card-report.schema.json' with { type: 'json' };

// Types reached through the root's namespaces, as a consumer writes them.
type RootContraindication = root.terminal.Contraindication;
type RootWorkRecord = root.records.WorkRecord;
type RootPolicy = root.pin.PinPolicy;
type RootCommand = root.apdu.CommandApdu;

const contraindication: RootContraindication = { substance: '青霉素', reaction: '过敏性休克' };
const same: Contraindication = contraindication;
const work: RootWorkRecord | WorkRecord = {
  employerCode: 'X',
  startDate: '2020-01-01',
  endDate: null,
  employerName: 'Y',
};
const policy: RootPolicy = pin.DEFAULT_PIN_POLICY;
const command: RootCommand = { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: new Uint8Array(0) };
const flags: Partial<HealthFlags> = { asthma: true };

const require = createRequire(import.meta.url);
const cjsApdu = require('sscard/apdu') as typeof apdu;
const cjsTerminal = require('sscard/terminal') as typeof terminal;
const cjsRoot = require('sscard') as typeof root;

const checks: Record<string, boolean> = {};

// A wrong PIN on a simulated card, through the terminal entry point.
const chip = cardSim.buildSscCard(cardSim.samplePerson('zhang-wei'));
const card = await SscCard.open(new MemoryTransport(chip));
let wrongPin: unknown;
try {
  await card.verifyPin('000000');
} catch (error) {
  wrongPin = error;
}
checks['wrong PIN is terminal.PinIncorrectError'] = wrongPin instanceof PinIncorrectError;
checks['wrong PIN is root.terminal.PinIncorrectError'] = wrongPin instanceof root.terminal.PinIncorrectError;
checks['wrong PIN is require(sscard/terminal).PinIncorrectError'] = wrongPin instanceof cjsTerminal.PinIncorrectError;
checks['wrong PIN is require(sscard).terminal.PinIncorrectError'] =
  wrongPin instanceof cjsRoot.terminal.PinIncorrectError;
for (const [where, base] of Object.entries({
  sscard: SscardError,
  'sscard/apdu': apdu.SscardError,
  'sscard/pin': pin.SscardError,
  'sscard/records': records.SscardError,
  'sscard/keys': keys.SscardError,
  'sscard/card-sim': cardSim.SscardError,
  'sscard/terminal': terminal.SscardError,
  'sscard/bridge': bridge.SscardError,
  'require(sscard/apdu)': cjsApdu.SscardError,
  'require(sscard)': cjsRoot.SscardError,
})) {
  checks[`wrong PIN is ${where}.SscardError`] = wrongPin instanceof base;
}

// A PIN format error thrown by the pin entry point, caught as the apdu entry point's base class.
try {
  pin.validatePinFormat('12', policy);
  checks['short PIN refused'] = false;
} catch (error) {
  checks['short PIN refused'] =
    error instanceof apdu.SscardError &&
    error instanceof cjsApdu.SscardError &&
    (error as apdu.SscardError).code === 'PIN_FORMAT';
}

checks['types compile and values round-trip'] =
  same.substance === '青霉素' && work.endDate === null && command.ins === 0xa4 && flags.asthma === true;
checks['schema is importable'] = schema.title === 'sscard card report';

console.log(JSON.stringify({ checks }));
