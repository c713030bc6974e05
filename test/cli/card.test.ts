import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe as group, expect, it } from 'vitest';
import { readCardImage, samplePerson } from '../../src/card-sim/index.js';
import { cli } from './run-cli.js';
import { openImageFile, writeUnsealedImage } from '../card-sim/image-fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sscard-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

group('sscard card new', () => {
  it('creates the default sample person as samplePerson() describes it (zhang-wei: financial)', async () => {
    const image = join(dir, 'card.json');
    const r = await cli('card', 'new', image);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`created ${image}: 张伟, card A10500031, spec 2.00, financial, PIN tries 3\n`);
    expect(readCardImage(image).spec).toBe('2.00');
    expect(samplePerson('zhang-wei').financial).toBe(true);
  });

  it('applies --no-financial, --spec and --pin-tries over the sample', async () => {
    const image = join(dir, 'card.json');
    const r = await cli('card', 'new', image, '--no-financial', '--spec', '3.00', '--pin-tries', '6');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`created ${image}: 张伟, card A10500031, spec 3.00, PIN tries 6\n`);
    const report = JSON.parse((await cli('card', 'show', image, '--json')).stdout);
    expect(report.card.specVersion).toBe('3.00');
    expect(report.algorithm).toBe('sm4');
    expect(report.pins).toEqual({
      application: { triesLeft: 6, tryLimit: 6, blocked: false, initial: true },
      bank: null,
    });
    expect(report.bank).toBeNull();
  });

  it("keeps each sample's own values unless an option overrides them", async () => {
    for (const sample of ['zhang-wei', 'li-xiuying', 'wang-yan', 'abdurahman']) {
      const image = join(dir, `${sample}.json`);
      expect((await cli('card', 'new', image, '--sample', sample)).code).toBe(0);
      const doc = samplePerson(sample);
      const report = JSON.parse((await cli('card', 'show', image, '--json')).stdout);
      expect(report.card.specVersion, sample).toBe(doc.specVersion);
      expect(report.pins.application.tryLimit, sample).toBe(doc.pin?.tryLimit ?? 3);
      expect(report.bank === null, sample).toBe(doc.financial !== true);
    }
    const li = join(dir, 'li-financial.json');
    const refused = await cli('card', 'new', li, '--sample', 'li-xiuying', '--financial');
    expect(refused.stderr).toBe(
      'sscard: sample li-xiuying has no bank PAN (card.pan); pick a financial sample or give one in a --from document [CLI_INPUT]\n',
    );
    const tries = await cli('card', 'new', li, '--sample', 'li-xiuying', '--pin-tries', '4');
    expect(tries.stdout).toContain('PIN tries 4');
  });

  it("says in its help where a sample's values come from", async () => {
    const help = await cli('card', 'new', '--help');
    expect(help.stdout).toMatch(
      /--pin-tries <n>\s+application PIN try limit, 1\.\.15 \(default: the\s+sample's or document's own, 3 if it sets none\)/,
    );
    expect(help.stdout).toMatch(/li-xiuying\s+spec 3\.00 \(SM4\), 6 PIN tries/);
  });

  it('refuses --from together with --sample', async () => {
    const docPath = join(dir, 'person.json');
    writeFileSync(docPath, JSON.stringify(samplePerson('abdurahman')));
    const image = join(dir, 'card.json');
    const both = await cli('card', 'new', image, '--from', docPath, '--sample', 'wang-yan');
    expect(both.code).toBe(1);
    expect(both.stderr).toBe("sscard: option '--from <document.json>' cannot be used with option '--sample <name>'\n");
    expect(existsSync(image)).toBe(false);
    // --sample's default does not count as given.
    expect((await cli('card', 'new', image, '--from', docPath)).code).toBe(0);
  });

  it('turns a financial --from document into a plain card with --no-financial', async () => {
    const docPath = join(dir, 'person.json');
    writeFileSync(docPath, JSON.stringify(samplePerson('wang-yan')));
    const image = join(dir, 'card.json');
    const r = await cli('card', 'new', image, '--from', docPath, '--no-financial');
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('financial');
    expect(JSON.parse((await cli('card', 'show', image, '--json')).stdout).bank).toBeNull();
  });

  it('refuses to overwrite an image unless --force', async () => {
    const image = join(dir, 'card.json');
    await cli('card', 'new', image);
    const before = readFileSync(image, 'utf8');
    const r = await cli('card', 'new', image, '--financial');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(`sscard: ${image} already exists; use --force to replace it [CLI_INPUT]\n`);
    expect(readFileSync(image, 'utf8')).toBe(before);
    expect((await cli('card', 'new', image, '--financial', '--force')).code).toBe(0);
    expect(readFileSync(image, 'utf8')).not.toBe(before);
  });

  it('personalizes from a document file and names the file and field on a bad one', async () => {
    const docPath = join(dir, 'person.json');
    writeFileSync(docPath, JSON.stringify(samplePerson('abdurahman')));
    const image = join(dir, 'card.json');
    const ok = await cli('card', 'new', image, '--from', docPath);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('阿卜杜热合曼·买买提艾力·吐尔逊托合提, card X65010213, spec 2.00');

    const bad = samplePerson('abdurahman');
    bad.person.idNumber = '650102197802142132';
    writeFileSync(docPath, JSON.stringify(bad));
    const r = await cli('card', 'new', join(dir, 'other.json'), '--from', docPath);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`sscard: ${docPath}: person.idNumber: check digit should be 3 [PERSONALIZATION_INVALID]\n`);

    writeFileSync(docPath, '{"person": ');
    const j = await cli('card', 'new', join(dir, 'other.json'), '--from', docPath);
    expect(j.stderr).toMatch(new RegExp(`^sscard: ${docPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
    // A syntax error says where it is without quoting the document (it holds the PINs).
    writeFileSync(docPath, '{"bankPin": {"initial": "246813"},\n "person": }');
    const quoted = await cli('card', 'new', join(dir, 'other.json'), '--from', docPath);
    expect(quoted.stderr).toBe(`sscard: ${docPath}: not valid JSON (syntax error) [CLI_INPUT]\n`);
    writeFileSync(docPath, '{"pin": {"initial": 246813x}}');
    const positioned = await cli('card', 'new', join(dir, 'other.json'), '--from', docPath);
    expect(positioned.stderr).toBe(
      `sscard: ${docPath}: not valid JSON (syntax error at line 1, column 27) [CLI_INPUT]\n`,
    );
    const missing = await cli('card', 'new', join(dir, 'other.json'), '--from', join(dir, 'nope.json'));
    expect(missing.stderr).toBe(`sscard: ${join(dir, 'nope.json')}: file not found [CLI_INPUT]\n`);
  });

  it('rejects bad option values and unknown options in one line', async () => {
    const image = join(dir, 'card.json');
    for (const args of [['--spec', '2.0'], ['--pin-tries', '0'], ['--pin-tries', 'many'], ['--bogus']]) {
      const r = await cli('card', 'new', image, ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^sscard: /);
      expect(r.stdout).toBe('');
    }
  });

  it('never repeats an option value in a parse error', async () => {
    const image = join(dir, 'card.json');
    const spec = await cli('card', 'new', image, '--spec', '7305.19');
    expect(spec.stderr).toBe(
      "sscard: option '--spec <version>' argument is invalid. Allowed choices are 2.00, 3.00.\n",
    );
    const tries = await cli('card', 'new', image, '--pin-tries', '730519');
    expect(tries.stderr).toBe(
      "sscard: option '--pin-tries <n>' argument is invalid. must be a whole number from 1 to 15\n",
    );
    const unknown = await cli('card', 'new', image, '--pin=730519');
    expect(unknown.stderr).toBe("sscard: unknown option '--pin'\n");
    for (const r of [spec, tries, unknown]) expect(r.stderr).not.toMatch(/7305/);
  });
});

group('sscard card show', () => {
  it('prints holder, card, PIN states and every record, never a PIN', async () => {
    const image = join(dir, 'card.json');
    await cli('card', 'new', image, '--sample', 'li-xiuying');
    await cli('apdu', '--card', image, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '0020000003000000');
    const r = await cli('card', 'show', image);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/holder\s+李秀英/);
    expect(out).toMatch(/card number\s+S31040024/);
    expect(out).toMatch(/spec\s+3\.00 \(SM4\)/);
    expect(out).toMatch(/application PIN\s+5 of 6 tries left; initial PIN still in effect/);
    expect(out).toMatch(/bank PIN\s+none \(not a financial card\)/);
    expect(out).toMatch(/08 socialSecurityNumber\s+310104196211080241/);
    expect(out).toMatch(/2 SH00092\s+1980-09-01 \.\. 1999-02-28 {2}上海第十七棉纺织厂/);
    expect(out).toMatch(
      /conditions\s+cardioCerebrovascular \(心脑血管病\), coagulationDisorder \(凝血紊乱\), diabetes \(糖尿病\)\n/,
    );
    expect(out).toMatch(/2\s+磺胺类药物: 全身皮疹伴瘙痒/);
    expect(out).toMatch(/EF08 medical history\s+2 of 20/);
    expect(out).toMatch(/1\s+2018-03-02 E11\.900 2型糖尿病 .*\n\s+2\s+2012-09-15 I10\.x00 原发性高血压/);
    expect(out).not.toContain('123456');
    expect(out).not.toContain('problems');
  });

  it('reports a blocked PIN and a PIN that is no longer the initial one', async () => {
    const image = join(dir, 'card.json');
    await cli('card', 'new', image, '--financial');
    await cli('apdu', '--card', image, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '805E010007123456FF654321');
    await cli('apdu', '--card', image, '00A4040008A000000333010101', ...Array(3).fill('002000800826000000FFFFFFFF'));
    const out = (await cli('card', 'show', image)).stdout;
    expect(out).toMatch(/application PIN\s+3 of 3 tries left\n/);
    expect(out).toMatch(/bank PIN\s+blocked \(0 of 3 tries left\)/);
    expect(out).not.toContain('654321');
  });

  it('names a damaged image and leaves it alone', async () => {
    const image = join(dir, 'card.json');
    writeFileSync(image, '{"format": "sscard-card-image", "version": 1, "created"');
    const r = await cli('card', 'show', image);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^sscard: card image .*card\\.json: not valid JSON.*\\[CARD_IMAGE_CORRUPT\\]\\n$`),
    );
    expect(readFileSync(image, 'utf8')).toBe('{"format": "sscard-card-image", "version": 1, "created"');
  });
});

