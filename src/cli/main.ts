#!/usr/bin/env node
/**
 * The `sscard` command line. Each command group is defined in its own file under commands/
 * (options, help) and registers itself on the program; its implementation, under actions/, loads
 * when its action runs. This file only wires them together and turns errors into one clear line
 * and a non-zero exit.
 */
import { Command, CommanderError, Help } from 'commander';
import { type CliIo, processIo } from './io.js';
import { parseErrorText } from './parse-errors.js';
import { packageVersion } from './version.js';
import { COMMAND_TABLE, commandNamed } from './command-table.js';

// What this file loads before the command line is read stays small (commander and the table of
// commands): the card OS, the SDK, the registry and the PIN prompt load with the command that
// uses them.

/** office/clock.ts's NOW_ENV, the variable --now sets (named here so the clock loads only when used). */
export const NOW_ENV = 'SSCARD_NOW';

/** The program with its global options and no command. */
function baseProgram(): Command {
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
  program.hook('preAction', async () => {
    const now = program.opts<{ now?: string }>().now;
    if (now === undefined) return;
    const { fixedClock } = await import('../office/clock.js');
    fixedClock(now);
    process.env[NOW_ENV] = now;
  });
  return program;
}

/**
 * The whole program, every command defined (this loads the module of every command; a run loads
 * only the one it names, see runCli). `io` replaces the streams PINs are read from and prompted
 * on (default process.stdin and process.stderr); it is read when a command runs.
 */
export async function buildProgram(io?: () => CliIo): Promise<Command> {
  const program = baseProgram();
  io ??= processIo;
  const loaded = new Set<unknown>();
  for (const entry of COMMAND_TABLE) {
    const register = await entry.load();
    if (loaded.has(register)) continue; // one module defining two commands (readers, watch)
    loaded.add(register);
    register(program, io);
  }
  return program;
}

/**
 * The program for one command line: the command it names defined in full, or, when it names
 * none (`sscard`, `sscard --help`, a misspelt name), every command by its help line alone.
 */
async function programFor(argv: readonly string[], io: Partial<CliIo> | undefined): Promise<Command> {
  const program = baseProgram();
  const entry = commandNamed(argv);
  if (entry !== undefined) {
    const register = await entry.load();
    register(program, () => ({ ...processIo(), ...io }));
    return program;
  }
  const terms = new Map(COMMAND_TABLE.map((e) => [e.name, e.term]));
  const help = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? help.subcommandTerm(cmd) });
  for (const e of COMMAND_TABLE) program.command(e.name).description(e.description);
  return program;
}

export async function runCli(argv: readonly string[], io?: Partial<CliIo>): Promise<number> {
  const program = await programFor(argv, io);
  const nowBefore = process.env[NOW_ENV];
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; they already printed what they had to.
      return err.exitCode;
    }
    // The error classes are loaded by now if a command could throw one.
    const { SscardError } = await import('../apdu/index.js');
    const message =
      err instanceof SscardError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`sscard: ${message}\n`);
    return typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : 1;
  } finally {
    if (nowBefore === undefined) delete process.env[NOW_ENV];
    else process.env[NOW_ENV] = nowBefore;
  }
}
