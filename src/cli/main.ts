#!/usr/bin/env node
/**
 * The `sscard` command line. Each command group lives in its own file under commands/ and
 * registers itself on the program; this file only wires them together and turns errors into
 * one clear line and a non-zero exit.
 */
import { Command, CommanderError } from 'commander';
import { SscardError } from '../apdu/index.js';
import { registerCardCommands } from './commands/card.js';
import { registerApduCommand } from './commands/apdu.js';
import { registerScriptCommand } from './commands/script.js';
import { registerReadCommand } from './commands/read.js';
import { registerPinCommands } from './commands/pin.js';
import { registerDemoCommand } from './commands/demo.js';
import { processIo } from './pin-input.js';
import type { CliIo } from './pin-input.js';
import { registerSimCommands } from './commands/sim.js';
import { registerInspectCommand } from './commands/inspect.js';
import { registerReaderCommands } from './commands/readers.js';
import { registerOfficeCommands } from './commands/office.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { parseErrorText } from './parse-errors.js';
import { packageVersion } from './version.js';
import { registerHotlineCommand } from './commands/hotline.js';
import { registerPosCommand } from './commands/pos.js';
import { registerWindowCommands } from './commands/window.js';
import { registerOfficeLossCommands } from './commands/office-loss.js';
import { NOW_ENV, fixedClock } from '../office/clock.js';

/**
 * `io` replaces the streams PINs are read from and prompted on (default process.stdin and
 * process.stderr); it is read when a command runs, not when the program is built.
 */
export function buildProgram(io: () => CliIo = processIo): Command {
  const program = new Command();
  program
    .name('sscard')
    .description('Social security card simulator and terminal SDK')
    .version(packageVersion(), '-V, --version', 'print the sscard version')
    .showHelpAfterError(false)
    .configureOutput({ outputError: (text, write) => write(parseErrorText(text)) })
    .exitOverride();
  // One clock for every dated rule (office hours, the 60-day activation window, blacklist age):
  // --now sets SSCARD_NOW for this run (runCli puts the previous value back afterwards).
  program.option(
    '--now <instant>',
    'the time to act at, for every dated rule: ISO date or date-time, e.g. 2027-01-05T10:00:00+08:00 (sets SSCARD_NOW)',
  );
  program.hook('preAction', () => {
    const now = program.opts<{ now?: string }>().now;
    if (now === undefined) return;
    fixedClock(now);
    process.env[NOW_ENV] = now;
  });
  // Command groups register here (one line each).
  registerCardCommands(program);
  registerApduCommand(program);
  registerScriptCommand(program);
  registerSimCommands(program);
  registerInspectCommand(program);
  registerReaderCommands(program);
  registerReadCommand(program);
  registerPinCommands(program, io);
  registerDemoCommand(program);
  registerOfficeCommands(program);
  registerOfficeLossCommands(program, io);
  registerDoctorCommand(program);
  registerHotlineCommand(program, io);
  registerPosCommand(program, io);
  registerWindowCommands(program, io);
  return program;
}

export async function runCli(argv: readonly string[], io?: Partial<CliIo>): Promise<number> {
  const program = buildProgram(() => ({ ...processIo(), ...io }));
  const nowBefore = process.env[NOW_ENV];
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; they already printed what they had to.
      return err.exitCode;
    }
    const message =
      err instanceof SscardError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`sscard: ${message}\n`);
    return typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : 1;
  } finally {
    if (nowBefore === undefined) delete process.env[NOW_ENV];
    else process.env[NOW_ENV] = nowBefore;
  }
}
