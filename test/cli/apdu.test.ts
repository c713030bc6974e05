import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { cli, newCardImagePerTest } from './run-cli.js';

const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';
const files = newCardImagePerTest('sscard-cli-apdu-');

group('sscard apdu', () => {
  it('prints each response with its status word described', async () => {
    // With Le the SELECT answers the FCI; without it (case 3) a T=1 card answers 9000 alone.
    const r = await cli('apdu', '--card', files.image, `${SELECT_SSSE}00`, '00 B2 07 2C 00', SELECT_SSSE);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `> ${SELECT_SSSE}00`,
        '< 6F19840F7378312E73682EC9E7BBE1B1A3D5CFA5069F0C03860101 9000 success',
        '> 00B2072C00',
        '< 0709413130353030303331 9000 success',
        `> ${SELECT_SSSE}`,
        '< 9000 success',
        '',
      ].join('\n'),
    );
  });

  it('saves the card state back: a wrong PIN stays spent across invocations', async () => {
    const first = await cli('apdu', '--card', files.image, SELECT_SSSE, '0020000003999999');
    expect(first.stdout).toContain('< 63C2 2 tries left (wrong PIN or key, or a try counter query)');
    const second = await cli('apdu', '--card', files.image, SELECT_SSSE, '0020000000');
    expect(second.stdout).toContain('< 63C2');
  });

  it('masks PIN data in the echo', async () => {
    const r = await cli('apdu', '--card', files.image, SELECT_SSSE, '0020000003123456', '805E010007123456FF654321');
    expect(r.stdout).toContain('> 0020000003 ****');
    expect(r.stdout).toContain('> 805E010007 ****');
    expect(r.stdout).not.toMatch(/123456|654321/);
  });

  it('masks after the header any argument that is not exactly one APDU (two joined), in the echo and the trace', async () => {
    const joined = `${SELECT_SSSE}0020000003730519`;
    const r = await cli('apdu', '--card', files.image, '--trace', joined, '00B2072C00730519');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('> 00A40400 ****\n< 6700');
    expect(r.stdout).toContain('> 00B2072C ****\n< 6700');
    expect(r.stderr).toMatch(/^#1 SELECT 00 A4 04 00 \(malformed\) Lc=\d+ data=\*\*\*\* -> 6700/);
    expect(r.stdout + r.stderr).not.toMatch(/730519|73 05 19/);
  });

  it('prints a masked trace to stderr with --trace, stdout unchanged', async () => {
    const r = await cli('apdu', '--card', files.image, '--trace', SELECT_SSSE, '0020000003123456');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('> 0020000003 ****');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^#1 SELECT \[by DF name, return FCI\] 00 A4 04 00 Lc=15 data=73 78 .* 9000 success/);
    expect(lines[1]).toMatch(/^#2 VERIFY \[application PIN\] 00 20 00 00 Lc=3 data=\*\*\*\* -> 9000 success/);
    expect(r.stderr + r.stdout).not.toMatch(/123456|12 34 56/);
  });

  it('rejects bad hex before sending anything', async () => {
    const before = readFileSync(files.image, 'utf8');
    const r = await cli('apdu', '--card', files.image, '0020000003999999', '00A4 0G');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('sscard: APDU 2: invalid hex character "G" at position 6 [APDU_PARSE]\n');
    expect(readFileSync(files.image, 'utf8')).toBe(before);
    expect((await cli('apdu', '--card', files.image, '00A4')).stderr).toMatch(/^sscard: APDU 1: 2 bytes is too short/);
  });

  it('never repeats a bad argument, which may hold PIN digits', async () => {
    const odd = await cli('apdu', '--card', files.image, SELECT_SSSE, '00200000031234567');
    expect(odd.code).toBe(1);
    expect(odd.stderr).toBe('sscard: APDU 2: odd number of hex digits (17) [APDU_PARSE]\n');
    const typo = await cli('apdu', '--card', files.image, '0020000003 12 34 5O');
    expect(typo.stderr).toBe('sscard: APDU 1: invalid hex character "O" at position 18 [APDU_PARSE]\n');
    expect(odd.stdout + odd.stderr + typo.stdout + typo.stderr).not.toMatch(/1234|12 34/);
  });

  it('names a missing image, a missing --card and unknown options in one line', async () => {
    const missing = join(files.path, 'none.json');
    const r = await cli('apdu', '--card', missing, SELECT_SSSE);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`sscard: card image ${missing}: file not found [CARD_IMAGE_NOT_FOUND]\n`);
    const noCard = await cli('apdu', SELECT_SSSE);
    expect(noCard.code).toBe(1);
    expect(noCard.stderr).toMatch(
      /^sscard: no card: give --card <image> .* or --reader <name\|index> .*\[CLI_INPUT\]\n$/,
    );
    const unknown = await cli('apdu', '--card', files.image, '--verbose', SELECT_SSSE);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("sscard: unknown option '--verbose'\n");
  });
});