group('sscard card set', () => {
  it('changes one field, seals the image again, and says what it set', async () => {
    const image = join(dir, 'card.json');
    await cli('card', 'new', image);
    const blocked = await cli('card', 'set', image, 'pin.app.tries-left', '0');
    expect(blocked).toMatchObject({ code: 0, stderr: '' });
    expect(blocked.stdout).toBe(`set pin.app.tries-left in ${image}: 3 -> 0\n`);
    expect((await cli('card', 'show', image)).stdout).toMatch(/application PIN\s+blocked \(0 of 3 tries left\)/);
    const verify = await cli('apdu', '--card', image, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '0020000003123456');
    expect(verify.stdout).toContain('< 6983');
    expect((await cli('card', 'set', image, 'app.SSSE.blocked', 'temporary')).stdout).toBe(
      `set app.SSSE.blocked in ${image}: none -> temporary\n`,
    );
    const record = await cli('card', 'set', image, 'record.SSSE/DF02/EF07.1', '45'.repeat(85));
    expect(record.stdout).toMatch(/^set record\.SSSE\/DF02\/EF07\.1 in .*: 85 bytes -> 85 bytes\n$/);
    expect(readCardImage(image).version).toBe(3);
  });

  it('lists its fields in its help', async () => {
    const help = await cli('card', 'set', '--help');
    for (const field of [
      'card.blocked',
      'pin.<id>.tries-left',
      'key.<df path>.<key id>.try-limit',
      'record.<ef path>.<n>',
      'state.<path>',
    ]) {
      expect(help.stdout).toContain(field);
    }
  });

  it('an image from before sealing: sealed by the first command that opens it, with a note on stderr', async () => {
    const image = join(dir, 'card.json');
    await cli('card', 'new', image);
    writeUnsealedImage(image, openImageFile(image));
    const show = await cli('card', 'show', image);
    expect(show.stderr).toBe('');
    const run = await cli('apdu', '--card', image, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(
        `^sscard: note: card image ${image}: was not sealed \\(version 2, from before sealing\\); it passed every check and is now sealed with the image key from .*image\\.key\\n$`,
      ),
    );
    expect(JSON.parse(readFileSync(image, 'utf8')).version).toBe(3);
    expect((await cli('apdu', '--card', image, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF')).stderr).toBe('');
  });
});
