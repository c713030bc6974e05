import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { cli } from './run-cli.js';

/** The PINs the demo's cardholder types; none may be printed. */
const DEMO_PINS = ['123456', '802417', '802471', '246802'];
// eslint-disable-next-line no-control-regex -- the escape character is what a colour code starts with
const ANSI = /\u001b\[[0-9;]*m/g;

group('sscard demo', () => {
  it('tells the pharmacy transaction step by step and flags the penicillin conflict', async () => {
    const r = await cli('demo');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const out = r.stdout.replace(ANSI, '');
    const steps = [...out.matchAll(/^(\d+)\. (.+)$/gm)].map((m) => `${m[1]}. ${m[2]}`);
    expect(steps).toEqual([
      '1. Insert card',
      '2. Read cardholder',
      '3. Cardholder enters the PIN',
      '4. Change the PIN (new PIN typed twice)',
      '5. Cardholder enters a wrong PIN',
      '6. Cardholder enters the right PIN',
      '7. Read contraindicated drugs from the card',
      '8. Check the prescription',
      '9. Remove card',
    ]);
    expect(out).toMatch(/name {6}张伟/);
    expect(out).toMatch(/ID {8}110105\*{8}031\d /);
    expect(out).toContain('refused  the initial PIN is still in effect');
    expect(out).toContain('refused  the two entries of the new PIN differ');
    expect(out).toContain('refused  new PIN refused: it may not be the initial PIN');
    expect(out).toContain('ok       PIN changed on the card');
    expect(out).toContain('refused  wrong PIN, 2 tries left');
    expect(out).toContain('ok       PIN verified');
    expect(out).toContain('青霉素: 过敏性休克');
    expect(out).toContain(
      'CONFLICT 阿莫西林胶囊 (amoxicillin capsules): contains 青霉素类抗生素; card lists 青霉素 (过敏性休克)',
    );
    expect(out).toContain('ok       布洛芬缓释胶囊');
    expect(out).toContain('1 conflicting drug: do not dispense 阿莫西林胶囊');
    expect(out.trimEnd().endsWith('done')).toBe(true);
    for (const pin of DEMO_PINS) expect(out).not.toContain(pin);
  });

  it('prints the same story on every run', async () => {
    const first = await cli('demo');
    const second = await cli('demo');
    expect(second.stdout).toBe(first.stdout);
  });

  it('prints the APDU trace to stderr with --trace, PIN data masked', async () => {
    const r = await cli('demo', '--trace');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/CHANGE PIN \[change\] 80 5E 01 00 Lc=7 data=\*\*\*\* -> 9000/);
    expect(r.stderr.match(/VERIFY \[application PIN\] 00 20 00 00 Lc=3 data=\*\*\*\*/g)).toHaveLength(3);
    for (const pin of DEMO_PINS) {
      expect(r.stderr).not.toContain(pin);
      expect(r.stderr).not.toContain(pin.replace(/(..)(?!$)/g, '$1 '));
    }
  });

  it('runs as `sscard demo` from the real entry point, without colour on a pipe', () => {
    const bin = join(import.meta.dirname, '..', '..', 'src', 'cli', 'bin.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', bin, 'demo'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('CONFLICT 阿莫西林胶囊');
    expect(r.stdout).not.toContain('\u001b[');
  });
});
