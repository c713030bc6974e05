import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe as group, expect, it } from 'vitest';
import { ImageKey, ImageKeyError, imageKeyFile, resolveImageKey } from '../../src/card-sim/index.js';
import { tempDirPerTest } from '../support/temp-dir.js';
import { expectThrowsClass } from '../support/throws.js';

// The image key where a stale or wrong key would go unnoticed: a key changed since it was last
// read (environment or file) must be the one used, an empty variable is no key, and a key file
// that cannot be read is an error naming why rather than "no key".

const tmp = tempDirPerTest('sscard-key-edges-');
let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = tmp.path;
  env = { XDG_CONFIG_HOME: join(dir, 'config') };
});

const KEY_A = 'a1'.repeat(32);
const KEY_B = 'B2'.repeat(32);
const idOf = (hex: string): string => new ImageKey(new Uint8Array(Buffer.from(hex, 'hex'))).id;

function keyFileWith(text: string, mode = 0o600): string {
  const file = imageKeyFile(env);
  mkdirSync(join(dir, 'config', 'sscard'), { recursive: true, mode: 0o700 });
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
  return file;
}

group('a key that changed since it was read', () => {
  it('SSCARD_IMAGE_KEY: each call uses the value it is given (upper-case hex too)', () => {
    expect(resolveImageKey({ env: { SSCARD_IMAGE_KEY: KEY_A } })?.id).toBe(idOf(KEY_A));
    expect(resolveImageKey({ env: { SSCARD_IMAGE_KEY: KEY_B } })?.id).toBe(idOf(KEY_B));
    expect(resolveImageKey({ env: { SSCARD_IMAGE_KEY: KEY_A } })?.id).toBe(idOf(KEY_A));
    expect(idOf(KEY_A)).not.toBe(idOf(KEY_B));
  });

  it('the key file: a rewritten file is read again', () => {
    const file = keyFileWith(`${KEY_A}\n`);
    expect(resolveImageKey({ env })).toMatchObject({ id: idOf(KEY_A), source: file });
    rmSync(file);
    keyFileWith(`${KEY_B}\n`);
    expect(resolveImageKey({ env })?.id).toBe(idOf(KEY_B));
  });

  it('a key file with blanks around the digits is read', () => {
    keyFileWith(`  ${KEY_B}  \n\n`);
    expect(resolveImageKey({ env })?.id).toBe(idOf(KEY_B));
  });
});

group('no key and unusable keys', () => {
  it('an empty SSCARD_IMAGE_KEY is no key: the key file decides', () => {
    expect(resolveImageKey({ env: { ...env, SSCARD_IMAGE_KEY: '' } })).toBeUndefined();
    keyFileWith(`${KEY_A}\n`);
    expect(resolveImageKey({ env: { ...env, SSCARD_IMAGE_KEY: '' } })?.id).toBe(idOf(KEY_A));
  });

  it('an empty XDG_CONFIG_HOME means ~/.config', () => {
    expect(imageKeyFile({ XDG_CONFIG_HOME: '' })).toBe(join(homedir(), '.config', 'sscard', 'image.key'));
  });

  it('a key file that stays empty is refused as malformed once the wait for its writer is over', () => {
    const file = keyFileWith('');
    const started = Date.now();
    expectThrowsClass(() => resolveImageKey({ env }), ImageKeyError, {
      message: `image key file ${file} is not 64 hex digits`,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('a key file the group may read is refused', () => {
    const file = keyFileWith(`${KEY_A}\n`, 0o640);
    expectThrowsClass(() => resolveImageKey({ env }), ImageKeyError, {
      message: `can be read or written by other users (mode 640)`,
    });
    chmodSync(file, 0o602);
    expectThrowsClass(() => resolveImageKey({ env }), ImageKeyError, { message: `(mode 602)` });
  });

  it('a key path that cannot be looked at is IMAGE_KEY_UNAVAILABLE, not "no key"', () => {
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'sscard'), '');
    const err = expectThrowsClass(() => resolveImageKey({ env }), ImageKeyError, { code: 'IMAGE_KEY_UNAVAILABLE' });
    expect(err.message).toBe(`image key file ${imageKeyFile(env)} cannot be used (ENOTDIR)`);
  });

  it('a key file that cannot be read is IMAGE_KEY_UNAVAILABLE', () => {
    mkdirSync(imageKeyFile(env), { recursive: true, mode: 0o700 });
    chmodSync(imageKeyFile(env), 0o700);
    const err = expectThrowsClass(() => resolveImageKey({ env }), ImageKeyError, { code: 'IMAGE_KEY_UNAVAILABLE' });
    expect(err.message).toBe(`image key file ${imageKeyFile(env)} cannot be used (EISDIR)`);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
  });
});

group('a key read once', () => {
  it('is derived once per value of SSCARD_IMAGE_KEY and used again while the value stays', () => {
    const first = resolveImageKey({ env: { SSCARD_IMAGE_KEY: KEY_B } });
    expect(resolveImageKey({ env: { SSCARD_IMAGE_KEY: KEY_B } })).toBe(first);
    expect(resolveImageKey({ env: { SSCARD_IMAGE_KEY: KEY_A } })).not.toBe(first);
  });

  it('is read once from a key file and used again while the file stays the same', () => {
    keyFileWith(`${KEY_A}\n`);
    const first = resolveImageKey({ env });
    expect(first?.id).toBe(idOf(KEY_A));
    expect(resolveImageKey({ env })).toBe(first);
    expect(resolveImageKey({ env, create: true })).toBe(first);
  });
});

group('ImageKey of given bytes', () => {
  it('says it was given, and refuses anything but 32 bytes in a Uint8Array', () => {
    expect(new ImageKey(new Uint8Array(32)).source).toBe('given');
    const notBytes = Array.from({ length: 32 }, () => 1) as unknown as Uint8Array;
    expectThrowsClass(() => new ImageKey(notBytes), ImageKeyError, { message: 'an image key is 32 bytes' });
    expectThrowsClass(() => new ImageKey(new Uint8Array(33)), ImageKeyError, { message: 'an image key is 32 bytes' });
    expectThrowsClass(() => new ImageKey(new Uint8Array(31)), ImageKeyError, { code: 'IMAGE_KEY_INVALID' });
  });
});
