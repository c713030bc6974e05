import { describe as group, expect, it } from 'vitest';
import { diagnose, gatherFacts } from '../../src/cli/actions/doctor.js';
import type { DoctorFacts } from '../../src/cli/actions/doctor.js';
import { cli } from './run-cli.js';

/*
 * `sscard doctor`: verdicts on made-up machines (a binding dropped by an install that ran before
 * libpcsclite-dev, no pcscd, an old Node, ...), then the real command on this machine.
 */

/** A machine where everything PC/SC needs is there. */
function healthy(): DoctorFacts {
  return {
    platform: 'linux',
    node: '20.19.0',
    backend: {
      name: 'pcscd-socket',
      how: 'auto',
      reason: 'pcscd answers on /run/pcscd/pcscd.comm (message protocol 4.4)',
    },
    bindings: [
      { name: 'smartcard', version: '3.7.0', loaded: true, error: null },
      { name: 'pcsclite', version: '1.0.1', loaded: true, error: null },
    ],
    build: { pcscHeader: true, compiler: true, make: true, python: true },
    pcscd: { running: true, pid: 4242, socket: true },
    readers: {
      list: [
        { name: 'Virtual PCD 00 00', cardPresent: true },
        { name: 'Virtual PCD 00 01', cardPresent: false },
      ],
    },
    route: { quickack: true },
  };
}

