import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe as group, expect, it } from 'vitest';
import { ImageKey, ImageKeyError, imageKeyFile, resolveImageKey } from '../../src/card-sim/index.js';
import { tempDirPerTest } from '../support/temp-dir.js';
import { expectThrowsClass } from '../support/throws.js';

const tmp = tempDirPerTest('sscard-key-');
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  env = { XDG_CONFIG_HOME: join(tmp.path, 'config') };
});

const keyError = (fn: () => unknown): ImageKeyError => expectThrowsClass(fn, ImageKeyError);

const HEX_KEY = 'a1'.repeat(32);

group('the per-user key file', () => {
  it('lives in $XDG_CONFIG_HOME/sscard, else ~/.config/sscard (a relative XDG_CONFIG_HOME does not count)', () => {
    expect(imageKeyFile(env)).toBe(join(tmp.path, 'config', 'sscard', 'image.key'));
    expect(imageKeyFile({})).toBe(join(homedir(), '.config', 'sscard', 'image.key'));
    expect(imageKeyFile({ XDG_CONFIG_HOME: 'relative/dir' })).toBe(join(homedir(), '.config', 'sscard', 'image.key'));
  });

  it('is created only when asked, with a fresh random key, mode 0600 in a 0700 directory, and then reused', () => {
    expect(resolveImageKey({ env })).toBeUndefined();
    const key = resolveImageKey({ env, create: true });
    const file = imageKeyFile(env);
    expect(key?.source).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(tmp.path, 'config', 'sscard')).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(resolveImageKey({ env })?.id).toBe(key?.id);
    expect(resolveImageKey({ env, create: true })?.id).toBe(key?.id);
    // No temporary left beside it.
    expect(readdirSync(join(tmp.path, 'config', 'sscard'))).toEqual(['image.key']);
    // Another user's directory gets another key.
    const other = resolveImageKey({ env: { XDG_CONFIG_HOME: join(tmp.path, 'other') }, create: true });
    expect(other?.id).not.toBe(key?.id);
  });

  it('one key when several processes create it at the same moment', async () => {
    const child = join(import.meta.dirname, 'image-child', 'key-id.ts');
    const ids = await Promise.all(
      Array.from({ length: 4 }, () => {
        const proc = spawn(process.execPath, ['--import', 'tsx', child], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, XDG_CONFIG_HOME: join(tmp.path, 'config'), SSCARD_IMAGE_KEY: '' },
        });
        let out = '';
        proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
        return new Promise<string>((resolve) => proc.on('close', () => resolve(out.trim())));
      }),
    );
    expect(ids[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(1);
    expect(resolveImageKey({ env })?.id).toBe(ids[0]);
  }, 60_000);

  it('is refused when other users may read or write it, or when it is not a key; never quoting it', () => {
    const file = imageKeyFile(env);
    resolveImageKey({ env, create: true });
    chmodSync(file, 0o644);
    const open = keyError(() => resolveImageKey({ env }));
    expect(open.code).toBe('IMAGE_KEY_INVALID');
    expect(open.message).toBe(
      `image key file ${file} can be read or written by other users (mode 644); chmod 600 ${file}`,
    );
    chmodSync(file, 0o600);
    writeFileSync(file, `${HEX_KEY.slice(0, 60)}zz\n`);
    const bad = keyError(() => resolveImageKey({ env }));
    expect(bad.message).toBe(
      `image key file ${file} is not 64 hex digits (a 32-byte key); make one with \`openssl rand -hex 32\``,
    );
    expect(bad.message).not.toContain(HEX_KEY.slice(0, 8));
  });

  it('a key file that cannot be made is IMAGE_KEY_UNAVAILABLE, naming it', () => {
    // A file where the configuration directory should be: no one can create the key below it.
    writeFileSync(join(tmp.path, 'not-a-dir'), '');
    const err = keyError(() =>
      resolveImageKey({ env: { XDG_CONFIG_HOME: join(tmp.path, 'not-a-dir') }, create: true }),
    );
    expect(err.code).toBe('IMAGE_KEY_UNAVAILABLE');
    expect(err.message).toBe(
      `image key file ${join(tmp.path, 'not-a-dir', 'sscard', 'image.key')} cannot be used (ENOTDIR)`,
    );
  });
});

group('SSCARD_IMAGE_KEY', () => {
  it('wins over the key file, which is then never created', () => {
    const key = resolveImageKey({ env: { ...env, SSCARD_IMAGE_KEY: HEX_KEY }, create: true });
    expect(key?.source).toBe('SSCARD_IMAGE_KEY');
    expect(key?.id).toBe(new ImageKey(new Uint8Array(32).fill(0xa1)).id);
    expect(() => statSync(imageKeyFile(env))).toThrow();
  });

  it('must be 64 hex digits; the error never repeats it', () => {
    for (const value of [HEX_KEY.slice(2), `${HEX_KEY}00`, `${HEX_KEY.slice(0, 62)}gg`, 'secret passphrase']) {
      const err = keyError(() => resolveImageKey({ env: { SSCARD_IMAGE_KEY: value } }));
      expect(err.code).toBe('IMAGE_KEY_INVALID');
      expect(err.message).toBe(
        'SSCARD_IMAGE_KEY is not 64 hex digits (a 32-byte key); make one with `openssl rand -hex 32`',
      );
    }
  });
});

group('ImageKey', () => {
  it('shows an id derived from the key, never its bytes', () => {
    const bytes = new Uint8Array(32).fill(0x5c);
    const key = new ImageKey(bytes, 'here');
    const shown = `${JSON.stringify(key)} ${String(key)} ${Object.values(key).join(' ')}`;
    expect(shown).not.toContain('5c5c5c');
    expect(key.id).toMatch(/^[0-9a-f]{16}$/);
    expect(key.id).not.toBe(new ImageKey(new Uint8Array(32).fill(0x5d)).id);
    expect(() => new ImageKey(new Uint8Array(16))).toThrow(ImageKeyError);
  });
});
