import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/apdu/index.js';
import type { VpcdConnection } from '../../src/bridge/index.js';
import { buildSscCard, samplePerson } from '../../src/card-sim/index.js';
import { acquireReaderSlot, openscReaderIndex, pcscLab, type ReaderSlot } from '../pcsc/lab.js';
import { insertCard, removeTempDirs, tempDir, waitReader } from '../terminal/pcsc/rig.js';
import { cli, cliWithStdin } from './run-cli.js';

/*
 * The card-using commands (read, pin, apdu, script) with --reader <name|index>: a simulated card in
 * a vpcd reader of the real pcscd, the CLI run in this process through the PC/SC binding.
 */

const SSSE_NAME = '7378312E73682EC9E7BBE1B1A3D5CF';
const SELECT_SSSE = `00A404000F${SSSE_NAME}00`;
const READ_CARD_NUMBER = '00B2072C00';
const ZHANG = samplePerson('zhang-wei');
const cardNumberRecord = `0709${toHex(new TextEncoder().encode(ZHANG.card.number))}`;

afterAll(() => {
  removeTempDirs();
});

describe('--card and --reader together or neither (no reader needed)', () => {
  it('apdu and script refuse both, and neither, with one line', async () => {
    const script = path.join(tempDir('reader-cmd'), 's.apdu');
    fs.writeFileSync(script, `${READ_CARD_NUMBER}\n`);
    const both = await cli('apdu', '--card', 'x.json', '--reader', '0', READ_CARD_NUMBER);
    expect(both).toMatchObject({ code: 1, stdout: '' });
    expect(both.stderr).toBe('sscard: give either --card <image> or --reader <name|index>, not both [CLI_INPUT]\n');
    const neither = await cli('script', script);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(
      /^sscard: no card: give --card <image> .* or --reader <name\|index> .*\[CLI_INPUT\]\n$/,
    );
  });
});

const lab = pcscLab('sscard --reader PC/SC suite');

