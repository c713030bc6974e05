import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SscardError } from '../../apdu/index.js';
import {
  PCSC_BINDING_VERSIONS,
  listReaders,
  loadPcsclite,
  loadSmartcard,
  resolvePcscBackend,
} from '../../terminal/pcsc/index.js';
import type { PcscBackendSetting, PcscBindingName } from '../../terminal/pcsc/index.js';
import { colors, printLine } from '../output.js';

/*
 * `sscard doctor`: what PC/SC use needs, checked one by one, each with the exact fix. The native
 * bindings are optional dependencies, so an `npm ci` that ran before libpcsclite-dev was installed
 * drops them without a word; this is where that shows up before a reader command fails.
 *
 * The probes (gatherFacts) only look; diagnose() turns what they saw into verdicts, so the verdicts
 * are tested on made-up machines as well as on this one.
 */

/** Node version the package's engines field asks for. */
const NODE_MIN: readonly [number, number] = [20, 19];
/** Where Debian's libpcsclite-dev puts the header both bindings compile against. */
const PCSC_HEADER = '/usr/include/PCSC/winscard.h';
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
/** The lab's card address, whose route carries quickack (scripts/pcsc-lab, README "Why the route"). */
const CARD_ADDR = '127.0.0.2';
const ROUTE_COMMAND = `ip route replace local ${CARD_ADDR}/32 dev lo table local proto static scope host src 127.0.0.1 quickack 1`;

export interface BindingFacts {
  name: PcscBindingName;
  /** Version of the installed package, null when it is not installed at all. */
  version: string | null;
  loaded: boolean;
  /** Why it did not load (first line of the loader's error). */
  error: string | null;
}

export interface DoctorFacts {
  platform: NodeJS.Platform;
  /** process.versions.node, e.g. '20.19.0'. */
  node: string;
  /** The PC/SC backend reader commands use (and how it was chosen), or why none could be (a bad SSCARD_PCSC_BACKEND). */
  backend: { name: string; how: string; reason: string } | { error: string };
  bindings: BindingFacts[];
  /** What a binding's node-gyp build needs: the PC/SC header, a C++ compiler, make, python3. */
  build: { pcscHeader: boolean; compiler: boolean; make: boolean; python: boolean };
  /** null where there is no pcscd to look for (not Linux). */
  pcscd: { running: boolean; pid: number | null; socket: boolean } | null;
  /** Reader names (with card presence), or why they could not be listed; null when not tried. */
  readers: { list: { name: string; cardPresent: boolean }[] } | { error: string } | null;
  /** The quickack route: null when `ip` is not there to ask. */
  route: { quickack: boolean } | null;
}

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  id: 'node' | 'backend' | PcscBindingName | 'pcscd' | 'readers' | 'route';
  status: CheckStatus;
  summary: string;
  /** Commands that fix it, in order. */
  fix?: string[];
}

export interface DoctorReport {
  /** False when something PC/SC use needs is missing (the command then exits 1). */
  ok: boolean;
  checks: DoctorCheck[];
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0] as string;
}

/** The loader error's own cause says why; the SDK's wrapper only adds how to install. */
function loadError(error: unknown): string {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return firstLine(cause);
}

function onPath(command: string): boolean {
  const dirs = (process.env['PATH'] ?? '').split(':').filter((d) => d !== '');
  return dirs.some((d) => existsSync(join(d, command)));
}

/** The installed binding's version, found from where the SDK itself imports it. */
function installedVersion(name: string): string | null {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return null;
  }
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not this directory's package.json; keep going up.
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

async function bindingFacts(name: PcscBindingName): Promise<BindingFacts> {
  const version = installedVersion(name);
  try {
    await (name === 'smartcard' ? loadSmartcard() : loadPcsclite());
    return { name, version, loaded: true, error: null };
  } catch (error) {
    return { name, version, loaded: false, error: loadError(error) };
  }
}

function pcscdPid(): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'pcscd') return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return null;
}

function routeFacts(): DoctorFacts['route'] {
  const r = spawnSync('ip', ['route', 'show', 'table', 'local', `${CARD_ADDR}/32`], {
    encoding: 'utf8',
    timeout: 5000,
  });
  if (r.error !== undefined || r.status !== 0) return null;
  return { quickack: /\bquickack 1\b/.test(r.stdout) };
}

