import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePerson } from '../../src/card-sim/index.js';
import { cli, cliWithStdin } from './run-cli.js';

/*
 * `sscard hotline` and `sscard pos` against one embedded registry: a card issued, its PIN changed
 * by phone (keys from --keys and from stdin), the change applied by a POS online, the new PIN
 * verified there; the PINs never printed.
 */

describe('sscard hotline and sscard pos (embedded store)', { timeout: 240_000 }, () => {
  let dir: string;
  let db: string;
  let card: string;
  const holder = samplePerson('zhang-wei').person.idNumber;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sscard-cli-hotline-'));
    db = `file:${join(dir, 'registry')}`;
    card = join(dir, 'card.json');
    const issued = await cli('office', 'issue', '--sample', 'zhang-wei', '--card', card, '--db', db);
    expect(issued).toMatchObject({ code: 0, stderr: '' });
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a call from --keys: the voice, the typed keys with PIN digits masked, the end of the call', async () => {
    const r = await cli(
      'hotline',
      '--db',
      db,
      '--lang',
      'en',
      '--keys',
      `2 2 A00000001# 123456# ${holder}# 246810# 246810#`,
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('[12333] Welcome to 12333, the human resources and social security hotline.');
    expect(lines).toContain('> 00000001#');
    expect(lines).toContain(`> ${holder}#`);
    expect(lines.filter((l) => l === '> ******#')).toHaveLength(3);
    expect(r.stdout).toMatch(/\[12333\] Your PIN change has been accepted\./);
    expect(lines).toContain('(call ended: pin change queued)');
    expect(r.stdout).not.toMatch(/123456|246810/);
  });

  it('a POS offline sends nothing; online it applies the change, and the new PIN is verified', async () => {
    const offline = await cli('pos', '--card', card);
    expect(offline).toMatchObject({ code: 0, stderr: '' });
    expect(offline.stdout).toContain('offline: no issuer scripts');
    const online = await cliWithStdin(
      '246810\n',
      'pos',
      '--card',
      card,
      '--db',
      db,
      '--terminal',
      'pos-test-1',
      '--verify',
      '--pin-stdin',
    );
    expect(online).toMatchObject({ code: 0, stderr: '' });
    expect(online.stdout.split('\n')).toEqual([
      `card A00000001 at pos-test-1 (online: ${db})`,
      'issuer script 1 (pin change): applied',
      'PIN correct',
      '',
    ]);
    const history = await cli('office', 'history', 'A00000001', '--db', db, '--json');
    const ops = (JSON.parse(history.stdout) as Array<{ operation: string; role: string; channel: string }>).map(
      (e) => `${e.operation} ${e.role}/${e.channel}`,
    );
    expect(ops).toEqual([
      'issue_card admin/cli',
      'queue_pin_change hotline/ivr',
      'hotline_call hotline/ivr',
      'pin_change_result pos/terminal',
    ]);
    expect(history.stdout).not.toMatch(/246810/);
  });

  it('keys from stdin, in Chinese; the operator key ends the call', async () => {
    const r = await cliWithStdin('0\n', 'hotline', '--db', db, '--keys-stdin');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('[12333] 人工服务时间为工作日上午9点至下午5点。');
    expect(r.stdout).toContain('(call ended: operator)');
  });

  it('refuses keys that are not keypad keys, and no keys without a terminal', async () => {
    const bad = await cli('hotline', '--db', db, '--keys', '2 2 12+4');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('sscard: --keys: character 7 is not a keypad key (0-9, *, #) [HOTLINE_KEYS]\n');
    const none = await cliWithStdin('', 'hotline', '--db', db);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/stdin is not a terminal/);
    const pin = await cli('pos', '--card', card, '--pin', '246810');
    expect(pin.code).toBe(1);
    expect(pin.stderr).not.toContain('246810');
  });
});
