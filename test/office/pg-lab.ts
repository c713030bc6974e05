import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPg } from '../../src/office/storage/drivers.js';
import { labCheck, type LabCheck } from '../support/lab-check.js';

/*
 * The PostgreSQL lab for the registry suites (scripts/pg-lab). A suite calls `pgLab()` once at
 * collection time, like the PC/SC suites call pcscLab():
 *   - server ready              -> the suite runs;
 *   - server missing, CI=true   -> the suite runs and fails in beforeAll with the reason;
 *   - server missing, otherwise -> the suite is skipped, with one line saying how to enable it.
 * Each test run works in its own fresh database (`freshDatabase()`), dropped afterwards, so runs
 * never see each other's data. SSCARD_PG_URL points the suites at another server (its user must be
 * allowed to create databases).
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const PG_LAB_SCRIPT = path.join(REPO_ROOT, 'scripts', 'pg-lab');
const ENABLE_HINT = 'enable with: scripts/pg-lab up (installs postgresql if missing, starts it on 127.0.0.1:55432)';

export interface PgLabCheck extends LabCheck {
  /** The lab's URL (the database the test user owns). */
  url: string;
}

let cached: PgLabCheck | undefined;

export function pgLab(suite = 'PostgreSQL suite'): PgLabCheck {
  cached ??= check();
  if (!cached.run) console.log(`${suite} skipped: ${cached.reason}; ${ENABLE_HINT}`);
  return cached;
}

function labUrl(): string {
  const fromEnv = process.env.SSCARD_PG_URL;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const r = spawnSync('bash', [PG_LAB_SCRIPT, 'url'], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout.trim();
}

function check(): PgLabCheck {
  const url = labUrl();
  let reason = '';
  const u = new URL(url);
  // A real login, not just a port check: the suite needs this user and database.
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const {Client}=require('pg');const c=new Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});` +
        `c.connect().then(()=>c.query('SELECT 1')).then(()=>c.end()).then(()=>process.exit(0),(e)=>{console.error(e.message);process.exit(1)})`,
      url,
    ],
    { encoding: 'utf8', timeout: 15_000, cwd: REPO_ROOT },
  );
  if (probe.status !== 0)
    reason = `no PostgreSQL server at ${u.host} for user ${u.username} (${(probe.stderr || String(probe.error ?? '')).trim().split('\n')[0]})`;
  return { ...labCheck('PostgreSQL lab', reason, ENABLE_HINT), url };
}

export interface FreshDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new, empty database on the lab server for one test run; `drop()` removes it. */
export async function freshDatabase(labUrlText: string, label: string): Promise<FreshDatabase> {
  const { Pool } = await loadPg();
  const name = `sscard_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Pool({ connectionString: labUrlText, max: 1 });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(labUrlText);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new Pool({ connectionString: labUrlText, max: 1 });
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
