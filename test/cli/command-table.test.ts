import { describe, expect, it } from 'vitest';
import { Help } from 'commander';
import { COMMAND_TABLE, commandNamed } from '../../src/cli/command-table.js';
import { NOW_ENV, buildProgram } from '../../src/cli/main.js';
import { NOW_ENV as CLOCK_NOW_ENV } from '../../src/office/index.js';
import { cli } from './run-cli.js';

describe('the table of top-level commands', () => {
  it('says of each command what its full definition says, in the same order', async () => {
    const program = await buildProgram();
    const help = new Help();
    const defined = program.commands.map((c) => ({
      name: c.name(),
      term: help.subcommandTerm(c),
      description: c.description(),
    }));
    expect(COMMAND_TABLE.map(({ name, term, description }) => ({ name, term, description }))).toEqual(defined);
  });

  it('finds the command a command line names, after global options and behind help', () => {
    expect(commandNamed(['card', 'show', 'x.json'])?.name).toBe('card');
    expect(commandNamed(['--now', '2027-01-05', 'office', 'list'])?.name).toBe('office');
    expect(commandNamed(['help', 'sim'])?.name).toBe('sim');
    expect(commandNamed(['--help'])).toBeUndefined();
    expect(commandNamed([])).toBeUndefined();
    expect(commandNamed(['crad'])).toBeUndefined();
  });

  it('lists every command in `sscard --help` as the full program does', async () => {
    const program = await buildProgram();
    let full = '';
    program.configureOutput({ writeOut: (text) => (full += text) });
    program.outputHelp();
    const run = await cli('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(full);
  });

  it('sets the variable the clock reads for --now', () => {
    expect(NOW_ENV).toBe(CLOCK_NOW_ENV);
  });

  it('still suggests the command meant by a misspelt name', async () => {
    const run = await cli('crad');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/card/);
  });
});
