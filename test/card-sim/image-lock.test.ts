import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe as group, expect, it } from 'vitest';
import {
  CardImageError,
  cardImageLockPath,
  closeCardImage,
  lockCardImage,
  openCardImage,
} from '../../src/card-sim/index.js';
import { UNKNOWN_HOLDER_STALE_MS } from '../../src/card-sim/image-file.js';
import { sw } from '../support/card-exchange.js';
import { expectThrowsClass } from '../support/throws.js';
import { openImageFile } from './image-fixtures.js';
import { SELECT_SSSE, saveSampleImage } from '../support/card-image.js';

const CHILD = join(import.meta.dirname, 'image-child', 'hold-image.ts');

let dir: string;
let image: string;
let lockFile: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sscard-image-lock-'));
  image = join(dir, 'card.json');
  lockFile = cardImageLockPath(image);
  saveSampleImage(image, 'zhang-wei');
});
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function lockError(fn: () => unknown): CardImageError {
  const err = expectThrowsClass(fn, CardImageError, { code: 'CARD_IMAGE_LOCKED' });
  expect(err.message.startsWith(`card image ${image}: `)).toBe(true);
  return err;
}

/** A pid that certainly ran on this host and no longer does. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.status).toBe(0);
  return r.pid as number;
}

function writeLock(fields: { pid: number; host?: string; processStarted?: string }): string {
  const text = JSON.stringify({
    pid: fields.pid,
    host: fields.host ?? hostname(),
    processStarted: fields.processStarted ?? '2024-01-01T00:00:00.000Z',
    acquired: '2024-01-01T00:00:01.000Z',
    token: 'f00d',
  });
  writeFileSync(lockFile, text);
  return text;
}

function lockHolderPid(): number {
  return (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number }).pid;
}

/** Starts the child in `mode`; resolves once it holds the image (it printed 'locked'). */
function startChild(
  mode: 'hold' | 'exit',
  ...args: string[]
): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, image, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not lock the image: ${err}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked\n')) {
        clearTimeout(timer);
        resolve({ child, exited });
      }
    });
  });
}

