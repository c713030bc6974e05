import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { CardEndpoint } from '../../../src/apdu/index.js';
import { connectToVpcd, type VpcdConnection } from '../../../src/bridge/index.js';
import { saveCardImage, type SimulatedCard } from '../../../src/card-sim/index.js';
import { loadSmartcard } from '../../../src/terminal/pcsc/index.js';
import {
  CARD_HOST,
  REPO_ROOT,
  acquireReaderSlot,
  pcscLab,
  runPyscard,
  type PcscLabCheck,
  type ReaderSlot,
} from '../../pcsc/lab.js';

/*
 * What the PC/SC suites share: hold a vpcd slot for a suite, put a card into it (in this process
 * through the bridge, or as an `sscard sim serve` child process), and wait until pcscd reports
 * the reader's state. Also the reader rig the transport contract suite drives, here on the lab
 * (vpcdReaderRig) and in fake-backend.ts on PC/SC in memory.
 */

/** A card the rig put into its reader. */
export interface InsertedCard {
  /** Pulls the card out and returns at once: pcscd notices a moment later. */
  pull(): Promise<void>;
  /** Pulls the card out and waits until pcscd shows the reader empty. */
  remove(): Promise<void>;
}

/** A card whose process can be stopped and killed. */
export interface KillableCard {
  /** From now on the card takes commands and never answers them. */
  freeze(): void;
  /** The card dies, with whatever command it holds. */
  kill(): void;
}

/**
 * What the PC/SC transport contract suite (transport-suite.ts) drives: one reader, cards to put
 * into it, and another program using the same card.
 */
export interface ReaderRig {
  /** What PC/SC is here, for the suite's title: 'a real pcscd reader', ... */
  readonly kind: string;
  /** Whether the suite can run here; says why not. Called once, when the suite is collected. */
  available(suite: string): boolean;
  /** Before all tests. */
  setUp(): Promise<void>;
  /** After each test, once the suite closed its transports: every card out, the reader empty. */
  afterEach(): Promise<void>;
  /** After all tests. */
  tearDown(): void;
  /** The reader the suite uses (from setUp on). */
  readonly reader: string;
  /** Puts `card` into the reader; resolves once pcscd shows it. */
  insert(card: SimulatedCard): Promise<InsertedCard>;
  insertKillable(card: SimulatedCard): Promise<KillableCard>;
  /** Another program connects, resets the card and leaves; resolves with the ATR (hex) it saw after the reset. */
  resetByAnotherProgram(): Promise<string | undefined>;
}

