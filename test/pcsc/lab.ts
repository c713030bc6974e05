import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exclusiveCreate } from '../../src/files/index.js';
import { labCheck, type LabCheck } from '../support/lab-check.js';

/*
 * The real PC/SC lab for PC/SC suites: pcscd with the vsmartcard vpcd driver (two readers,
 * "Virtual PCD 00 00" on TCP 35963 and "Virtual PCD 00 01" on 35964), started by
 * `scripts/pcsc-lab up`. A suite calls `pcscLab()` once at collection time:
 *   - lab ready              -> the suite runs;
 *   - lab missing, CI=true   -> the suite runs and fails in beforeAll with the reason;
 *   - lab missing, otherwise -> the suite is skipped, with one line telling how to enable it.
 * SSCARD_PCSC_LAB=up makes the check run `scripts/pcsc-lab up` first (root; it stays up until
 * `scripts/pcsc-lab down`).
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const LAB_SCRIPT = path.join(REPO_ROOT, 'scripts', 'pcsc-lab');
/** Debian's python: plain `python3` may be a pyenv one that does not see python3-pyscard. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
export const PYSCARD_CLIENT = path.join(here, 'pyscard-client.py');

/** The card address with the quickack route (see scripts/pcsc-lab). */
export const CARD_HOST = '127.0.0.2';

export interface ReaderSlot {
  slot: number;
  port: number;
  /** PC/SC reader name, e.g. 'Virtual PCD 00 00'. */
  reader: string;
}

export const VPCD_SLOTS: readonly ReaderSlot[] = [
  { slot: 0, port: 35963, reader: 'Virtual PCD 00 00' },
  { slot: 1, port: 35964, reader: 'Virtual PCD 00 01' },
];

export interface PcscLabCheck extends LabCheck {
  readers: string[];
  /** Whether 127.0.0.2 has the quickack route (without it every APDU takes ~44 ms). */
  quickack: boolean;
}

const ENABLE_HINT = 'enable with: scripts/pcsc-lab up (root; installs pcscd + vsmartcard-vpcd, starts pcscd)';

let cached: PcscLabCheck | undefined;

/** Checks (once per worker) whether pcscd, the vpcd readers, pyscard and opensc-tool are usable. */
export function pcscLab(suite = 'PC/SC suite'): PcscLabCheck {
  if (cached === undefined) cached = checkLab();
  const check = cached;
  if (!check.run) {
    console.log(`${suite} skipped: ${check.reason}; ${ENABLE_HINT}`);
  }
  return check;
}

function checkLab(): PcscLabCheck {
  if (process.env.SSCARD_PCSC_LAB === 'up') {
    const r = spawnSync(LAB_SCRIPT, ['up'], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) {
      return result(`scripts/pcsc-lab up failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`, [], false);
    }
  }
  const readers = listReaders();
  const quickack = hasQuickackRoute();
  if (readers === undefined) return result('pcsc_scan is not installed', [], quickack);
  if (!readers.includes(VPCD_SLOTS[0]!.reader)) {
    return result(
      `no '${VPCD_SLOTS[0]!.reader}' reader (pcscd not running or without vpcd; readers: ${readers.join(', ') || 'none'})`,
      readers,
      quickack,
    );
  }
  if (
    !fs.existsSync(SYSTEM_PYTHON) ||
    spawnSync(SYSTEM_PYTHON, ['-c', 'import smartcard.scard'], { timeout: 10_000 }).status !== 0
  ) {
    return result(`${SYSTEM_PYTHON} cannot import pyscard (python3-pyscard missing)`, readers, quickack);
  }
  // Only whether it is there: opensc-tool may wait on pcscd while other workers hold every vpcd
  // slot, and a slow answer is no reason to report it missing (each run of it is bounded).
  const opensc = spawnSync('opensc-tool', ['--version'], { timeout: 10_000 }).error as
    NodeJS.ErrnoException | undefined;
  if (opensc?.code === 'ENOENT') return result('opensc-tool is not installed', readers, quickack);
  if (opensc !== undefined && opensc.code !== 'ETIMEDOUT') {
    return result(`opensc-tool cannot be run: ${opensc.message}`, readers, quickack);
  }
  return result('', readers, quickack);
}

function result(reason: string, readers: string[], quickack: boolean): PcscLabCheck {
  return { ...labCheck('PC/SC lab', reason, ENABLE_HINT), readers, quickack };
}

