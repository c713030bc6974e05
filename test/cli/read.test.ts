import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe as group, expect, it } from 'vitest';
import { cli } from './run-cli.js';

let dir: string;
let zhang: string;
let li: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sscard-cli-read-'));
  zhang = join(dir, 'zhang.json');
  li = join(dir, 'li.json');
  expect((await cli('card', 'new', zhang)).code).toBe(0);
  expect((await cli('card', 'new', li, '--sample', 'li-xiuying')).code).toBe(0);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

group('sscard read', () => {
  it('prints the card issuer data and the cardholder of a spec 2.00 card', async () => {
    const r = await cli('read', '--card', zhang);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/card number\s+A10500031/);
    expect(r.stdout).toMatch(/card identifier\s+1101059000310026 \(region 110105\)/);
    expect(r.stdout).toMatch(/spec version\s+2\.00 \(3DES\)/);
    expect(r.stdout).toMatch(/valid until\s+2029-06-18/);
    expect(r.stdout).toMatch(/name\s+张伟/);
    expect(r.stdout).toMatch(/ID number\s+11010519850312031\d/);
    expect(r.stdout).toMatch(/birth date\s+1985-03-12/);
  });

  it('reads the cardholder of a spec 3.00 card, which needs external authentication first', async () => {
    const r = await cli('read', '--card', li);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/spec version\s+3\.00 \(SM4\)/);
    expect(r.stdout).toMatch(/name\s+李秀英/);
    expect(r.stdout).toMatch(/sex\s+female/);
  });

  it('prints JSON with --json', async () => {
    const r = await cli('read', '--card', zhang, '--json');
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(parsed['algorithm']).toBe('3des');
    expect(parsed['card']).toMatchObject({ cardNumber: 'A10500031', specVersion: '2.00', regionCode: '110105' });
    expect(parsed['cardholder']).toMatchObject({ name: '张伟', sex: 'male', birthDate: '1985-03-12' });
    expect(parsed['atr']).toMatch(/^3B[0-9A-F]+$/);
  });

  it('prints the APDU trace on stderr with --trace, leaving stdout as it was', async () => {
    const plain = await cli('read', '--card', zhang);
    const traced = await cli('read', '--card', li, '--trace');
    expect(traced.code).toBe(0);
    expect(traced.stderr).toMatch(/^#1 SELECT \[by DF name/);
    expect(traced.stderr).toContain('GET CHALLENGE');
    expect(traced.stderr).toContain('EXTERNAL AUTHENTICATE');
    expect(traced.stderr).toMatch(/READ RECORD \[record 1, SFI 6\]/);
    expect(plain.stdout).not.toContain('READ RECORD');
  });

  it('names a missing image, a missing card option, and two card sources at once', async () => {
    const missing = await cli('read', '--card', join(dir, 'none.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/none\.json: file not found \[CARD_IMAGE_NOT_FOUND\]/);
    const none = await cli('read');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^sscard: no card: give --card <image>.*\[CLI_INPUT\]\n$/);
    const both = await cli('read', '--card', zhang, '--reader', 'Some Reader 00 00');
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/either --card <image> or --reader <name\|index>, not both/);
  });
});
