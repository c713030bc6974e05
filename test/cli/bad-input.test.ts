import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe as group, expect, it } from 'vitest';
import {
  buildSscCard,
  closeCardImage,
  imageKeyFile,
  loadCardImage,
  openCardImage,
  samplePerson,
  saveCardImage,
  type DfState,
} from '../../src/card-sim/index.js';
import { openImageFile, testImageKey, writeSealedStateText, writeUnsealedImage } from '../card-sim/image-fixtures.js';
import { SOAK, reportFigures, soakTimeout } from '../soak.js';
import { cli, cliWithStdin, type CliRun } from './run-cli.js';

/*
 * The command line's bad-input table: every row is a mistake a careless user (or an attacker
 * feeding inputs) makes, with a secret-looking value in it (PIN digits 730519 / 246813). Each row
 * must end with a non-zero status and exactly one line `sscard: …` on stderr, print nothing on
 * stdout, leave every file as it was (no image written, none created), and show no secret: not the
 * PIN digits, not the image key, not a card key. `npm test` runs the table in this process;
 * `npm run soak` runs it through the real executable too.
 */

const BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'bin.ts');
const SELECT = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';
const PIN = '730519';
const OTHER_PIN = '246813';

interface Row {
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
}

let dir: string;
const f = (name: string): string => join(dir, name);
let secrets: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sscard-bad-input-'));
  const card = buildSscCard(samplePerson('zhang-wei'));
  saveCardImage(f('card.json'), card);
  const clear = openImageFile(f('card.json'));
  const ssse = clear.state.mf.children[0] as DfState;
  secrets = [
    PIN,
    OTHER_PIN,
    '73 05 19',
    readFileSync(imageKeyFile(), 'utf8').trim(),
    ...ssse.keys.map((k) => k.key.slice(0, 16)),
  ];
  const sealed = JSON.parse(readFileSync(f('card.json'), 'utf8'));
  writeFileSync(f('tampered.json'), JSON.stringify({ ...sealed, saved: '2020-01-01T00:00:00.000Z' }));
  saveCardImage(f('other-key.json'), loadCardImage(f('card.json')), { imageKey: testImageKey(9) });
  writeFileSync(f('truncated.json'), readFileSync(f('card.json'), 'utf8').slice(0, 300));
  writeFileSync(f('garbage.json'), `{"key": "${PIN}${PIN}" oops, "pin": ${OTHER_PIN}x}`);
  writeFileSync(f('v4.json'), JSON.stringify({ ...sealed, version: 4 }));
  writeFileSync(f('unknown-field.json'), JSON.stringify({ ...sealed, comment: PIN }));
  const deep = `${'{"type":"df","fid":"1000","pins":[],"keys":[],"children":['.repeat(3000)}${']}'.repeat(3000)}`;
  writeSealedStateText(
    f('deep.json'),
    clear,
    JSON.stringify({ ...clear.state, mf: { ...clear.state.mf, children: ['@'] } }).replace('"@"', deep),
  );
  writeFileSync(f('big.json'), `${readFileSync(f('card.json'), 'utf8')}${' '.repeat(1024 * 1024)}`);
  // The write-ahead log of an image, as a crash leaves it (copied while the card is open), then
  // edited; and a log far larger than any sscard writes.
  saveCardImage(f('log-source.json'), card);
  const open = openCardImage(f('log-source.json'), { powered: true });
  open.transmit(Buffer.from(SELECT, 'hex'));
  open.transmit(Buffer.from('0020000003000000', 'hex'));
  copyFileSync(f('log-source.json'), f('log-edited.json'));
  const [line, ...more] = readFileSync(f('log-source.json.log'), 'utf8').split('\n');
  const record = JSON.parse(line as string) as { data: string };
  writeFileSync(
    f('log-edited.json.log'),
    [
      JSON.stringify({ ...record, data: `${record.data.startsWith('A') ? 'B' : 'A'}${record.data.slice(1)}` }),
      ...more,
    ].join('\n'),
  );
  closeCardImage(open);
  rmSync(f('log-source.json'));
  copyFileSync(f('card.json'), f('log-big.json'));
  writeFileSync(f('log-big.json.log'), `${PIN}\n`.repeat(200_000));
  writeUnsealedImage(f('unsealed.json'), clear);
  writeUnsealedImage(f('unsealed-bad.json'), clear, (image) => {
    image.state.mf.children[0].pins[0].record.verifier.mac = `${PIN}`;
  });
  symlinkSync('loop-b.json', f('loop-a.json'));
  symlinkSync('loop-a.json', f('loop-b.json'));
  mkdirSync(f('a-directory'));
  writeFileSync(f('person.json'), JSON.stringify(samplePerson('wang-yan')));
  writeFileSync(f('person-syntax.json'), `{"pin": {"initial": "${PIN}"},\n "bankPin": {"initial": ${OTHER_PIN}x}}`);
  writeFileSync(f('person-invalid.json'), JSON.stringify({ ...samplePerson('wang-yan'), pin: { initial: `${PIN}0` } }));
  writeFileSync(f('hex.apdu'), `${SELECT} -> 9000\n0020000003 7305 1G -> 9000\n`);
  writeFileSync(f('short.apdu'), `${SELECT}\n00 20\n`);
  writeFileSync(f('pattern.apdu'), `${SELECT}\n0020000003${PIN} -> 90 00 zz\n`);
  writeFileSync(f('arrows.apdu'), `0020000003${PIN} -> 9000 -> 9000\n`);
  writeFileSync(f('select.apdu'), `${SELECT} -> 9000\n`);
  mkdirSync(f('open-config/sscard'), { recursive: true });
  writeFileSync(f('open-config/sscard/image.key'), `${'ab'.repeat(32)}\n`);
  chmodSync(f('open-config/sscard/image.key'), 0o644);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The table: one mistake per row. */
