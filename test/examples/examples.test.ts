import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe as group, expect, it } from 'vitest';

/*
 * Each example is run the way its header says (`npx tsx examples/<name>.ts`; here node with the
 * tsx loader, which is what that command does), all at once, and its key lines are checked.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = ['pharmacy-pos', 'hospital-records', 'lockout', 'trace', 'service-window', 'lost-card'] as const;
type Example = (typeof EXAMPLES)[number];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(name: Example): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join('examples', `${name}.ts`)],
      { cwd: ROOT, encoding: 'utf8', timeout: 90_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const runs = new Map<Example, Run>();
beforeAll(async () => {
  const results = await Promise.all(EXAMPLES.map(async (name) => [name, await run(name)] as const));
  for (const [name, r] of results) runs.set(name, r);
}, 120_000);

/** The example's output, after checking it exited 0 and wrote nothing to stderr. */
function output(name: Example): string[] {
  const r = runs.get(name);
  expect(r, `${name} did not run`).toBeDefined();
  expect(r?.stderr).toBe('');
  expect(r?.code).toBe(0);
  return (r?.stdout ?? '').split('\n');
}

group('examples', () => {
  it('pharmacy-pos: PIN change forced, conflict flagged', () => {
    const lines = output('pharmacy-pos');
    expect(lines).toContain('cardholder: 张伟, ID 110105********0311');
    expect(lines).toContain('initial PIN in effect: the cardholder must choose a new PIN');
    expect(lines).toContain('PIN verified');
    expect(lines).toContain('CONFLICT: 阿莫西林胶囊 (amoxicillin) contains 青霉素类抗生素, card lists 青霉素');
    expect(lines).toContain('ok: 复方甘草片 (compound liquorice tablets)');
    expect(lines).toContain('do not dispense: refer the prescription back to the doctor');
  });

  it('hospital-records: the hospital appends a record, the pharmacy reads it but may not write', () => {
    const lines = output('hospital-records');
    expect(lines).toContain('hospital: patient 李秀英, born 1962-11-08');
    expect(lines).toContain('hospital: appended a record');
    const appended = lines.indexOf('hospital: appended a record');
    // Newest first, before and after the new record.
    expect(lines.slice(appended + 1, appended + 4)).toEqual([
      '  2026-03-16 J18.900 社区获得性肺炎 (12310000425023419N)',
      '  2018-03-02 E11.900 2型糖尿病 (12310000425023419N)',
      '  2012-09-15 I10.x00 原发性高血压 (12310000425023419N)',
    ]);
    expect(lines).toContain('pharmacy: reads 3 history records, newest 社区获得性肺炎');
    expect(lines).toContain('pharmacy: write refused by the card: UPDATE RECORD failed: 6982 security status not satisfied');
  });

  it('lockout: three wrong PINs block the card, then the right PIN is refused', () => {
    expect(output('lockout')).toEqual([
      'tries left: 3',
      'wrong PIN: 2 tries left',
      'wrong PIN: 1 try left',
      'wrong PIN: the PIN is now blocked (justBlocked=true)',
      'right PIN: refused, the PIN is blocked (VERIFY failed: 6983 authentication method blocked)',
      'status: blocked=true, tries left 0',
      '',
    ]);
  });

  it('trace: GET RESPONSE rounds shown, PIN data masked', () => {
    const lines = output('trace');
    expect(lines[1]).toMatch(/^#2 GET RESPONSE 00 C0 00 00 Le=27 -> data\(27\)=6F 19 .* 9000 success/);
    expect(lines.some((l) => /VERIFY \[application PIN\] 00 20 00 00 Lc=3 data=\*\*\*\* -> 63C2 2 tries left \(wrong PIN or key, or a try counter query\)/.test(l))).toBe(true);
    expect(lines.some((l) => /CHANGE PIN \[change\] 80 5E 01 00 Lc=7 data=\*\*\*\* -> 9000 success/.test(l))).toBe(true);
    const json = lines.find((l) => l.startsWith('-- as JSON: '));
    expect(JSON.parse(json?.slice('-- as JSON: '.length) ?? 'null')).toMatchObject({ command: { name: 'CHANGE PIN', data: '****', masked: true } });
    const all = lines.join('\n');
    for (const pin of ['987654', '123456', '864209', '98 76 54', '12 34 56', '86 42 09']) expect(all).not.toContain(pin);
  });

  it('service-window: the window unblocks and reloads the application PIN, the branch unlocks and resets the bank PIN', () => {
    expect(output('service-window')).toEqual([
      'pharmacy: three wrong PINs',
      'pharmacy: PIN blocked=true',
      'window: ID document matches the card of 张伟',
      'window: PIN UNBLOCK accepted; tries left 3',
      'pharmacy terminal: ISSUER_KEY_MISSING: RELOAD PIN: this secure module holds no PIN_RELOAD master key',
      "another issuer's keys: ISSUER_MAC_REJECTED: RELOAD PIN failed: 6988 incorrect secure messaging data objects (bad MAC)",
      'window: RELOAD PIN accepted',
      'window: the holder verifies the reloaded PIN: ok',
      'ATM: three wrong PINs',
      'ATM: bank PIN tries left 0',
      'branch: wrong bank PIN, nothing changed: BANK_PIN_MISMATCH, tries left 0',
      'branch: bank PIN unlocked; tries left 3',
      'branch: bank PIN reset; the holder verifies the new one: ok',
      '',
    ]);
  });

  it('lost-card: reported, refused and blocked at a pharmacy, replaced; the new card works, the old one never again', () => {
    expect(output('lost-card')).toEqual([
      'window: issued card A00000001 to 张伟; bank side inactive',
      'bank: bank side active; pharmacy: PIN changed (registry pinInitial=false)',
      '12333 voice menu, 22:40: social security side lost_temporary',
      'pharmacy (online): refused, ssc lost; application blocked and reported',
      'another terminal, no blacklist: the card answers as a blocked application (APPLICATION_BLOCKED)',
      'registry: application blocked on the card: true',
      'window: A00000001 replaced by A00000002 (identifier 1101059000000002); old card replaced/replaced',
      'blacklist file version 1: A00000001 ssc replaced, A00000001 bank replaced',
      'pharmacy (offline): new card A00000002 of 张伟 accepted',
      'ATM: bank application not active yet',
      'bank: bank side of A00000002 active, bank PIN verified on the card',
      'old card, offline pharmacy: the card answers as a blocked application (APPLICATION_BLOCKED)',
      'old card, in the blacklist file: ssc replaced, bank replaced',
      'history of A00000001: issue_card, activate_bank, pin_changed, report_loss, application_blocked, report_loss, report_loss, replace_card',
      '',
    ]);
  });
});
