import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeEach, describe as group, expect, it, vi } from 'vitest';
import { ImageKey, ImageKeyError, imageKeyFile, resolveImageKey } from '../../src/card-sim/index.js';
import { tempDirPerTest } from '../support/temp-dir.js';
import { expectThrowsClass } from '../support/throws.js';

// Creating the key file where hard links fail: a file system without them (EPERM, ENOTSUP,
// EOPNOTSUPP, ENOSYS) falls back to an exclusive create; another process that made its key first
// wins either way; any other failure is IMAGE_KEY_UNAVAILABLE. The link is the one call replaced.

const link = vi.hoisted(() => ({
  fail: undefined as undefined | ((path: string) => void),
  createFails: undefined as undefined | string,
}));
function failing(code: string): never {
  throw Object.assign(new Error(`failed: ${code}`), { code });
}

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    linkSync: (existing: string, path: string) => {
      if (link.fail !== undefined) link.fail(path);
      else fs.linkSync(existing, path);
    },
    openSync: (path: string, flags: string, mode?: number) => {
      // Only the key file itself: its temporary copy (….new) is written as usual.
      if (flags === 'wx' && !path.endsWith('.new') && link.createFails !== undefined) failing(link.createFails);
      return fs.openSync(path, flags, mode);
    },
  };
});

const tmp = tempDirPerTest('sscard-key-links-');
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  env = { XDG_CONFIG_HOME: join(tmp.path, 'config') };
  link.fail = undefined;
  link.createFails = undefined;
});

const THEIRS = 'c3'.repeat(32);
const theirId = new ImageKey(new Uint8Array(Buffer.from(THEIRS, 'hex'))).id;

/** Another process writes its key file just before our link. */
function writtenMeanwhile(path: string): void {
  writeFileSync(path, `${THEIRS}\n`, { mode: 0o600 });
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function filesBesideKey(): string[] {
  return readdirSync(dirname(imageKeyFile(env))).sort();
}

/** Creating the key fails with IMAGE_KEY_UNAVAILABLE; its message. */
function unavailableMessage(): string {
  const err = expectThrowsClass(() => resolveImageKey({ env, create: true }), ImageKeyError, {
    code: 'IMAGE_KEY_UNAVAILABLE',
  });
  return err.message;
}

group('creating the key file without hard links', () => {
  for (const code of ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']) {
    it(`${code} from the link: the key file is created directly, owner-only, with a fresh key`, () => {
      link.fail = () => failing(code);
      const fds = openFds();
      const key = resolveImageKey({ env, create: true });
      expect(openFds()).toBe(fds);
      const file = imageKeyFile(env);
      expect(key?.source).toBe(file);
      expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(filesBesideKey()).toEqual(['image.key']);
      expect(resolveImageKey({ env })?.id).toBe(key?.id);
    });
  }

  it('a key file another process created first is used, with or without links', () => {
    link.fail = (path) => {
      writtenMeanwhile(path);
      failing('EEXIST');
    };
    expect(resolveImageKey({ env, create: true })?.id).toBe(theirId);
    expect(filesBesideKey()).toEqual(['image.key']);
  });

  it('without links, a key file another process created first is used too', () => {
    link.fail = (path) => {
      writtenMeanwhile(path);
      failing('EPERM');
    };
    expect(resolveImageKey({ env, create: true })?.id).toBe(theirId);
    expect(readFileSync(imageKeyFile(env), 'utf8')).toBe(`${THEIRS}\n`);
    expect(filesBesideKey()).toEqual(['image.key']);
  });

  it('any other failure of the link is IMAGE_KEY_UNAVAILABLE, and leaves nothing behind', () => {
    link.fail = () => failing('EACCES');
    expect(unavailableMessage()).toBe(`image key file ${imageKeyFile(env)} cannot be used (EACCES)`);
    expect(filesBesideKey()).toEqual([]);
  });

  it('without links, a key file that cannot be created is IMAGE_KEY_UNAVAILABLE', () => {
    link.fail = () => failing('ENOTSUP');
    link.createFails = 'EROFS';
    expect(unavailableMessage()).toBe(`image key file ${imageKeyFile(env)} cannot be used (EROFS)`);
    expect(filesBesideKey()).toEqual([]);
  });

  it('a key file that vanishes as it is created is IMAGE_KEY_UNAVAILABLE, not "no key"', () => {
    // Another process "won" the link and removed its file at once.
    link.fail = () => failing('EEXIST');
    expect(unavailableMessage()).toBe(`image key file ${imageKeyFile(env)} vanished as it was created`);
  });
});