/** Waits (bounded) until pcscd reports `reader` with (or without) a card; with a card also its ATR. */
export async function waitReader(reader: string, present: boolean, timeoutMs = 5000): Promise<Uint8Array | undefined> {
  const binding = await loadSmartcard();
  const context = new binding.Context();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = context.listReaders().find((x) => x.name === reader);
      const isPresent =
        r !== undefined && (r.state & binding.SCARD_STATE_PRESENT) !== 0 && (r.state & binding.SCARD_STATE_MUTE) === 0;
      if (isPresent === present && (!present || (r?.atr?.length ?? 0) > 0))
        return r?.atr == null ? undefined : new Uint8Array(r.atr);
      if (Date.now() >= deadline)
        throw new Error(`reader '${reader}' did not become ${present ? 'present' : 'empty'} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    context.close();
  }
}

/**
 * Registers the hooks of a suite that drives one vpcd reader: before all tests it checks the lab
 * and takes a free slot (both may be held by other PC/SC suites for a while), after each test it
 * runs `cleanup` (close bridges, stop children, ...) and waits until the reader is empty again,
 * after all it gives the slot back. Call it inside the suite's `describe`; the returned slot's
 * fields can be read from the tests on.
 */
export function useReaderSlot(lab: PcscLabCheck, cleanup: () => void | Promise<void> = () => {}): ReaderSlot {
  let held: (ReaderSlot & { release(): void }) | undefined;
  const current = (): ReaderSlot => {
    if (held === undefined) throw new Error("no vpcd reader slot is held outside the suite's tests");
    return held;
  };

  beforeAll(async () => {
    lab.assertReady();
    held = await acquireReaderSlot({ timeoutMs: 120_000 });
    await waitReader(held.reader, false, 3000);
  }, 180_000);

  afterAll(() => {
    held?.release();
    held = undefined;
  });

  afterEach(async () => {
    await cleanup();
    await waitReader(current().reader, false, 3000);
  });

  return {
    get slot() {
      return current().slot;
    },
    get port() {
      return current().port;
    },
    get reader() {
      return current().reader;
    },
  };
}

/** Inserts `card` into the slot through the bridge and waits until pcscd shows it present. */
export async function insertCard(slot: ReaderSlot, card: CardEndpoint): Promise<VpcdConnection> {
  const bridge = await connectToVpcd({
    card,
    host: CARD_HOST,
    port: slot.port,
    connectTimeoutMs: 5000,
    reconnect: false,
  });
  try {
    await bridge.waitAttached(3000);
    await waitReader(slot.reader, true);
  } catch (error) {
    await bridge.close();
    throw error;
  }
  return bridge;
}

/** Pulls the card out (closes the bridge) and waits until pcscd shows the reader empty. */
export async function removeCard(slot: ReaderSlot, bridge: VpcdConnection): Promise<void> {
  await bridge.close();
  await waitReader(slot.reader, false);
}

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by `removeTempDirs()`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sscard-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** An `sscard` command run as a child process (node + tsx, no npx in between, so signals reach it). */
export interface CliChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout has a line matching `pattern`; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | string>;
}

export function spawnCli(args: string[]): CliChild {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'cli', 'bin.ts'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of [...watchers]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const w of [...watchers]) w();
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(out)) {
            done();
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(
              new Error(
                `sscard ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${out}\n${err}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`sscard ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`),
          );
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/** Ends a child (SIGKILL after `graceMs` if it ignores `signal`) and waits for it. */
export async function stopChild(
  c: CliChild,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5000,
): Promise<number | string> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return c.exited;
  c.child.kill(signal);
  const timer = setTimeout(() => c.child.kill('SIGKILL'), graceMs);
  try {
    return await c.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The contract suite's reader on the lab: a vpcd slot, cards through the bridge or `sscard sim serve`, pyscard as the other program. */
export function vpcdReaderRig(): ReaderRig {
  let lab: PcscLabCheck | undefined;
  let held: (ReaderSlot & { release(): void }) | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];
  const current = (): ReaderSlot => {
    if (held === undefined) throw new Error("no vpcd reader slot is held outside the suite's tests");
    return held;
  };
  return {
    kind: 'a real pcscd reader',
    available(suite) {
      lab = pcscLab(suite);
      return lab.run;
    },
    async setUp() {
      lab?.assertReady();
      // Both vpcd slots may be held by other PC/SC suites for a while.
      held = await acquireReaderSlot({ timeoutMs: 120_000 });
      // A card left in this slot by an earlier run would answer instead of ours.
      await waitReader(held.reader, false, 3000);
    },
    async afterEach() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
      await waitReader(current().reader, false, 3000);
    },
    tearDown() {
      held?.release();
      held = undefined;
      removeTempDirs();
    },
    get reader() {
      return current().reader;
    },
    async insert(card) {
      const slot = current();
      const bridge = await insertCard(slot, card);
      cleanups.push(() => bridge.close());
      return { pull: () => bridge.close(), remove: () => removeCard(slot, bridge) };
    },
    async insertKillable(card) {
      const slot = current();
      const image = path.join(tempDir('pcsc-kill'), 'card.json');
      saveCardImage(image, card);
      const served = spawnCli(['sim', 'serve', '--card', image, '--vpcd', `${CARD_HOST}:${slot.port}`]);
      cleanups.push(() => stopChild(served, 'SIGKILL'));
      await served.waitFor(/card inserted/);
      await waitReader(slot.reader, true);
      return { freeze: () => served.child.kill('SIGSTOP'), kill: () => served.child.kill('SIGKILL') };
    },
    async resetByAnotherProgram() {
      const other = await runPyscard({ reader: current().reader, apdus: ['00A4000C023F00'], reconnect: 'reset' });
      if (other.error !== undefined) throw new Error(`pyscard failed: ${other.error}`);
      return other.atrAfterReconnect;
    },
  };
}