function rows(): Row[] {
  const img = f('card.json');
  const apdu = (image: string, ...rest: string[]): Row => ({
    args: ['apdu', '--card', image, SELECT, `0020000003${PIN}`, ...rest],
  });
  const verify = (image: string, stdin = `${PIN}\n`): Row => ({
    args: ['pin', 'verify', '--card', image, '--pin-stdin'],
    stdin,
  });
  const images = [
    'missing.json',
    'tampered.json',
    'other-key.json',
    'truncated.json',
    'garbage.json',
    'v4.json',
    'unknown-field.json',
    'deep.json',
    'big.json',
    'unsealed-bad.json',
    'log-edited.json',
    'log-big.json',
    'loop-a.json',
    'a-directory',
  ].map(f);
  return [
    // Parse errors: never the value.
    { args: [PIN] },
    { args: [`--pin=${PIN}`] },
    { args: ['card', `--pin=${PIN}`] },
    { args: ['card', 'new', f('new.json'), `--pin=${PIN}`] },
    { args: ['card', 'new', f('new.json'), '--pin-tries', PIN] },
    { args: ['card', 'new', f('new.json'), '--spec', PIN] },
    { args: ['card', 'new', f('new.json'), '--transmission', PIN] },
    { args: ['card', 'new', f('new.json'), '--sample', PIN] },
    { args: ['card', 'new', f('new.json'), `-p${PIN}`] },
    { args: ['card', 'show', img, `--json=${PIN}`] },
    { args: ['card', 'show', img, PIN] },
    { args: ['card', 'show'] },
    { args: ['apdu', '--card', img, `--pin-stdin=${PIN}`, SELECT] },
    { args: ['apdu', '--card', img, `-x${PIN}`, SELECT] },
    { args: ['apdu', '--card'] },
    { args: ['apdu', '--card', img] },
    { args: ['read', '--card', img, `--pin=${PIN}`] },
    { args: ['read', '--card', img, `extra${PIN}`] },
    { args: ['pin', 'status', '--card', img, '--pin-stdin'] },
    { args: ['pin', PIN] },
    { args: ['sim', 'serve', '--card', img, '--slot', PIN] },
    { args: ['sim', 'serve', '--card', img, '--vpcd', PIN] },
    { args: ['sim', 'serve', '--card', img, '--connect-timeout', `x${PIN}`] },
    { args: ['sim', 'serve'] },
    { args: ['watch', '--timeout', `x${PIN}`] },
    { args: ['readers', `--json=${PIN}`] },
    { args: ['doctor', PIN] },
    { args: ['demo', `--pin=${PIN}`] },
    { args: ['script'] },
    { args: ['pos', '--card', img, `--pin-stdin=${PIN}`] },
    // card new: the image exists, the document is bad.
    { args: ['card', 'new', img] },
    { args: ['card', 'new', f('new.json'), '--from', f('person-syntax.json')] },
    { args: ['card', 'new', f('new.json'), '--from', f('person-invalid.json')] },
    { args: ['card', 'new', f('new.json'), '--from', f('nope.json')] },
    { args: ['card', 'new', f('new.json'), '--from', f('person.json'), '--sample', 'wang-yan'] },
    { args: ['card', 'new', f('new.json'), '--from', f('a-directory')] },
    { args: ['card', 'new', f('no-such-dir/new.json')] },
    // Every kind of bad image, through every command that opens one.
    ...images.flatMap((image): Row[] => [
      { args: ['card', 'show', image] },
      { args: ['card', 'show', image, '--json'] },
      apdu(image),
      { args: ['read', '--card', image] },
      verify(image),
      { args: ['script', f('select.apdu'), '--card', image] },
      { args: ['card', 'set', image, 'pin.app.tries-left', '3'] },
      { args: ['pos', '--card', image, '--verify', '--pin-stdin'], stdin: `${PIN}\n` },
    ]),
    { args: ['sim', 'serve', '--card', f('tampered.json')] },
    // Bad APDUs: never the argument.
    { args: ['apdu', '--card', img, '0020000003 7305 1G'] },
    { args: ['apdu', '--card', img, `0020000003${PIN}F`] },
    { args: ['apdu', '--card', img, '0020'] },
    { args: ['apdu', '--card', img, '--reader', 'x', `0020000003${PIN}`] },
    { args: ['apdu', `0020000003${PIN}`] },
    // PIN entry: checked before anything reaches the card.
    verify(img, '73051\n'),
    verify(img, '7305a9\n'),
    verify(img, ''),
    verify(img, `${PIN}${PIN}\n`),
    { args: ['pin', 'verify', '--card', img, '--pin', PIN] },
    { args: ['pin', 'verify', '--card', img, PIN] },
    { args: ['pin', 'verify', '--pin-stdin'], stdin: `${PIN}\n` },
    { args: ['pin', 'change', '--card', img, '--pin-stdin'], stdin: `123456\n${PIN}\n${OTHER_PIN}\n` },
    { args: ['pin', 'change', '--card', img, '--pin-stdin'], stdin: `123456\n73051\n73051\n` },
    { args: ['pin', 'change', '--card', img, '--pin-stdin'], stdin: `123456\n${PIN}\n` },
    // Scripts.
    { args: ['script', f('nope.apdu'), '--card', img] },
    { args: ['script', f('hex.apdu'), '--card', img] },
    { args: ['script', f('short.apdu'), '--card', img] },
    { args: ['script', f('pattern.apdu'), '--card', img] },
    { args: ['script', f('arrows.apdu'), '--card', img] },
    { args: ['script', f('select.apdu'), '--card', img, '--reader', 'x'] },
    // card set: the field or the value.
    { args: ['card', 'set', img, 'pin.app.tries-left', PIN] },
    { args: ['card', 'set', img, 'pin.app.tries-left', '9'] },
    { args: ['card', 'set', img, 'pin.app.try-limit', '0'] },
    { args: ['card', 'set', img, 'state.mf.children[0].keys[0].key', `${PIN}${PIN}${PIN}${PIN}${PIN}AB`] },
    { args: ['card', 'set', img, 'state.mf.children[0].pins[0]', `{"verifier":"${PIN}"}`] },
    { args: ['card', 'set', img, 'record.SSSE/DF02/EF07.1', PIN] },
    { args: ['card', 'set', img, 'card.blocked', PIN] },
    { args: ['card', 'set', img, `frobnicate.${PIN}`, '1'] },
    { args: ['card', 'set', img, 'pin.app.tries-left'] },
    // The environment: a bad image key, a key file others can read, unsealed images refused.
    { args: ['card', 'show', img], env: { SSCARD_IMAGE_KEY: PIN } },
    { args: ['apdu', '--card', img, SELECT], env: { SSCARD_IMAGE_KEY: `${PIN}${'0'.repeat(58)}` } },
    { args: ['card', 'show', img], env: { XDG_CONFIG_HOME: f('open-config') } },
    { args: ['card', 'new', f('new.json')], env: { XDG_CONFIG_HOME: f('open-config') } },
    { args: ['card', 'show', f('unsealed.json')], env: { SSCARD_REFUSE_UNSEALED: '1' } },
    { ...apdu(f('unsealed.json')), env: { SSCARD_REFUSE_UNSEALED: '1' } },
    { args: ['card', 'set', f('unsealed.json'), 'pin.app.tries-left', '1'], env: { SSCARD_REFUSE_UNSEALED: '1' } },
  ];
}

