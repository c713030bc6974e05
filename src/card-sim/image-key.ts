import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { SscardError } from '../apdu/index.js';
import { createFileOnceSync } from '../files/index.js';

/*
 * The image key: the secret that seals card images (image-seal.ts), kept outside every image, as a
 * secure element's storage key stays inside the chip and never in the memory dump. Where it comes
 * from, first match wins:
 *
 * 1. `SSCARD_IMAGE_KEY`: 64 hex digits (32 bytes), for CI and shared labs where several users or
 *    machines open the same images (`openssl rand -hex 32` makes one);
 * 2. the per-user key file `$XDG_CONFIG_HOME/sscard/image.key` (`~/.config/sscard/image.key` when
 *    XDG_CONFIG_HOME is unset or not absolute): 64 hex digits and a newline, mode 0600 in a 0700
 *    directory, created with a fresh random key the first time an image is sealed.
 *
 * A key file other users may read is refused (as ssh refuses such a private key): the key is all
 * that separates a card image from a file anyone can rewrite.
 */

/** The environment variable that gives the image key (64 hex digits). */
export const IMAGE_KEY_ENV = 'SSCARD_IMAGE_KEY';
/** Length of an image key in bytes. */
export const IMAGE_KEY_BYTES = 32;

/** A key file being written by another process is empty for a moment at most (no hard links). */
const EMPTY_KEY_FILE_RETRY_MS = 200;

/** The image key cannot be used: malformed, too widely readable, or its file cannot be read or made. */
export class ImageKeyError extends SscardError {
  override readonly code: 'IMAGE_KEY_INVALID' | 'IMAGE_KEY_UNAVAILABLE';

  constructor(
    code: 'IMAGE_KEY_INVALID' | 'IMAGE_KEY_UNAVAILABLE',
    message: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(code, options?.hint === undefined ? message : `${message}; ${options.hint}`, options);
    this.code = code;
  }
}

/**
 * A key that seals card images. It never shows its bytes: `id` is a public fingerprint written
 * into each sealed image (so an image sealed under another key is told apart from an edited one),
 * `source` says where the key came from.
 */
export class ImageKey {
  /** 16 hex digits derived from the key (HMAC-SHA256 with a fixed label), not usable to find it. */
  readonly id: string;
  /** `SSCARD_IMAGE_KEY`, the key file's path, or `given` for a key passed in by the caller. */
  readonly source: string;
  readonly #sealingKey: Uint8Array;

  constructor(bytes: Uint8Array, source = 'given') {
    if (!(bytes instanceof Uint8Array) || bytes.length !== IMAGE_KEY_BYTES) {
      throw new ImageKeyError('IMAGE_KEY_INVALID', `an image key is ${IMAGE_KEY_BYTES} bytes`);
    }
    this.source = source;
    this.id = createHmac('sha256', bytes).update('sscard image key id').digest('hex').slice(0, 16);
    // The cipher key is derived, so the raw key serves one purpose only, should others come.
    this.#sealingKey = new Uint8Array(
      hkdfSync('sha256', bytes, new Uint8Array(0), 'sscard card image v3 aes-256-gcm', 32),
    );
  }

  /** The AES-256-GCM key of sealed images; for the sealing module only. @internal */
  sealingKey(): Uint8Array {
    return this.#sealingKey;
  }
}

/** The per-user key file's path (whether it exists or not). */
export function imageKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(base, 'sscard', 'image.key');
}

function keyFromHex(text: string, source: string, what: string): ImageKey {
  const hex = text.trim();
  if (!/^[0-9A-Fa-f]{64}$/.test(hex)) {
    // Says what is wrong, never what the text is.
    throw new ImageKeyError(
      'IMAGE_KEY_INVALID',
      `${what} is not ${IMAGE_KEY_BYTES * 2} hex digits (a ${IMAGE_KEY_BYTES}-byte key)`,
      {
        hint: 'make one with `openssl rand -hex 32`',
      },
    );
  }
  return new ImageKey(new Uint8Array(Buffer.from(hex, 'hex')), source);
}

/** Keys read so far, by source, with the file's identity: rereading on every save would cost. */
const cache = new Map<string, { stamp: string; key: ImageKey }>();

function fileStamp(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.mode}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unavailable(path, err);
  }
}

function unavailable(path: string, err: unknown): ImageKeyError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new ImageKeyError('IMAGE_KEY_UNAVAILABLE', `image key file ${path} cannot be used (${code})`, { cause: err });
}

function readKeyFile(path: string): ImageKey {
  const st = statSync(path);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8);
    throw new ImageKeyError(
      'IMAGE_KEY_INVALID',
      `image key file ${path} can be read or written by other users (mode ${mode})`,
      {
        hint: `chmod 600 ${path}`,
      },
    );
  }
  let text = readFileSync(path, 'utf8');
  const until = Date.now() + EMPTY_KEY_FILE_RETRY_MS;
  while (text === '' && Date.now() < until) text = readFileSync(path, 'utf8');
  return keyFromHex(text, path, `image key file ${path}`);
}

/** Creates the key file with a fresh random key, unless another process made one first. */
function createKeyFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Never replaces a key another process created meanwhile: both then use theirs.
  createFileOnceSync(path, `${randomBytes(IMAGE_KEY_BYTES).toString('hex')}\n`);
}

export interface ResolveImageKeyOptions {
  /** Create the per-user key file when there is neither the variable nor the file (default false). */
  create?: boolean;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The image key this process uses: from `SSCARD_IMAGE_KEY`, else from the per-user key file,
 * which is created with a fresh key when `create` is set. Undefined when there is no key and
 * none may be created. ImageKeyError when the key is malformed, its file open to other users,
 * or the file cannot be read or created.
 */
export function resolveImageKey(options: ResolveImageKeyOptions = {}): ImageKey | undefined {
  const env = options.env ?? process.env;
  const fromEnv = env[IMAGE_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const cached = cache.get(`env`);
    if (cached !== undefined && cached.stamp === fromEnv) return cached.key;
    const key = keyFromHex(fromEnv, IMAGE_KEY_ENV, IMAGE_KEY_ENV);
    cache.set('env', { stamp: fromEnv, key });
    return key;
  }
  const path = imageKeyFile(env);
  let stamp = fileStamp(path);
  if (stamp === undefined) {
    if (options.create !== true) return undefined;
    try {
      createKeyFile(path);
    } catch (err) {
      throw unavailable(path, err);
    }
    stamp = fileStamp(path);
    if (stamp === undefined)
      throw new ImageKeyError('IMAGE_KEY_UNAVAILABLE', `image key file ${path} vanished as it was created`);
  }
  const cached = cache.get(path);
  if (cached !== undefined && cached.stamp === stamp) return cached.key;
  let key: ImageKey;
  try {
    key = readKeyFile(path);
  } catch (err) {
    if (err instanceof ImageKeyError) throw err;
    throw unavailable(path, err);
  }
  cache.set(path, { stamp, key });
  return key;
}

/** A caller's key (bytes or ImageKey) as an ImageKey. */
export function imageKeyOf(key: Uint8Array | ImageKey): ImageKey {
  return key instanceof ImageKey ? key : new ImageKey(key);
}