/** Reader names from `pcsc_scan -r`, or undefined when pcsc_scan is missing. */
export function listReaders(): string[] | undefined {
  const r = spawnSync('pcsc_scan', ['-r'], { encoding: 'utf8', timeout: 5_000 });
  if (r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  return (r.stdout ?? '')
    .split('\n')
    .map((line) => /^\d+: (.*)$/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

function hasQuickackRoute(): boolean {
  const r = spawnSync('ip', ['route', 'show', 'table', 'local', `${CARD_HOST}/32`], {
    encoding: 'utf8',
    timeout: 5_000,
  });
  return r.status === 0 && /quickack 1/.test(r.stdout);
}

/**
 * Exclusive use of one vpcd reader slot across test workers and processes: a second card on a
 * busy slot would sit unserved in pcscd's backlog. Lock files hold the owner's pid; a dead
 * owner's lock is taken over. Waits at most `timeoutMs`.
 */
export async function acquireReaderSlot(opts?: {
  timeoutMs?: number;
  exclude?: number[];
}): Promise<ReaderSlot & { release(): void }> {
  const timeoutMs = opts?.timeoutMs ?? 60_000;
  const dir = path.join(os.tmpdir(), 'sscard-pcsc-slots');
  fs.mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const slot of VPCD_SLOTS) {
      if (opts?.exclude?.includes(slot.slot)) continue;
      const lock = path.join(dir, `slot-${slot.slot}.lock`);
      if (tryLock(lock)) {
        let released = false;
        return {
          ...slot,
          release() {
            if (released) return;
            released = true;
            fs.rmSync(lock, { force: true });
          },
        };
      }
    }
    if (Date.now() >= deadline) throw new Error(`no free vpcd reader slot within ${timeoutMs} ms (locks in ${dir})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tryLock(lock: string): boolean {
  if (createLock(lock)) return true;
  const owner = Number(fs.readFileSync(lock, 'utf8').trim());
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !isAlive(owner)) {
    // The owner died without releasing: take the slot over (once; a racing taker may win).
    fs.rmSync(lock, { force: true });
    return createLock(lock);
  }
  return false;
}

function createLock(lock: string): boolean {
  return exclusiveCreate(() => fs.writeFileSync(lock, String(process.pid), { flag: 'wx' }));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface PyscardResult {
  reader: string;
  atr?: string;
  protocol?: 'T=0' | 'T=1';
  connectMs?: number;
  responses?: string[];
  timing?: { n: number; medianMs: number; p99Ms: number; minMs: number; maxMs: number };
  atrAfterReconnect?: string;
  responseAfterReconnect?: string;
  state?: 'empty';
  error?: string;
  code?: string;
}

export interface PyscardRequest {
  reader: string;
  apdus?: string[];
  wait?: 'present' | 'empty';
  /** Seconds the client waits for the reader state. Default 5. */
  timeoutS?: number;
  repeat?: number;
  reconnect?: 'reset' | 'unpower';
  protocol?: 'T0' | 'T1' | 'any';
}

/**
 * Runs the pyscard client (asynchronously: the card may live in this very process) and returns
 * its JSON answer. The child is killed after `killAfterMs` (default: its own timeout + 15 s).
 */
export function runPyscard(req: PyscardRequest, killAfterMs?: number): Promise<PyscardResult> {
  const args = [PYSCARD_CLIENT, '--reader', req.reader, '--timeout', String(req.timeoutS ?? 5)];
  if (req.wait !== undefined) args.push('--wait', req.wait);
  for (const a of req.apdus ?? []) args.push('--apdu', a);
  if (req.repeat !== undefined) args.push('--repeat', String(req.repeat));
  if (req.reconnect !== undefined) args.push('--reconnect', req.reconnect);
  if (req.protocol !== undefined) args.push('--protocol', req.protocol);
  return runJson(SYSTEM_PYTHON, args, killAfterMs ?? (req.timeoutS ?? 5) * 1000 + 15_000) as Promise<PyscardResult>;
}

/** Runs `opensc-tool` asynchronously (bounded), returning exit status and output. */
export function runOpensc(
  args: string[],
  killAfterMs = 20_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runProcess('opensc-tool', args, killAfterMs);
}

async function runJson(cmd: string, args: string[], killAfterMs: number): Promise<unknown> {
  const r = await runProcess(cmd, args, killAfterMs);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${path.basename(args[0] ?? cmd)} printed no JSON (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
}

/**
 * Runs `cmd` to its end and gives its exit status and output; a run past `killAfterMs` is killed
 * and rejects with what it printed so far.
 */
export function runProcess(
  cmd: string,
  args: string[],
  killAfterMs: number,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${killAfterMs} ms:\n${stdout}\n${stderr}`));
    }, killAfterMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Index of a reader in `opensc-tool -l` order (the order pcscd lists readers). */
export function openscReaderIndex(reader: string): number {
  const readers = listReaders() ?? [];
  const i = readers.indexOf(reader);
  if (i < 0) throw new Error(`reader '${reader}' is not listed (readers: ${readers.join(', ')})`);
  return i;
}