/** Every file of the directory with its bytes (links as links), to see that nothing changed. */
function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        out.set(p, 'dangling');
        continue;
      }
      if (st.isDirectory()) walk(p);
      else out.set(p, readFileSync(p, 'base64'));
    }
  };
  walk(dir);
  return out;
}

async function runInProcess(row: Row): Promise<CliRun> {
  const saved = new Map(Object.keys(row.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, row.env);
  try {
    return await (row.stdin === undefined ? cli(...row.args) : cliWithStdin(row.stdin, ...row.args));
  } finally {
    for (const [k, v] of saved) process.env[k] = v ?? '';
  }
}

function runExecutable(row: Row): CliRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', BIN, ...row.args], {
    encoding: 'utf8',
    input: row.stdin ?? '',
    env: { ...process.env, ...row.env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function check(row: Row, r: CliRun): void {
  const what = `sscard ${row.args.join(' ')}${row.env === undefined ? '' : ` (${JSON.stringify(row.env)})`}`;
  expect(r.code, `${what}\n${r.stderr}`).not.toBe(0);
  expect(r.stderr, what).toMatch(/^sscard: [^\n]+\n$/);
  expect(r.stdout, what).toBe('');
  for (const secret of secrets) {
    expect(r.stdout.toUpperCase() + r.stderr.toUpperCase(), `${what}: shows a secret`).not.toContain(
      secret.toUpperCase(),
    );
  }
}

group('the command line on bad input', () => {
  it('one line each, nothing on stdout, no secret shown, no file changed (in process)', async () => {
    const table = rows();
    expect(table.length).toBeGreaterThanOrEqual(100);
    const before = snapshot();
    for (const row of table) check(row, await runInProcess(row));
    expect(snapshot()).toEqual(before);
    reportFigures('cli-table', { rows: table.length, secretsScanned: secrets.length });
  }, 120_000);

  it(
    `the same table through the real executable (${SOAK ? 'every row' : 'every 25th row; every row under npm run soak'})`,
    () => {
      const before = snapshot();
      const table = rows().filter((_row, i) => SOAK || i % 25 === 0);
      for (const row of table) check(row, runExecutable(row));
      expect(snapshot()).toEqual(before);
      reportFigures('cli-table-executable', { rows: table.length });
    },
    soakTimeout(120_000, 1_800_000),
  );
});