async function backendFacts(setting: PcscBackendSetting | undefined): Promise<DoctorFacts['backend']> {
  try {
    const { name, how, reason } = await resolvePcscBackend(setting);
    return { name, how, reason };
  } catch (error) {
    return { error: firstLine(error) };
  }
}

/** Looks at this machine; changes nothing. `backend`: the one `--backend` named, else the default. */
export async function gatherFacts(opts: { backend?: PcscBackendSetting } = {}): Promise<DoctorFacts> {
  const backend = await backendFacts(opts.backend);
  const bindings = [await bindingFacts('smartcard'), await bindingFacts('pcsclite')];
  const linux = process.platform === 'linux';
  const pid = linux ? pcscdPid() : null;
  const pcscd = linux
    ? { running: pid !== null, pid, socket: existsSync(process.env['PCSCLITE_CSOCK_NAME'] ?? PCSCD_SOCKET) }
    : null;
  let readers: DoctorFacts['readers'] = null;
  const listable =
    'name' in backend && (backend.name === 'pcscd-socket' || bindings[0]?.loaded === true) && pcscd?.running !== false;
  if (listable) {
    try {
      const list = await listReaders({ backend: backend.name as PcscBackendSetting });
      readers = { list: list.map((r) => ({ name: r.name, cardPresent: r.cardPresent })) };
    } catch (error) {
      readers = { error: firstLine(error) };
    }
  }
  return {
    platform: process.platform,
    node: process.versions.node,
    backend,
    bindings,
    build: {
      pcscHeader: existsSync(PCSC_HEADER),
      compiler: onPath('c++') || onPath('g++'),
      make: onPath('make'),
      python: onPath('python3'),
    },
    pcscd,
    readers,
    route: linux ? routeFacts() : null,
  };
}

function nodeCheck(version: string): DoctorCheck {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const good = major > NODE_MIN[0] || (major === NODE_MIN[0] && minor >= NODE_MIN[1]);
  const min = NODE_MIN.join('.');
  return good
    ? { id: 'node', status: 'ok', summary: `v${version} (sscard needs ${min} or newer)` }
    : {
        id: 'node',
        status: 'fail',
        summary: `v${version} is older than ${min}, which sscard needs`,
        fix: [`install Node.js ${min} or newer`],
      };
}

/** The backend reader commands run on: what the facts say, else the fallback, the smartcard binding. */
function backendInUse(facts: DoctorFacts): string {
  return 'name' in facts.backend ? facts.backend.name : 'smartcard';
}

function backendCheck(facts: DoctorFacts): DoctorCheck {
  const b = facts.backend;
  if ('error' in b) return { id: 'backend', status: 'fail', summary: b.error };
  const how = b.how === 'auto' ? 'chosen' : b.how === 'env' ? 'forced' : 'named';
  return { id: 'backend', status: 'ok', summary: `${b.name} (${how}: ${b.reason})` };
}

function bindingCheck(b: BindingFacts, facts: DoctorFacts): DoctorCheck {
  // Reader commands and the SDK's default transport use the backend in use: pcscd's socket needs
  // no binding, and where it is not used the smartcard binding is the fallback. pcsclite is there
  // for applications built on it, so without it nothing of sscard's own stops working.
  const used = backendInUse(facts);
  const needed = b.name === used || (b.name === 'smartcard' && used !== 'pcscd-socket' && used !== 'pcsclite');
  if (b.loaded) return { id: b.name, status: 'ok', summary: `${b.version ?? '?'} loaded` };
  const missing: string[] = [];
  if (!facts.build.pcscHeader) missing.push('libpcsclite-dev');
  if (!facts.build.compiler || !facts.build.make) missing.push('build-essential');
  if (!facts.build.python) missing.push('python3');
  const apt = missing.length > 0 && facts.platform === 'linux' ? [`sudo apt-get install -y ${missing.join(' ')}`] : [];
  const pinned = `${b.name}@${PCSC_BINDING_VERSIONS[b.name]}`;
  const rebuild = b.version === null ? `npm install ${pinned}` : `npm rebuild ${b.name}`;
  const why =
    b.version === null ? 'not installed' : `installed (${b.version}) but not loadable: ${b.error ?? 'unknown error'}`;
  const headers = facts.build.pcscHeader ? '' : ` (no ${PCSC_HEADER}: it was built without libpcsclite-dev)`;
  return {
    id: b.name,
    status: needed ? 'fail' : 'warn',
    summary: `${why}${b.version === null ? '' : headers}${needed ? '' : b.name === 'pcsclite' ? '; only needed by programs that use pcsclite themselves' : `; not needed while the ${used} backend is in use`}`,
    fix: [...apt, rebuild],
  };
}

