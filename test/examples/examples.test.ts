import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe as group, expect, it } from 'vitest';
import { ensureBuilt } from '../package/ensure-built.js';

/*
 * Each example is run the way its header says (`npx tsx examples/<name>.ts`; here node with the
 * tsx loader, which is what that command does), all at once, and its key lines are checked. The
 * examples import the package by its name (`sscard/terminal`, ...), which Node resolves through
 * package.json "exports" to dist/, as in a user's project: a name the package does not export
 * fails, in the type-check and at run time. So dist/ is built first when it is missing or stale.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = [
  'pharmacy-pos',
  'hospital-records',
  'lockout',
  'trace',
  'service-window',
  'hotline-change-pin',
  'lost-card',
] as const;
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
      { cwd: ROOT, encoding: 'utf8', timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const runs = new Map<Example, Run>();
beforeAll(async () => {
  ensureBuilt();
  const results = await Promise.all(EXAMPLES.map(async (name) => [name, await run(name)] as const));
  for (const [name, r] of results) runs.set(name, r);
}, 420_000);

/** The example's output, after checking it exited 0 and wrote nothing to stderr. */
function output(name: Example): string[] {
  const r = runs.get(name);
  expect(r, `${name} did not run`).toBeDefined();
  expect(r?.stderr).toBe('');
  expect(r?.code).toBe(0);
  return (r?.stdout ?? '').split('\n');
}

group('examples', () => {
  it('import only the package by its name, and type-check against its shipped declarations', () => {
    for (const name of EXAMPLES) {
      const source = readFileSync(join(ROOT, 'examples', `${name}.ts`), 'utf8');
      const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map(
        (m) => m[1] as string,
      );
      expect(specifiers.length, name).toBeGreaterThan(0);
      expect(
        specifiers.filter((s) => !/^(sscard(\/[a-z-]+)?|node:.+)$/.test(s)),
        name,
      ).toEqual([]);
    }
    let output = '';
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join('examples', 'tsconfig.json')],
        {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 180_000);

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
    expect(lines).toContain(
      'pharmacy: write refused by the card: UPDATE RECORD failed: 6982 security status not satisfied; ' +
        'writing health records needs a secure module holding the HEALTH key (SscCard.open(transport, { psam }))',
    );
  });

  it('lockout: three wrong PINs block the card, then the right PIN is refused', () => {
    expect(output('lockout')).toEqual([
      'tries left: 3',
      'wrong PIN: 2 tries left',
      'wrong PIN: 1 try left',
      'wrong PIN: the PIN is now blocked (justBlocked=true)',
      'right PIN: refused, the PIN is blocked (VERIFY failed: the PIN is blocked (6983); unlock it at a service window)',
      'status: blocked=true, tries left 0',
      '',
    ]);
  });

  it('trace: GET RESPONSE rounds shown, PIN data masked', () => {
    const lines = output('trace');
    expect(lines[1]).toMatch(/^#2 GET RESPONSE 00 C0 00 00 Le=27 -> data\(27\)=6F 19 .* 9000 success/);
    expect(
      lines.some((l) =>
        /VERIFY \[application PIN\] 00 20 00 00 Lc=3 data=\*\*\*\* -> 63C2 2 tries left \(wrong PIN or key, or a try counter query\)/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(lines.some((l) => /CHANGE PIN \[change\] 80 5E 01 00 Lc=7 data=\*\*\*\* -> 9000 success/.test(l))).toBe(
      true,
    );
    const json = lines.find((l) => l.startsWith('-- as JSON: '));
    expect(JSON.parse(json?.slice('-- as JSON: '.length) ?? 'null')).toMatchObject({
      command: { name: 'CHANGE PIN', data: '****', masked: true },
    });
    const all = lines.join('\n');
    for (const pin of ['987654', '123456', '864209', '98 76 54', '12 34 56', '86 42 09'])
      expect(all).not.toContain(pin);
  });

  it('hotline-change-pin: a PIN changed by phone reaches the chip at the next online POS, then works offline', () => {
    const lines = output('hotline-change-pin');
    expect(lines[0]).toBe('card A00000001 issued; its PIN is the initial one');
    expect(lines[1]).toMatch(
      /^hotline: Your PIN change has been accepted\. The new PIN takes effect the next time the card is used at an online terminal/,
    );
    expect(lines.slice(2)).toEqual([
      'call ended: pin_change_queued',
      'pending scripts for A00000001: 1',
      'offline POS: the old PIN still works',
      'online POS: script pin_change applied',
      'office: pending scripts 0, PIN initial false',
      'offline POS: the old PIN is refused (2 tries left)',
      'offline POS: the new PIN works',
      '',
    ]);
  });

  it('service-window: issue, a pharmacy lock unlocked at the window, a forgotten PIN reset, the bank unlock with its rule, the history', () => {
    expect(output('service-window')).toEqual([
      'window: issued card A00000001 to 张伟, valid 2025-03-03 to 2035-03-03',
      'pharmacy: three wrong PINs; the registry still says active',
      "window, someone else's ID: refused ID_MISMATCH: the ID number given is not the holder's of card A00000001",
      'window: PIN UNBLOCK; lock recorded first: true; registry: active',
      'window, new PIN typed differently: refused NEW_PIN_MISMATCH: the two entries of the new PIN differ',
      'window: RELOAD PIN; PIN still initial: false',
      'pharmacy: the holder verifies the new PIN: ok',
      'ATM: bank PIN tries left 0',
      "branch, wrong bank PIN: refused BANK_PIN_MISMATCH: card A00000001: the bank PIN given is not the card's; the bank PIN stays locked",
      'branch: bank PIN UNBLOCK; registry bank side: active',
      'history of A00000001:',
      '  issue_card ok (window window-110105-03)',
      '  pin_unlock refused ID_MISMATCH (window window-110105-03)',
      '  pin_locked ok (window window-110105-03)',
      '  pin_unlock ok (window window-110105-03)',
      '  pin_reset refused NEW_PIN_MISMATCH (window window-110105-03)',
      '  pin_reset ok (window window-110105-03)',
      '  activate_bank ok (bank bank-icbc-0042)',
      '  pin_locked ok (bank bank-icbc-0042)',
      '  pin_unlock refused BANK_PIN_MISMATCH (bank bank-icbc-0042)',
      '  pin_unlock ok (bank bank-icbc-0042)',
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