function check(facts: DoctorFacts, id: string) {
  const found = diagnose(facts).checks.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no check ${id}`);
  return found;
}

group('sscard doctor verdicts', () => {
  it('passes a machine that has everything, one line per check', () => {
    const report = diagnose(healthy());
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['node', 'ok'],
      ['backend', 'ok'],
      ['smartcard', 'ok'],
      ['pcsclite', 'ok'],
      ['pcscd', 'ok'],
      ['readers', 'ok'],
      ['route', 'ok'],
    ]);
    expect(check(healthy(), 'readers').summary).toBe("2: 0 'Virtual PCD 00 00' (card), 1 'Virtual PCD 00 01'");
    expect(check(healthy(), 'backend').summary).toBe(
      'pcscd-socket (chosen: pcscd answers on /run/pcscd/pcscd.comm (message protocol 4.4))',
    );
  });

  it("with pcscd's socket in use, a binding that did not build is only a warning", () => {
    const facts = healthy();
    facts.bindings[0] = { name: 'smartcard', version: null, loaded: false, error: "Cannot find package 'smartcard'" };
    const report = diagnose(facts);
    expect(report.ok).toBe(true);
    expect(check(facts, 'smartcard')).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('not needed while the pcscd-socket backend is in use'),
      fix: ['npm install smartcard@3.7.0'],
    });
  });

  it('a bad SSCARD_PCSC_BACKEND fails the backend check; a forced binding must load', () => {
    const bad = healthy();
    bad.backend = { error: 'SSCARD_PCSC_BACKEND="pcsc": must be one of auto, smartcard, pcsclite, pcscd-socket' };
    expect(diagnose(bad).ok).toBe(false);
    expect(check(bad, 'backend')).toMatchObject({ status: 'fail', summary: expect.stringContaining('"pcsc"') });
    const forced = healthy();
    forced.backend = { name: 'pcsclite', how: 'env', reason: 'SSCARD_PCSC_BACKEND=pcsclite' };
    forced.bindings[1] = {
      name: 'pcsclite',
      version: '1.0.1',
      loaded: false,
      error: 'Could not locate the bindings file.',
    };
    expect(check(forced, 'backend').summary).toBe('pcsclite (forced: SSCARD_PCSC_BACKEND=pcsclite)');
    expect(check(forced, 'pcsclite').status).toBe('fail');
    expect(check(forced, 'smartcard').status).toBe('ok');
  });

  it('fails on bindings built before libpcsclite-dev, with the apt line first and then the rebuild', () => {
    const facts = healthy();
    facts.backend = { name: 'smartcard', how: 'auto', reason: 'no pcscd socket at /run/pcscd/pcscd.comm' };
    facts.build.pcscHeader = false;
    facts.bindings = [
      {
        name: 'smartcard',
        version: '3.7.0',
        loaded: false,
        error: "Cannot find module '../build/Release/smartcard_napi.node'",
      },
      { name: 'pcsclite', version: '1.0.1', loaded: false, error: 'Could not locate the bindings file.' },
    ];
    facts.readers = null;
    const report = diagnose(facts);
    expect(report.ok).toBe(false);
    const smartcard = check(facts, 'smartcard');
    expect(smartcard.status).toBe('fail');
    expect(smartcard.summary).toContain(
      "installed (3.7.0) but not loadable: Cannot find module '../build/Release/smartcard_napi.node'",
    );
    expect(smartcard.summary).toContain('built without libpcsclite-dev');
    expect(smartcard.fix).toEqual(['sudo apt-get install -y libpcsclite-dev', 'npm rebuild smartcard']);
    // pcsclite is for programs built on it: a warning, with its own fix.
    expect(check(facts, 'pcsclite')).toMatchObject({
      status: 'warn',
      fix: ['sudo apt-get install -y libpcsclite-dev', 'npm rebuild pcsclite'],
    });
    expect(check(facts, 'readers').status).toBe('skip');
  });

  it('names the missing build tools, and installs a binding that is not there at all', () => {
    const facts = healthy();
    facts.build = { pcscHeader: false, compiler: false, make: true, python: false };
    facts.backend = { name: 'smartcard', how: 'auto', reason: 'not Linux' };
    facts.bindings[0] = { name: 'smartcard', version: null, loaded: false, error: "Cannot find package 'smartcard'" };
    const smartcard = check(facts, 'smartcard');
    expect(smartcard).toMatchObject({ status: 'fail', summary: 'not installed' });
    expect(smartcard.fix).toEqual([
      'sudo apt-get install -y libpcsclite-dev build-essential python3',
      'npm install smartcard@3.7.0',
    ]);
  });

  it('fails without pcscd, and on a Node older than the engines floor', () => {
    const facts = healthy();
    facts.pcscd = { running: false, pid: null, socket: false };
    facts.readers = null;
    facts.node = '20.18.3';
    const report = diagnose(facts);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['node', 'pcscd']);
    expect(check(facts, 'pcscd').fix?.[0]).toBe('sudo apt-get install -y pcscd libccid');
    expect(check(facts, 'node').summary).toBe('v20.18.3 is older than 20.19, which sscard needs');
  });

  it('only warns about no reader and a missing quickack route', () => {
    const facts = healthy();
    facts.readers = { list: [] };
    facts.route = { quickack: false };
    const report = diagnose(facts);
    expect(report.ok).toBe(true);
    expect(check(facts, 'readers').status).toBe('warn');
    const route = check(facts, 'route');
    expect(route.status).toBe('warn');
    expect(route.fix?.[0]).toMatch(/^sudo ip route replace local 127\.0\.0\.2\/32 dev lo table local .* quickack 1/);
  });

  it('reports a reader listing that fails', () => {
    const facts = healthy();
    facts.readers = { error: 'PC/SC service not running' };
    expect(check(facts, 'readers')).toMatchObject({
      status: 'fail',
      summary: 'cannot be listed: PC/SC service not running',
    });
  });

  it('skips what is not Linux', () => {
    const facts = healthy();
    facts.platform = 'darwin';
    facts.pcscd = null;
    facts.route = null;
    expect(diagnose(facts).ok).toBe(true);
    expect(check(facts, 'pcscd').status).toBe('skip');
    expect(check(facts, 'route').status).toBe('skip');
  });
});

group('sscard doctor on this machine', () => {
  it('prints the same verdicts as text and JSON, and exits 1 exactly when a check failed', async () => {
    const expected = diagnose(await gatherFacts());
    const json = await cli('doctor', '--json');
    const report = JSON.parse(json.stdout) as ReturnType<typeof diagnose>;
    expect(report.checks.map((c) => [c.id, c.status])).toEqual(expected.checks.map((c) => [c.id, c.status]));
    expect(report.checks.find((c) => c.id === 'node')).toMatchObject({
      status: 'ok',
      summary: expect.stringContaining(process.versions.node),
    });
    expect(json.code).toBe(report.ok ? 0 : 1);
    const text = await cli('doctor');
    expect(text.code).toBe(json.code);
    for (const c of report.checks) expect(text.stdout).toMatch(new RegExp(`^(ok|warn|FAIL|skip)\\s+${c.id}\\s`, 'm'));
    if (report.ok) expect(text.stdout).toContain('PC/SC: ready');
    else expect(text.stderr).toMatch(/^sscard: PC\/SC is not ready: .*\[PCSC_NOT_READY\]\n$/);
  });
});