group('card image lock', () => {
  it('is held from open to close: the lock file names this process, and closing removes it', () => {
    const card = openCardImage(image);
    expect(lockHolderPid()).toBe(process.pid);
    closeCardImage(card);
    expect(existsSync(lockFile)).toBe(false);
    closeCardImage(card); // twice: nothing more to do
    const again = openCardImage(image);
    closeCardImage(again);
  });

  it('a closed card no longer writes the image: a change answers 6581 and the file stays as it was', () => {
    const card = openCardImage(image, { powered: true });
    expect(sw(card, SELECT_SSSE)).toBe('9000');
    closeCardImage(card);
    expect(card.powered).toBe(false);
    const before = readFileSync(image, 'utf8');
    card.powerOn();
    sw(card, SELECT_SSSE);
    expect(sw(card, '0020000003999999')).toBe('6581');
    expect(readFileSync(image, 'utf8')).toBe(before);
  });

  it('refuses a second open in the same process at once, naming it', () => {
    const card = openCardImage(image);
    try {
      const err = lockError(() => openCardImage(image));
      expect(err.message).toMatch(/already open in this process \(pid \d+\)/);
      expect(err.holder?.pid).toBe(process.pid);
    } finally {
      closeCardImage(card);
    }
  });

  it('times out on a lock held by a live process, naming the file and the holder pid; the image is untouched', async () => {
    const { child } = await startChild('hold');
    const before = readFileSync(image, 'utf8');
    const err = lockError(() => openCardImage(image, { lockTimeoutMs: 300 }));
    expect(err.message).toContain(`in use by process ${child.pid} on ${hostname()}`);
    expect(err.message).toContain(`lock file ${lockFile}`);
    expect(err.message).toContain('gave up after 300 ms');
    expect(err.holder?.pid).toBe(child.pid);
    expect(readFileSync(image, 'utf8')).toBe(before);
    // The holder is killed (no chance to clean up): its lock is stale and taken over at once.
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(existsSync(lockFile)).toBe(true);
    const card = openCardImage(image, { lockTimeoutMs: 0 });
    expect(lockHolderPid()).toBe(process.pid);
    closeCardImage(card);
  }, 60_000);

  it('takes over a lock whose process no longer runs on this host', () => {
    writeLock({ pid: deadPid() });
    const card = openCardImage(image, { lockTimeoutMs: 0 });
    expect(lockHolderPid()).toBe(process.pid);
    expect(existsSync(`${lockFile}.break`)).toBe(false);
    closeCardImage(card);
    expect(existsSync(lockFile)).toBe(false);
  });

  it("takes over a lock with this process's pid but another start time (a reused pid)", () => {
    writeLock({ pid: process.pid, processStarted: '2001-01-01T00:00:00.000Z' });
    const card = openCardImage(image, { lockTimeoutMs: 0 });
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).processStarted).not.toBe('2001-01-01T00:00:00.000Z');
    closeCardImage(card);
  });

  it('never judges a lock of another host stale, and reports an unreadable lock file', () => {
    const text = writeLock({ pid: deadPid(), host: 'some-other-host.invalid' });
    expect(lockError(() => openCardImage(image, { lockTimeoutMs: 50 })).message).toContain(
      'on some-other-host.invalid',
    );
    expect(readFileSync(lockFile, 'utf8')).toBe(text);
    writeFileSync(lockFile, '');
    expect(lockError(() => openCardImage(image, { lockTimeoutMs: 50 })).message).toMatch(
      /lock file .* cannot be understood/,
    );
  });

  it('lockCardImage alone guards writers that do not open the card (the file need not exist)', () => {
    const fresh = join(dir, 'new.json');
    const lock = lockCardImage(fresh);
    expect(lock.lockPath).toBe(`${fresh}.lock`);
    expect(existsSync(lock.lockPath)).toBe(true);
    lock.release();
    expect(existsSync(lock.lockPath)).toBe(false);
    expect(() => lockCardImage(join(dir, 'no-such-dir', 'c.json'))).toThrow(/cannot create the lock file/);
    expectThrowsClass(() => openCardImage(join(dir, 'no-such-dir', 'c.json')), CardImageError, {
      code: 'CARD_IMAGE_NOT_FOUND',
    });
  });

  it('is released when the process ends without closing the card', async () => {
    const { exited } = await startChild('exit');
    expect(await exited).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
  }, 60_000);

  it('lets one process at a time in, also when they start on a stale lock', async () => {
    writeLock({ pid: deadPid() });
    const log = join(dir, 'turns.log');
    writeFileSync(log, '');
    const runs = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'turn', image, log], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<string>((resolve) => child.on('exit', (code) => resolve(`${String(code)} ${err}`)));
    });
    expect(await Promise.all(runs)).toEqual(['0 ', '0 ', '0 ', '0 ']);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4 * 20 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      const enter = /^enter (\d+)$/.exec(lines[i] as string);
      expect(enter, `line ${i + 1}: ${lines[i]}`).not.toBeNull();
      expect(lines[i + 1]).toBe(`leave ${enter?.[1]}`);
    }
    // The turns really interleaved between processes (not one process after the other only).
    const order = lines.filter((l) => l.startsWith('enter')).map((l) => l.slice(6));
    expect(order.filter((pid, i) => i > 0 && pid !== order[i - 1]).length).toBeGreaterThan(3);
    expect(existsSync(lockFile)).toBe(false);
  }, 120_000);
  it('an image reached through a symbolic link: the lock and every save go to the real file, the link stays a link', () => {
    const link = join(dir, 'link.json');
    symlinkSync(image, link);
    const card = openCardImage(link, { powered: true });
    expect(existsSync(`${image}.lock`)).toBe(true);
    expect(existsSync(`${link}.lock`)).toBe(false);
    // The other name of the same image is locked too.
    expect(lockError(() => openCardImage(image)).message).toMatch(/already open in this process/);
    sw(card, SELECT_SSSE);
    expect(sw(card, '0020000003999999')).toBe('63C2');
    closeCardImage(card);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(openImageFile(image).state).toEqual(openImageFile(link).state);
    expect(
      (openImageFile(image).state.mf.children[0] as { pins: { record: { triesLeft: number } }[] }).pins[0]?.record
        .triesLeft,
    ).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['card.json', 'link.json']);
  });

  it('two names through a linked directory, and a chain of links, meet at one lock', () => {
    const sub = join(dir, 'real');
    mkdirSync(sub);
    const inner = join(sub, 'card.json');
    saveSampleImage(inner, 'li-xiuying');
    symlinkSync(sub, join(dir, 'alias'));
    symlinkSync(join('alias', 'card.json'), join(dir, 'first.json'));
    symlinkSync('first.json', join(dir, 'second.json'));
    expect(cardImageLockPath(join(dir, 'alias', 'card.json'))).toBe(`${inner}.lock`);
    expect(cardImageLockPath(join(dir, 'second.json'))).toBe(`${inner}.lock`);
    const card = openCardImage(join(dir, 'second.json'));
    try {
      expect(() => lockCardImage(join(dir, 'alias', 'card.json'), { lockTimeoutMs: 0 })).toThrow(
        expect.objectContaining({ code: 'CARD_IMAGE_LOCKED', path: join(dir, 'alias', 'card.json') }),
      );
    } finally {
      closeCardImage(card);
    }
    // A link to an image that does not exist yet: the new image is created where the link points.
    symlinkSync(join(dir, 'later.json'), join(dir, 'to-later.json'));
    saveSampleImage(join(dir, 'to-later.json'), 'zhang-wei');
    expect(lstatSync(join(dir, 'to-later.json')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'later.json')).isFile()).toBe(true);
  });

  it("removes what killed writers left: their lock temporaries, a dead guard, a save's temporary", () => {
    const dead = deadPid();
    const holder = (pid: number) =>
      JSON.stringify({
        pid,
        host: hostname(),
        processStarted: '2024-01-01T00:00:00.000Z',
        acquired: '2024-01-01T00:00:01.000Z',
        token: 'ab',
      });
    const old = new Date(Date.now() - 2 * UNKNOWN_HOLDER_STALE_MS);
    writeFileSync(`${lockFile}.${dead}.0badf00d.new`, holder(dead));
    writeFileSync(`${lockFile}.break.${dead}.1badf00d.new`, holder(dead));
    writeFileSync(`${lockFile}.${dead}.2badf00d.new`, '');
    utimesSync(`${lockFile}.${dead}.2badf00d.new`, old, old);
    writeFileSync(join(dir, `.card.json.${dead}.3badf00d.tmp`), 'half a save');
    // Killed between creating and filling it, a moment ago: empty, but its name says whose it was.
    writeFileSync(`${lockFile}.${dead}.5badf00d.new`, '');
    // Not a dead writer's: a temporary of a live process, and an empty one of a live pid (another
    // host's writer, about to fill it) younger than the limit.
    writeFileSync(
      `${lockFile}.${process.pid}.4badf00d.new`,
      JSON.stringify({
        ...JSON.parse(holder(process.pid)),
        processStarted: new Date(Date.now() - process.uptime() * 1000).toISOString(),
      }),
    );
    writeFileSync(`${lockFile}.${process.ppid}.6badf00d.new`, '');
    closeCardImage(openCardImage(image, { lockTimeoutMs: 0 }));
    expect(readdirSync(dir).sort()).toEqual(
      ['card.json', `card.json.lock.${process.pid}.4badf00d.new`, `card.json.lock.${process.ppid}.6badf00d.new`].sort(),
    );
  });

  it('never waits on a dead holder: a stale lock beside an unreadable guard, an empty lock, once they are old', () => {
    writeLock({ pid: deadPid() });
    writeFileSync(`${lockFile}.break`, '');
    const old = new Date(Date.now() - 2 * UNKNOWN_HOLDER_STALE_MS);
    utimesSync(`${lockFile}.break`, old, old);
    const started = Date.now();
    closeCardImage(openCardImage(image, { lockTimeoutMs: 0 }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(readdirSync(dir)).toEqual(['card.json']);
    // A guard nobody can read, beside a stale lock.
    writeLock({ pid: deadPid() });
    writeFileSync(`${lockFile}.break`, 'not a lock at all');
    utimesSync(`${lockFile}.break`, old, old);
    closeCardImage(openCardImage(image, { lockTimeoutMs: 0 }));
    // An empty (or unintelligible) lock: a writer killed between creating and filling it.
    writeFileSync(lockFile, '');
    expect(lockError(() => openCardImage(image, { lockTimeoutMs: 0 })).message).toMatch(/cannot be understood/);
    utimesSync(lockFile, old, old);
    closeCardImage(openCardImage(image, { lockTimeoutMs: 0 }));
    expect(readdirSync(dir)).toEqual(['card.json']);
  });
});
