/**
 * A CommonJS consumer of the packed package (compiled to a .cjs file that uses require), type-checked
 * under strict + nodenext without skipLibCheck and then run. Prints { checks: { name: boolean } }.
 */
import * as root from 'sscard';
import { SscardError, fromHex, decodeCommand } from 'sscard/apdu';
import { DEFAULT_PIN_POLICY, validatePinFormat } from 'sscard/pin';
import { buildSscCard, samplePerson } from 'sscard/card-sim';
import { MemoryTransport, PinIncorrectError, SscCard } from 'sscard/terminal';
import type { Cardholder } from 'sscard/terminal';

type RootCardholder = root.terminal.Cardholder;

async function main(): Promise<void> {
  const checks: Record<string, boolean> = {};
  const card = await SscCard.open(new MemoryTransport(buildSscCard(samplePerson('zhang-wei'))));
  const holder: Cardholder = await card.readCardholder();
  const same: RootCardholder = holder;
  checks['cardholder read'] = same.name === '张伟';

  let wrongPin: unknown;
  try {
    await card.verifyPin('000000');
  } catch (error) {
    wrongPin = error;
  }
  // The ES module entry points, loaded from CommonJS: the same classes at run time. (To TypeScript
  // the .d.ts and .d.cts declarations are two declarations of each class, hence the cast.)
  type ErrorClass = abstract new (...args: never[]) => Error;
  const esmRoot = (await import('sscard')) as unknown as { SscardError: ErrorClass };
  const esmTerminal = (await import('sscard/terminal')) as unknown as {
    SscardError: ErrorClass;
    PinIncorrectError: ErrorClass;
  };
  checks['wrong PIN is PinIncorrectError'] = wrongPin instanceof PinIncorrectError;
  checks['wrong PIN is root.terminal.PinIncorrectError'] = wrongPin instanceof root.terminal.PinIncorrectError;
  checks['wrong PIN is import(sscard/terminal).PinIncorrectError'] = wrongPin instanceof esmTerminal.PinIncorrectError;
  checks['wrong PIN is sscard/apdu SscardError'] = wrongPin instanceof SscardError;
  checks['wrong PIN is import(sscard).SscardError'] = wrongPin instanceof esmRoot.SscardError;
  checks['wrong PIN is sscard/terminal SscardError'] = wrongPin instanceof esmTerminal.SscardError;

  try {
    validatePinFormat('12ab56', DEFAULT_PIN_POLICY);
    checks['PIN with letters refused'] = false;
  } catch (error) {
    checks['PIN with letters refused'] = error instanceof root.SscardError && error.code === 'PIN_FORMAT';
  }
  checks['decodes a command'] = decodeCommand(fromHex('00B2072C00')).ins === 0xb2;
  const schema = require('sscard/schema/card-report.schema.json') as { title: string };
  checks['schema is requirable'] = schema.title === 'sscard card report';
  console.log(JSON.stringify({ checks }));
}

void main();