describe.runIf(lab.run)('card commands with --reader behind the real pcscd', () => {
  let slot: ReaderSlot & { release(): void };
  /** The slot's reader as `sscard readers` numbers it (pcsc_scan's order, which is pcscd's). */
  let index: string;
  const bridges: VpcdConnection[] = [];

  beforeAll(async () => {
    lab.assertReady();
    // Both vpcd slots may be held by other PC/SC suites for a while.
    slot = await acquireReaderSlot({ timeoutMs: 120_000 });
    await waitReader(slot.reader, false, 3000);
    index = String(openscReaderIndex(slot.reader));
  }, 180_000);

  afterAll(() => {
    slot?.release();
  });

  afterEach(async () => {
    for (const b of bridges.splice(0)) await b.close();
    await waitReader(slot.reader, false, 3000);
  });

  async function insert(transmission: 'T=0' | 'T=1' = 'T=1'): Promise<void> {
    bridges.push(await insertCard(slot, buildSscCard(ZHANG, { transmission })));
  }

  it('read --reader <index> prints the card number and holder', async () => {
    await insert();
    const r = await cli('read', '--reader', index);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`reader ${slot.reader}`);
    expect(r.stdout).toMatch(/card number\s+A10500031/);
    expect(r.stdout).toMatch(/name\s+张伟/);
    // The same through each backend named on the command line.
    for (const backend of ['smartcard', 'pcscd-socket']) {
      const forced = await cli('read', '--reader', index, '--backend', backend);
      expect(forced, backend).toMatchObject({ code: 0, stderr: '', stdout: r.stdout });
    }
  });

  it('read --reader --json prints the card report of the shipped schema, naming the reader', async () => {
    await insert();
    const r = await cli('read', '--reader', index, '--json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    const schema = JSON.parse(
      fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'schema', 'card-report.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv2020({ strict: true }).compile(schema);
    expect(validate(report) ? 'valid' : validate.errors).toBe('valid');
    expect(report['source']).toEqual({ kind: 'reader', name: slot.reader });
    expect(report['card']).toMatchObject({ cardNumber: 'A10500031' });
  });

  it('pin status, then a wrong PIN costs a try that the next status shows', async () => {
    await insert();
    expect(await cli('pin', 'status', '--reader', slot.reader)).toMatchObject({
      code: 0,
      stdout: 'application PIN: 3 tries left\n',
    });
    const wrong = await cliWithStdin('111111\n', 'pin', 'verify', '--reader', index, '--pin-stdin');
    expect(wrong).toMatchObject({ code: 1, stdout: '', stderr: 'sscard: wrong PIN: 2 tries left [PIN_INCORRECT]\n' });
    expect(await cli('pin', 'status', '--reader', index, '--backend', 'smartcard')).toMatchObject({
      code: 0,
      stdout: 'application PIN: 2 tries left\n',
    });
  });

  it('apdu --reader: SELECT SSSE answers 9000 (GET RESPONSE done by the channel on T=0), then the EF05 card number record', async () => {
    await insert('T=0');
    const r = await cli('apdu', '--reader', index, SELECT_SSSE, READ_CARD_NUMBER);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(`> ${SELECT_SSSE}`);
    expect(lines[1]).toMatch(new RegExp(`^< 6F..840F${SSSE_NAME}.* 9000 `));
    expect(lines[2]).toBe(`> ${READ_CARD_NUMBER}`);
    expect(lines[3]).toMatch(new RegExp(`^< ${cardNumberRecord} 9000 `));
  });

  it('script --reader: expected responses matched across warm and cold resets; power-off refuses APDUs until power-on', async () => {
    await insert();
    const dir = tempDir('reader-cmd');
    const good = path.join(dir, 'good.apdu');
    fs.writeFileSync(
      good,
      [
        `${SELECT_SSSE} -> 6F xx * 90 00`,
        `${READ_CARD_NUMBER} -> ${cardNumberRecord} 9000`,
        '0020000003111111 -> 63 C2   # a wrong PIN',
        'reset',
        `${READ_CARD_NUMBER} -> 6A 82 # nothing selected after the reset`,
        'power-off',
        'power-on',
        `${SELECT_SSSE} -> * 9000`,
        '0020000003123456 -> 9000',
        'reset cold',
        '',
      ].join('\n'),
    );
    const r = await cli('script', good, '--reader', slot.reader);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`# reader ${slot.reader}, ATR `);
    expect(r.stdout).toContain(
      '# line 6: power-off (a PC/SC reader keeps a connected card powered: power-on is a cold reset)',
    );
    expect(r.stdout).toMatch(/# line 7: power-on \(cold reset\), ATR 3B/);
    expect(r.stdout).toContain('> 0020000003 ****');
    expect(r.stdout).not.toContain('123456');
    expect(r.stdout.trim().split('\n').pop()).toBe('# 10 steps done, 6 expected responses matched');

    const off = path.join(dir, 'off.apdu');
    fs.writeFileSync(off, `power-off\n${READ_CARD_NUMBER}\n`);
    const refused = await cli('script', off, '--reader', index);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `sscard: ${off}:2: the card is powered off (add power-on before this line) [SCRIPT_CARD_OFF]\n`,
    );

    const mismatch = path.join(dir, 'mismatch.apdu');
    fs.writeFileSync(mismatch, `${SELECT_SSSE} -> 6A 82\n`);
    const failed = await cli('script', mismatch, '--reader', index);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(`^sscard: ${mismatch}:1: expected 6A 82, card answered 6F.* 9000 to .*\\[SCRIPT_MISMATCH\\]\\n$`),
    );
  });

  it('a reader name or index pcscd does not list is one clear line naming the readers, exit 1', async () => {
    // pcsc_scan's list, in pcscd's order.
    const readers = lab.readers.map((name, i) => `${i} '${name}'`).join(', ');
    const listed = `\\(readers: ${readers}\\) \\[READER_NOT_FOUND\\]\\n$`;
    const byName = await cli('read', '--reader', 'No Such Reader');
    expect(byName).toMatchObject({ code: 1, stdout: '' });
    expect(byName.stderr).toMatch(new RegExp(`^sscard: no reader named 'No Such Reader' ${listed}`));
    expect(byName.stderr.split('\n')).toHaveLength(2);
    const byIndex = await cli('apdu', '--reader', '9', READ_CARD_NUMBER);
    expect(byIndex).toMatchObject({ code: 1, stdout: '' });
    expect(byIndex.stderr).toMatch(new RegExp(`^sscard: no reader with index 9 ${listed}`));
  });
});