/** Verdicts on what gatherFacts saw: one check per line of `sscard doctor`. */
export function diagnose(facts: DoctorFacts): DoctorReport {
  const checks: DoctorCheck[] = [
    nodeCheck(facts.node),
    backendCheck(facts),
    ...facts.bindings.map((b) => bindingCheck(b, facts)),
  ];
  const p = facts.pcscd;
  if (p === null) {
    checks.push({
      id: 'pcscd',
      status: 'skip',
      summary: `not Linux (${facts.platform}): the system's own PC/SC service is used`,
    });
  } else if (p.running) {
    checks.push({
      id: 'pcscd',
      status: 'ok',
      summary: `running (pid ${p.pid ?? '?'})${p.socket ? '' : `, but ${PCSCD_SOCKET} is missing`}`,
    });
  } else {
    checks.push({
      id: 'pcscd',
      status: 'fail',
      summary: 'not running: no program can reach a reader',
      fix: [
        'sudo apt-get install -y pcscd libccid',
        'sudo pcscd   (or: systemctl start pcscd; in an sscard checkout: scripts/pcsc-lab up)',
      ],
    });
  }
  const r = facts.readers;
  if (r === null) {
    checks.push({
      id: 'readers',
      status: 'skip',
      summary: `not listed: needs a running pcscd and the ${backendInUse(facts)} backend`,
    });
  } else if ('error' in r) {
    checks.push({ id: 'readers', status: 'fail', summary: `cannot be listed: ${r.error}` });
  } else if (r.list.length === 0) {
    checks.push({
      id: 'readers',
      status: 'warn',
      summary: 'none: plug a reader in (pcscd without udev sees only readers present when it started)',
      fix: [
        'restart pcscd after plugging the reader in',
        'for simulated cards: apt-get install vsmartcard-vpcd, then restart pcscd',
      ],
    });
  } else {
    const list = r.list.map((x, i) => `${i} '${x.name}'${x.cardPresent ? ' (card)' : ''}`).join(', ');
    checks.push({ id: 'readers', status: 'ok', summary: `${r.list.length}: ${list}` });
  }
  if (facts.route === null) {
    checks.push({
      id: 'route',
      status: 'skip',
      summary: `not checked (${facts.platform === 'linux' ? 'no ip command' : 'not Linux'})`,
    });
  } else if (facts.route.quickack) {
    checks.push({
      id: 'route',
      status: 'ok',
      summary: `${CARD_ADDR}/32 quickack 1: a simulated card's APDU takes well under a millisecond`,
    });
  } else {
    checks.push({
      id: 'route',
      status: 'warn',
      summary: `no quickack route for ${CARD_ADDR}: each APDU to a simulated card (sim serve) waits ~44 ms; real readers are not affected`,
      fix: [`sudo ${ROUTE_COMMAND}   (or, in an sscard checkout: scripts/pcsc-lab up)`],
    });
  }
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

function printReport(report: DoctorReport): void {
  const c = colors();
  const tag: Record<CheckStatus, string> = {
    ok: c.green('ok  '),
    warn: c.yellow('warn'),
    fail: c.red('FAIL'),
    skip: c.dim('skip'),
  };
  for (const check of report.checks) {
    printLine(`${tag[check.status]}  ${check.id.padEnd(10)} ${check.summary}`);
    for (const [i, step] of (check.fix ?? []).entries())
      printLine(`      ${''.padEnd(10)} ${i === 0 ? 'fix:' : '    '} ${step}`);
  }
  if (report.ok) printLine(c.green('PC/SC: ready'));
}

/** `sscard doctor`: the checks, printed; an error (exit 1) when something PC/SC needs is missing. */
export async function doctor(opts: { json?: boolean; backend?: PcscBackendSetting }): Promise<void> {
  const report = diagnose(await gatherFacts(opts.backend === undefined ? {} : { backend: opts.backend }));
  if (opts.json === true) printLine(JSON.stringify(report, null, 2));
  else printReport(report);
  if (!report.ok) {
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    throw new SscardError(
      'PCSC_NOT_READY',
      `PC/SC is not ready: ${failed.join(', ')} (fixes ${opts.json === true ? 'in the report' : 'above'})`,
    );
  }
}
