import type { Command } from 'commander';
import type { CliIo } from './pin-input.js';

/*
 * The top-level commands, what `sscard --help` says of each, and the module that defines each.
 * A run loads only the module of the command it names (`sscard card show` never loads the
 * registry, the portal, the inspector or the PC/SC code): start-up is the module loading. A
 * command's module (commands/) only defines it, its options and its help; what it does
 * (actions/) loads from its action, so `sscard <command> --help` loads neither the card OS nor the
 * SDK. The help lines here are what the full definitions give (test/cli/command-table.test.ts
 * checks it).
 */

type Register = (program: Command, io: () => CliIo) => void;

export interface CommandEntry {
  /** The command's name, as typed. */
  name: string;
  /** Its line in `sscard --help`: name, `[options]` when it has some, its arguments. */
  term: string;
  description: string;
  /** Defines the command (and any other command of the same module) on `program`. */
  load: () => Promise<Register>;
}

export const COMMAND_TABLE: readonly CommandEntry[] = [
  {
    name: 'card',
    term: 'card',
    description: 'create, inspect and change card image files',
    load: async () => (await import('./commands/card.js')).registerCardCommands,
  },
  {
    name: 'apdu',
    term: 'apdu [options] <hex...>',
    description: 'send command APDUs (hex) to a card image (which keeps every change) or a PC/SC reader',
    load: async () => (await import('./commands/apdu.js')).registerApduCommand,
  },
  {
    name: 'script',
    term: 'script [options] <file>',
    description:
      'run an APDU script against a card image or a PC/SC reader (one APDU per line, optional "-> expected")',
    load: async () => (await import('./commands/script.js')).registerScriptCommand,
  },
  {
    name: 'sim',
    term: 'sim',
    description: 'run a simulated card',
    load: async () => (await import('./commands/sim.js')).registerSimCommands,
  },
  {
    name: 'inspect',
    term: 'inspect [options] <image.json>',
    description: 'show a card image at rest in the browser (read-only): files, decoded records, PIN and key counters',
    load: async () => (await import('./commands/inspect.js')).registerInspectCommand,
  },
  {
    name: 'readers',
    term: 'readers [options]',
    description: 'list PC/SC readers, whether each holds a card, and the ATR decoded',
    load: async () => (await import('./commands/readers.js')).registerReaderCommands,
  },
  {
    name: 'watch',
    term: 'watch [options]',
    description:
      'print reader and card events live; read the card number and holder of each social security card that appears',
    load: async () => (await import('./commands/readers.js')).registerReaderCommands,
  },
  {
    name: 'read',
    term: 'read [options]',
    description: 'read the card issuer and cardholder data as a POS terminal does (no PIN needed)',
    load: async () => (await import('./commands/read.js')).registerReadCommand,
  },
  {
    name: 'pin',
    term: 'pin',
    description: 'verify, change or check the application PIN (never taken from the command line)',
    load: async () => (await import('./commands/pin.js')).registerPinCommands,
  },
  {
    name: 'demo',
    term: 'demo [options]',
    description: 'walk through a pharmacy POS transaction on a simulated card (read holder, PIN change, drug check)',
    load: async () => (await import('./commands/demo.js')).registerDemoCommand,
  },
  {
    name: 'office',
    term: 'office',
    description: "the issuer's back office registry (persons, cards, personalizations, history)",
    load: async () => (await import('./commands/office.js')).registerOfficeCommands,
  },
  {
    name: 'doctor',
    term: 'doctor [options]',
    description:
      'check what PC/SC use needs (Node, the native bindings, pcscd, readers, the lab route); exit 1 if something is missing',
    load: async () => (await import('./commands/doctor.js')).registerDoctorCommand,
  },
  {
    name: 'hotline',
    term: 'hotline [options]',
    description: 'call the 12333 voice menu: change the card PIN by phone (applied by the next online terminal)',
    load: async () => (await import('./commands/hotline.js')).registerHotlineCommand,
  },
  {
    name: 'pos',
    term: 'pos [options]',
    description: 'a card at a POS terminal: online with --db (pending issuer scripts applied), then --verify the PIN',
    load: async () => (await import('./commands/pos.js')).registerPosCommand,
  },
  {
    name: 'window',
    term: 'window',
    description:
      "the service window and the bank branch: PIN unlock and reset with the card and the holder's ID, recorded in the registry (issuer keys: the project's TEST master keys, for simulated cards only)",
    load: async () => (await import('./commands/window.js')).registerWindowCommands,
  },
];

/**
 * The command a command line runs (`sscard [global options] <command> …`, `sscard help
 * <command>`), or undefined when it names none (help, or a name that is no command).
 */
export function commandNamed(argv: readonly string[]): CommandEntry | undefined {
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--now') {
      i += 1; // its value
      continue;
    }
    if (arg === '--') break;
    if (arg.startsWith('-')) continue;
    if (arg === 'help' && name === undefined) {
      name = argv.slice(i + 1).find((a) => !a.startsWith('-'));
      break;
    }
    name = arg;
    break;
  }
  return COMMAND_TABLE.find((c) => c.name === name);
}
