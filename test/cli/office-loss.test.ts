import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { samplePerson } from '../../src/card-sim/index.js';
import { ed25519PrivateKeyPem, ed25519PublicKey, ed25519PublicKeyPem } from '../../src/keys/index.js';
import { cli, cliWithStdin, embeddedRegistryPerSuite } from './run-cli.js';

/*
 * The loss commands end to end on one embedded registry: a financial card is issued, reported
 * lost, refused and blocked at a POS (offline blacklist file and online registry), found again,
 * reported in writing, replaced; the new card is activated at the bank (day 61 refused), and
 * its bank side reported lost in writing with the bank PIN checked on the card.
 * Opening an embedded store takes seconds: the file runs its commands in order on one store.
 */

const ZHANG = samplePerson('zhang-wei').person;
const DAY0 = '2027-01-05T10:00:00+08:00';
/** A written report (or withdrawal) of the social security side by the holder, with the holder's ID. */
const SS_WRITTEN = ['--side', 'ss', '--channel', 'written', '--id', ZHANG.idNumber];

describe('sscard office loss commands (embedded store)', { timeout: 240_000 }, () => {
  const tmp = embeddedRegistryPerSuite('sscard-cli-loss-');
  let oldImage: string;
  let newImage: string;
  let oldNumber = '';
  let newNumber = '';
  const at = (instant: string, ...args: string[]) =>
    cli('--now', instant, ...args, ...(args[0] === 'office' ? ['--db', tmp.db] : []));

  beforeAll(() => {
    oldImage = join(tmp.path, 'old.json');
    newImage = join(tmp.path, 'new.json');
  });

  it('--now is one clock for every rule and must be a date', async () => {
    const issued = await at(
      DAY0,
      'office',
      'issue',
      '--sample',
      'zhang-wei',
      '--financial',
      '--card',
      oldImage,
      '--terminal',
      'window-1',
    );
    expect(issued.stderr).toBe('');
    oldNumber = /issued card (\S+) /.exec(issued.stdout)![1]!;
    expect(issued.stdout).toContain('valid 2027-01-05 to 2037-01-05');
    const bad = await cli('--now', 'next tuesday', 'office', 'loss-status', oldNumber, '--db', tmp.db);
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.stderr).toMatch(/"next tuesday" is not an ISO date or date-time \[INVALID_ARGUMENT\]/);
    expect(process.env['SSCARD_NOW']).toBeUndefined();
  });

  it('report-loss: self-service refused on the initial PIN, manual refused after hours, then taken', async () => {
    const self = await at(DAY0, 'office', 'report-loss', oldNumber, '--side', 'ss', '--channel', 'self');
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/only for cards whose PIN the holder has changed.*\[INITIAL_PIN_SELF_SERVICE\]/);
    const manual = [
      'office',
      'report-loss',
      oldNumber,
      '--side',
      'ss',
      '--channel',
      'manual',
      '--name',
      ZHANG.name,
      '--id',
      ZHANG.idNumber,
    ];
    const late = await at('2027-01-05T19:00:00+08:00', ...manual);
    expect(late.stderr).toBe(
      'sscard: manual loss reports are taken 08:30-17:30 Mon-Fri (China time); it is Tue 2027-01-05 19:00 China time [OUTSIDE_OFFICE_HOURS]\n',
    );
    const wrongName = await at(DAY0, ...manual.slice(0, -4), '--name', '张三', '--id', ZHANG.idNumber);
    expect(wrongName.stderr).toMatch(/\[NAME_MISMATCH\]/);
    const ok = await at(DAY0, ...manual);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toBe(`reported card ${oldNumber}, social security side: lost_temporary (manual)\n`);
    const history = JSON.parse((await at(DAY0, 'office', 'history', oldNumber, '--json')).stdout) as Array<{
      operation: string;
      result: string;
      reason: string | null;
      role: string;
      channel: string;
    }>;
    expect(history.map((h) => [h.operation, h.reason ?? h.result, `${h.role}/${h.channel}`])).toEqual([
      ['issue_card', 'ok', 'admin/cli'],
      ['report_loss', 'INITIAL_PIN_SELF_SERVICE', 'hotline/ivr'],
      ['report_loss', 'OUTSIDE_OFFICE_HOURS', 'hotline/operator'],
      ['report_loss', 'NAME_MISMATCH', 'hotline/operator'],
      ['report_loss', 'ok', 'hotline/operator'],
    ]);
  });

  it('a pharmacy refuses the card from the exported file and blocks it; a tampered or stale file is refused', async () => {
    const file = join(tmp.path, 'blacklist.json');
    const exported = await at('2027-01-05T11:00:00+08:00', 'office', 'blacklist', 'export', file);
    expect(exported.stdout).toMatch(
      /^exported blacklist version 1 \(1 entry, issued 2027-01-05T03:00:00.000Z, key [0-9a-f]{16} = the published TEST key\) to /,
    );
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.entries).toEqual([
      { cardNumber: oldNumber, cardIdentifier: expect.stringMatching(/^1101059/), side: 'ssc', reason: 'lost' },
    ]);

    const tampered = join(tmp.path, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...doc, entries: [] }));
    const t = await at('2027-01-05T12:00:00+08:00', 'read', '--card', oldImage, '--blacklist', tampered);
    expect(t.stderr).toBe(
      'sscard: blacklist file: the signature does not verify; the file was altered after it was signed [BLACKLIST_SIGNATURE]\n',
    );
    const stale = await at('2027-01-12T11:00:01+08:00', 'read', '--card', oldImage, '--blacklist', file);
    expect(stale.stderr).toMatch(
      /is 7\.0 days old; this terminal accepts at most 7 days: fetch a new one \[BLACKLIST_STALE\]/,
    );
    expect(
      (
        await at(
          '2027-01-12T11:00:01+08:00',
          'read',
          '--card',
          oldImage,
          '--blacklist',
          file,
          '--blacklist-max-age',
          '8',
        )
      ).stderr,
    ).toMatch(/\[CARD_BLACKLISTED\]/);

    const pos = await cliWithStdin(
      '123456\n',
      '--now',
      '2027-01-05T12:00:00+08:00',
      'pin',
      'verify',
      '--card',
      oldImage,
      '--blacklist',
      file,
      '--block',
      '--pin-stdin',
    );
    expect(pos.code).toBe(1);
    expect(pos.stderr).toBe(
      `sscard: card ${oldNumber} is on the blacklist (social security side lost; blacklist file version 1 of 2027-01-05T03:00:00.000Z); the application was blocked [CARD_BLACKLISTED]\n`,
    );
    const anyTerminal = await cli('read', '--card', oldImage);
    expect(anyTerminal.stderr).toMatch(/6A81 .*\[APPLICATION_BLOCKED\]/);
    const shown = JSON.parse((await cli('card', 'show', oldImage, '--json')).stdout);
    expect(shown.applications).toEqual({ ssse: 'temporary', bank: 'temporary' });
    expect(shown.pins.application).toMatchObject({ triesLeft: 3 });
  });

  it('withdraw-loss with the found card unblocks it at the window; the card reads again', async () => {
    const w = await at(
      '2027-01-06T09:00:00+08:00',
      'office',
      'withdraw-loss',
      oldNumber,
      ...SS_WRITTEN,
      '--card',
      oldImage,
    );
    expect(w).toMatchObject({ code: 0, stderr: '' });
    expect(w.stdout).toBe(
      `withdrawn loss report of card ${oldNumber}, social security side: active; the application on the card was unblocked\n`,
    );
    const read = await at('2027-01-06T09:00:00+08:00', 'read', '--card', oldImage, '--db', tmp.db, '--json');
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout).card.cardNumber).toBe(oldNumber);
  });

  it('replace is refused before a written report, then writes the new card; the old one is refused online for good', async () => {
    const replace = ['office', 'replace', oldNumber, '--card', newImage, '--id', ZHANG.idNumber];
    const early = await at('2027-01-07T10:00:00+08:00', ...replace);
    expect(early.stderr).toMatch(
      /needs a written loss report of the social security side first \(it is active\) \[WRITTEN_REPORT_REQUIRED\]/,
    );
    const proxyId = '11010519800101001X';
    const written = await at(
      '2027-01-07T10:00:00+08:00',
      'office',
      'report-loss',
      oldNumber,
      ...SS_WRITTEN,
      '--document',
      'household',
      '--proxy-id',
      proxyId,
    );
    expect(written.stdout).toBe(`reported card ${oldNumber}, social security side: lost_written (written)\n`);
    const r = await at('2027-01-07T10:30:00+08:00', ...replace, '--json');
    expect(r.stderr).toBe('');
    const card = JSON.parse(r.stdout);
    newNumber = card.cardNumber;
    expect(card).toMatchObject({
      replaces: oldNumber,
      ssc: 'active',
      bank: 'inactive',
      issueDate: '2027-01-07',
      image: newImage,
      replaced: oldNumber,
    });
    const shown = JSON.parse((await cli('card', 'show', newImage, '--json')).stdout);
    expect(shown.card.cardNumber).toBe(newNumber);
    expect(shown.applications).toEqual({ ssse: 'usable', bank: 'temporary' });
    expect(shown.health.contraindications).toEqual(
      JSON.parse((await cli('card', 'show', oldImage, '--json')).stdout).health.contraindications,
    );

    const online = await at('2027-01-07T11:00:00+08:00', 'read', '--card', oldImage, '--db', tmp.db, '--block');
    expect(online.stderr).toBe(
      `sscard: card ${oldNumber} is on the blacklist (social security side replaced, bank side replaced; registry ${tmp.db}); the application was blocked and the issuer told [CARD_BLACKLISTED]\n`,
    );
    const fresh = await at('2027-01-07T11:00:00+08:00', 'read', '--card', newImage, '--db', tmp.db, '--json');
    expect(JSON.parse(fresh.stdout).cardholder.name).toBe(ZHANG.name);
    const status = JSON.parse(
      (await at('2027-01-07T11:00:00+08:00', 'office', 'loss-status', oldNumber, '--json')).stdout,
    );
    expect(status).toMatchObject({
      applicationBlocked: { ssc: true, bank: false },
      bankActivation: null,
      reports: [
        { state: 'withdrawn' },
        { channel: 'written', document: 'household', proxyIdNumber: proxyId, state: 'replaced' },
      ],
    });
  });

  it('activate-bank: day 61 refused, a written request re-opens the window; the bank PIN then works on the card', async () => {
    const activate = ['office', 'activate-bank', newNumber, '--card', newImage, '--id', ZHANG.idNumber];
    const late = await at('2027-03-09T10:00:00+08:00', ...activate);
    expect(late.stderr).toBe(
      `sscard: card ${newNumber}: the bank application must be activated within 60 days of 2027-01-07; this is day 61. A written request at the bank branch re-opens the window [ACTIVATION_WINDOW_CLOSED]\n`,
    );
    const reopened = await at(
      '2027-03-09T10:05:00+08:00',
      'office',
      'reopen-activation',
      newNumber,
      '--id',
      ZHANG.idNumber,
    );
    expect(reopened.stdout).toBe(
      `re-opened the bank activation of card ${newNumber}: from 2027-03-09 until 2027-05-08\n`,
    );
    const ok = await at('2027-03-09T10:10:00+08:00', ...activate);
    expect(ok).toMatchObject({ code: 0, stdout: `activated the bank application of card ${newNumber}\n` });
    expect(JSON.parse((await cli('card', 'show', newImage, '--json')).stdout).applications.bank).toBe('usable');

    const bankWritten = [
      'office',
      'report-loss',
      newNumber,
      '--side',
      'bank',
      '--channel',
      'written',
      '--id',
      ZHANG.idNumber,
      '--card',
      newImage,
      '--pin-stdin',
    ];
    const wrong = await cliWithStdin('111111\n', '--now', '2027-03-10T10:00:00+08:00', ...bankWritten, '--db', tmp.db);
    expect(wrong.stderr).toMatch(/the bank PIN check \(card\) failed \(PIN_INCORRECT\) \[BANK_PIN_CHECK_FAILED\]/);
    expect(wrong.stderr).not.toContain('111111');
    const right = await cliWithStdin('888888\n', '--now', '2027-03-10T10:00:00+08:00', ...bankWritten, '--db', tmp.db);
    expect(right.stdout).toBe(`reported card ${newNumber}, bank side: lost_written (written)\n`);
    const history = await at('2027-03-10T10:00:00+08:00', 'office', 'history', newNumber);
    expect(history.stdout).toMatch(/report_loss\s+ok\s+bank\/counter .*"bankPinCheckedOn":"card"/);
    expect(history.stdout).not.toMatch(/888888|111111/);
  });

  it('blacklist export with another signing key: terminals holding only the test key refuse it, the right public key accepts it (bank side listed only)', async () => {
    const seed = new Uint8Array(32).fill(0x42);
    const priv = join(tmp.path, 'issuer.pem');
    const pub = join(tmp.path, 'issuer.pub.pem');
    writeFileSync(priv, ed25519PrivateKeyPem(seed));
    writeFileSync(pub, ed25519PublicKeyPem(ed25519PublicKey(seed)));
    const file = join(tmp.path, 'own-key.json');
    const exported = await at(
      '2027-03-10T11:00:00+08:00',
      'office',
      'blacklist',
      'export',
      file,
      '--signing-key',
      priv,
      '--json',
    );
    expect(JSON.parse(exported.stdout)).toMatchObject({ version: 2, entries: 3 });
    expect((await at('2027-03-10T12:00:00+08:00', 'read', '--card', newImage, '--blacklist', file)).stderr).toMatch(
      /signed with key [0-9a-f]{16}, but this terminal trusts key [0-9a-f]{16} \[BLACKLIST_SIGNATURE\]/,
    );
    /** The new card at a terminal that trusts the exported file's key. */
    const trusting = ['--card', newImage, '--blacklist', file, '--blacklist-key', pub];
    const trusted = await at('2027-03-10T12:00:00+08:00', 'read', ...trusting, '--json');
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.stdout).card.cardNumber).toBe(newNumber);
    // Only its bank side is listed: the social-security side still works at a pharmacy.
    const pharmacy = await cliWithStdin(
      '123456\n',
      '--now',
      '2027-03-10T12:00:00+08:00',
      'pin',
      'verify',
      ...trusting,
      '--pin-stdin',
    );
    expect(pharmacy).toMatchObject({ code: 0, stderr: '' });
    expect(pharmacy.stdout).toMatch(/^PIN correct\n/);
  });
});
