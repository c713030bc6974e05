import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  ScriptError,
  matchesResponse,
  parseResponsePattern,
  parseScript,
  stepRunsOn,
} from '../../src/cli/actions/script.js';
import { toHex } from '../../src/apdu/index.js';
import { cli, newCardImagePerTest, type CliRun } from './run-cli.js';
import { expectThrowsClass } from '../support/throws.js';

const files = newCardImagePerTest('sscard-cli-script-');

function script(text: string): string {
  const path = join(files.path, 'test.apdu');
  writeFileSync(path, text);
  return path;
}

/** Runs `sscard script` on the card image with a script of `lines`; the run and the script's path. */
async function runScript(lines: string[], ...options: string[]): Promise<CliRun & { path: string }> {
  const path = script(lines.join('\n'));
  return { path, ...(await cli('script', path, '--card', files.image, ...options)) };
}

/** runScript for a script that must run through: exit 0, nothing on stderr, and `summary` last on stdout. */
async function runScriptThrough(lines: string[], summary: string): Promise<CliRun> {
  const r = await runScript(lines);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(summary);
  return r;
}

group('sscard script', () => {
  it('prints a masked trace to stderr with --trace', async () => {
    const r = await runScript(
      ['00A4 0400 0F 7378312E73682EC9E7BBE1B1A3D5CF', '805E0100 07 123456 FF 654321 -> 9000', ''],
      '--trace',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^#1 SELECT .*\n#2 CHANGE PIN \[change\] 80 5E 01 00 Lc=7 data=\*\*\*\* -> 9000 success .*\n$/,
    );
    expect(r.stderr + r.stdout).not.toMatch(/123456|654321|12 34 56|65 43 21/);
  });

  it('runs a script with expectations, wildcards, comments, reset and power cycling', async () => {
    const r = await runScriptThrough(
      [
        '# select the social security application, asking for its FCI (Le 00)',
        '00A4 0400 0F 7378312E73682EC9E7BBE1B1A3D5CF 00 -> 6F xx 84 0F * 9000',
        '00 B2 07 2C 00 -> 07 09 41 xx xx xx xx xx xx xx xx 9000   # card number',
        '0020000003999999 -> 63Cx',
        '',
        'reset',
        '00 B2 01 2C 00 -> 6A82       # the reset went back to the MF',
        'power-off',
        'power-on',
        'reset cold',
        '00A404000F7378312E73682EC9E7BBE1B1A3D5CF -> * 9000',
        '0020000000 -> 63C2           # the wrong PIN stayed spent',
      ],
      '# 10 steps done, 6 expected responses matched',
    );
    expect(r.stdout).toContain('< 0709413130353030303331 9000 success');
    expect(r.stdout).toContain('# line 6: warm reset, ATR 3B');
    expect(r.stdout).toContain('# line 8: power-off');
    expect(r.stdout).toContain('# line 10: cold reset');
    expect(r.stdout).toContain('> 0020000003 ****');
  });

  it('stops at the first mismatch with a non-zero exit naming the line', async () => {
    const r = await runScript([
      '00A404000F7378312E73682EC9E7BBE1B1A3D5CF -> * 9000',
      '# a comment',
      '00B2072C00 -> 0709 * 6A83',
      '00B2012C00',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `sscard: ${r.path}:3: expected 0709 * 6A83, card answered 0709413130353030303331 9000 to 00B2072C00 [SCRIPT_MISMATCH]\n`,
    );
    expect(r.stdout).not.toContain('00B2012C00');
  });

  it('checks the whole script before sending anything', async () => {
    const r = await runScript(['0020000003999999', 'select ssse', '00B2']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^sscard: .*test\\.apdu:2: not an APDU, reset, power-off or power-on: .*\\[SCRIPT_SYNTAX\\]\\n$`),
    );
    // The wrong PIN on line 1 was never sent.
    const after = await cli('apdu', '--card', files.image, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '0020000000');
    expect(after.stdout).toContain('< 63C3');
  });

  it('never repeats a malformed APDU line, which may hold PIN digits', async () => {
    const r = await runScript(['00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '0020000003 1234567 -> 9000', '']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /test\.apdu:2: not an APDU, reset, power-off or power-on: odd number of hex digits \(17\) \[SCRIPT_SYNTAX\]\n$/,
    );
    expect(r.stdout + r.stderr).not.toMatch(/1234/);
  });

  it('runs T=1: lines on a T=1 card and skips T=0: ones, counting only the steps that ran', async () => {
    const r = await runScriptThrough(
      [
        'T=0: 00A404000F7378312E73682EC9E7BBE1B1A3D5CF -> 61 1B   # case 3 on T=0: the FCI via GET RESPONSE',
        'T=0: 00C000001B -> 6F 19 * 9000',
        't=1: 00A404000F7378312E73682EC9E7BBE1B1A3D5CF -> 9000    # case 3 on T=1: no data',
        '00B2072C00 -> 07 09 * 9000',
      ],
      '# 2 steps done, 2 expected responses matched',
    );
    expect(r.stdout).not.toContain('00C000001B');
    const steps = parseScript('T=0: reset\nT=1 : 00B2012C00 -> * 9000\n00B2012C00\n', 'x.apdu');
    expect(steps.map((st) => st.protocol)).toEqual(['T=0', 'T=1', undefined]);
    expect(steps.map((st) => stepRunsOn(st, 'T=0'))).toEqual([true, false, true]);
  });

  it('reports bad expectations and sending to a powered-off card', async () => {
    expect((await runScript(['00A40000 -> 90'])).stderr).toMatch(/:1: bad expected response "90": .*SW bytes/);
    expect((await runScript(['00A40000 -> 6F * 90 00 00'])).stderr).toMatch(
      /:1: bad expected response .*exactly the two SW bytes/,
    );
    expect((await runScript(['00A40000 -> * 90 * 00'])).stderr).toMatch(/only one '\*'/);
    const off = await runScript(['power-off', '00A4000002 3F00']);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/:2: the card is powered off \(add power-on before this line\) \[SCRIPT_CARD_OFF\]/);
    const missing = await cli('script', join(files.path, 'none.apdu'), '--card', files.image);
    expect(missing.stderr).toBe(`sscard: ${join(files.path, 'none.apdu')}: file not found [CLI_INPUT]\n`);
  });
});

group('expected-response patterns', () => {
  const bytes = fc.uint8Array({ minLength: 2, maxLength: 40 });

  test.prop([bytes])('an exact pattern matches only its own response', (r) => {
    const p = parseResponsePattern(toHex(r, { spaces: true }));
    expect(matchesResponse(p, r)).toBe(true);
    const other = r.slice();
    other[other.length - 1] = ((other[other.length - 1] as number) + 1) & 0xff;
    expect(matchesResponse(p, other)).toBe(false);
    expect(matchesResponse(p, r.subarray(1))).toBe(false);
  });

  test.prop([bytes, fc.nat({ max: 38 })])('"prefix * SW" matches any data between', (r, cut) => {
    const sw = r.subarray(r.length - 2);
    const prefix = r.subarray(0, Math.min(cut, r.length - 2));
    const p = parseResponsePattern(`${toHex(prefix)} * ${toHex(sw)}`);
    expect(matchesResponse(p, r)).toBe(true);
    const wrongSw = r.slice();
    wrongSw[wrongSw.length - 2] = ((wrongSw[wrongSw.length - 2] as number) ^ 0x01) & 0xff;
    expect(matchesResponse(p, wrongSw)).toBe(false);
  });

  it('a malformed pattern is a ScriptError with code SCRIPT_SYNTAX', () => {
    for (const bad of ['', '90', '6F * 90 00 00', '* 90 * 00', '9G00', '900']) {
      expectThrowsClass(() => parseResponsePattern(bad), ScriptError, { code: 'SCRIPT_SYNTAX' });
    }
  });

  it('treats x as any nibble', () => {
    const p = parseResponsePattern('63Cx');
    expect(matchesResponse(p, Uint8Array.of(0x63, 0xc2))).toBe(true);
    expect(matchesResponse(p, Uint8Array.of(0x63, 0xd2))).toBe(false);
    expect(matchesResponse(parseResponsePattern('xx xx 9000'), Uint8Array.of(1, 2, 0x90, 0))).toBe(true);
    expect(matchesResponse(parseResponsePattern('xx xx 9000'), Uint8Array.of(1, 0x90, 0))).toBe(false);
  });
});
