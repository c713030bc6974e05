import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCardImage, samplePerson } from '../../src/card-sim/index.js';
import { Registry, SCHEMA_VERSION } from '../../src/office/index.js';
import { freshDatabase, pgLab } from '../office/pg-lab.js';
import type { FreshDatabase } from '../office/pg-lab.js';
import { cli, embeddedRegistryPerSuite } from './run-cli.js';

const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
/** tsx by absolute URL: the child runs in a directory outside the checkout. */
const TSX = pathToFileURL(fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url))).href;

// Opening an embedded store starts PostgreSQL in WebAssembly: seconds each, more on a busy machine.
describe('sscard office (embedded store)', { timeout: 180_000 }, () => {
  const tmp = embeddedRegistryPerSuite('sscard-cli-office-');

  it('init creates the registry, then finds it up to date', async () => {
    const first = await cli('office', 'init', '--db', tmp.db);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(
      `registry file:${join(tmp.path, 'registry')} (pglite): schema version ${SCHEMA_VERSION}, created\n`,
    );
    const again = await cli('office', 'init', '--db', tmp.db);
    expect(again.stdout).toContain(`schema version ${SCHEMA_VERSION}, up to date`);
  });

  it('issue records the card and writes its image from the same document; status and history show it', async () => {
    const image = join(tmp.path, 'zhang.json');
    const r = await cli(
      'office',
      'issue',
      '--sample',
      'zhang-wei',
      '--financial',
      '--spec',
      '3.00',
      '--card',
      image,
      '--db',
      tmp.db,
      '--terminal',
      'window-7',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m =
      /^issued card (A\d{8}) \(identifier (1101059\d{9})\) to 张伟, spec 3.00, financial, valid (\S+) to (\S+); image /.exec(
        r.stdout,
      );
    expect(m).not.toBeNull();
    const [, number, identifier] = m as unknown as [string, string, string];
    expect(readCardImage(image).spec).toBe('3.00');
    const shown = JSON.parse((await cli('card', 'show', image, '--json')).stdout);
    expect(shown.card).toMatchObject({ cardNumber: number, cardIdentifier: identifier });
    expect(shown.pins.bank).toMatchObject({ triesLeft: 3 });

    const status = await cli('office', 'status', number, '--db', tmp.db, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      cardNumber: number,
      cardIdentifier: identifier,
      ssc: 'active',
      bank: 'inactive',
      pinInitial: true,
      holderName: '张伟',
    });
    const text = await cli('office', 'status', number, '--db', tmp.db);
    expect(text.stdout).toContain(`card ${number}`);
    expect(text.stdout).toMatch(/social security\s+active/);

    const history = await cli('office', 'history', number, '--db', tmp.db, '--json');
    const entries = JSON.parse(history.stdout);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      operation: 'issue_card',
      result: 'ok',
      terminalId: 'window-7',
      role: 'admin',
      channel: 'cli',
    });
    expect((await cli('office', 'history', number, '--db', tmp.db)).stdout).toMatch(
      /issue_card\s+ok\s+admin\/cli window-7/,
    );
  });

  it('refuses a second card for the same person and writes no image', async () => {
    const image = join(tmp.path, 'zhang-2.json');
    const r = await cli('office', 'issue', '--sample', 'zhang-wei', '--card', image, '--db', tmp.db);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already holds card A\d{8} \[PERSON_HAS_CARD\]/);
    expect(existsSync(image)).toBe(false);
  });

  it('checks a --from document fully before recording anything, naming the field', async () => {
    const doc = samplePerson('li-xiuying') as unknown as Record<string, unknown>;
    (doc['card'] as Record<string, unknown>)['type'] = 'toolong';
    const file = join(tmp.path, 'li.json');
    writeFileSync(file, JSON.stringify(doc));
    const r = await cli('office', 'issue', '--from', file, '--card', join(tmp.path, 'li-card.json'), '--db', tmp.db);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/card\.type: must be one digit or capital letter.*\[DOCUMENT_INVALID\]/);
    const registry = await Registry.open(tmp.db);
    try {
      expect(await registry.cardsOf(samplePerson('li-xiuying').person.idNumber)).toEqual([]);
      expect((await registry.historyOfPerson(samplePerson('li-xiuying').person.idNumber)).map((h) => h.reason)).toEqual(
        ['DOCUMENT_INVALID'],
      );
    } finally {
      await registry.close();
    }
  });

  it('refuses to overwrite an image without --force, before touching the registry', async () => {
    const image = join(tmp.path, 'exists.json');
    writeFileSync(image, '{}');
    const r = await cli('office', 'issue', '--sample', 'abdurahman', '--card', image, '--db', tmp.db);
    expect(r).toMatchObject({ code: 1 });
    expect(r.stderr).toContain('already exists; use --force');
    const registry = await Registry.open(tmp.db);
    try {
      expect(await registry.cardsOf(samplePerson('abdurahman').person.idNumber)).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it('needs exactly one of --sample and --from; unknown cards are CARD_NOT_FOUND', async () => {
    expect((await cli('office', 'issue', '--card', join(tmp.path, 'x.json'), '--db', tmp.db)).stderr).toContain(
      'one of --sample NAME or --from',
    );
    const r = await cli('office', 'status', 'Z00000000', '--db', tmp.db);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('sscard: no card "Z00000000" in the registry [CARD_NOT_FOUND]\n');
  });

  it('uses ./sscard-office in the working directory when neither --db nor SSCARD_DB is given', () => {
    const cwd = mkdtempSync(join(tmp.path, 'cwd-'));
    const env = { ...process.env };
    delete env.SSCARD_DB;
    const r = spawnSync(process.execPath, ['--import', TSX, BIN, 'office', 'init'], {
      cwd,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `registry file:${join(cwd, 'sscard-office')} (pglite): schema version ${SCHEMA_VERSION}, created\n`,
    );
    expect(existsSync(join(cwd, 'sscard-office', 'pgdata'))).toBe(true);
    const viaEnv = spawnSync(process.execPath, ['--import', TSX, BIN, 'office', 'init'], {
      cwd: tmp.path,
      env: { ...env, SSCARD_DB: `file:${join(cwd, 'sscard-office')}` },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(viaEnv.stdout).toContain(`schema version ${SCHEMA_VERSION}, up to date`);
  });
});

const lab = pgLab('sscard office CLI on postgres');

describe.runIf(lab.run)('sscard office (server)', { timeout: 60_000 }, () => {
  let fresh: FreshDatabase;
  let dir: string;
  beforeAll(async () => {
    lab.assertReady();
    fresh = await freshDatabase(lab.url, 'cli');
    dir = mkdtempSync(join(tmpdir(), 'sscard-cli-office-pg-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await fresh?.drop();
  });

  it('init, issue and status on a postgres:// registry, never printing the password', async () => {
    const init = await cli('office', 'init', '--db', fresh.url);
    expect(init.stdout).toContain(`(postgres): schema version ${SCHEMA_VERSION}, created`);
    expect(init.stdout).not.toContain(':sscard@');
    const r = await cli(
      'office',
      'issue',
      '--sample',
      'abdurahman',
      '--card',
      join(dir, 'a.json'),
      '--db',
      fresh.url,
      '--json',
    );
    expect(r.code).toBe(0);
    const card = JSON.parse(r.stdout);
    expect(card).toMatchObject({ specVersion: '2.00', financial: false, ssc: 'active', bank: null });
    const status = await cli('office', 'status', card.cardNumber, '--db', fresh.url, '--json');
    expect(JSON.parse(status.stdout).cardIdentifier).toBe(card.cardIdentifier);
  });
});
