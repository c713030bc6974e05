import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { syncDirectory } from '../files/index.js';
import { CardImageError } from './image-errors.js';
import type { ImageKey } from './image-key.js';
import { openSealedBytes, sealBytes, type Seal } from './image-seal.js';
import { applyStateDelta, type CardState, type CardStateDelta } from './state/index.js';

/*
 * The write-ahead log of a card opened from its image: a PIN try (the counter alone) is one sealed
 * line appended to `<image>.log` and fsync'd, instead of a rewrite of the whole sealed image, so a
 * VERIFY against an image costs one small append and one fsync. The log is folded into the image
 * (compacted: the image rewritten, the log emptied) every COMPACT_EVERY records, on any change
 * that is not a counter, when the card is opened and when it is closed (the file is then
 * removed); whoever reads the image reads the log after it.
 *
 * Each line: {"image": <seal tag of the image it follows>, "seq": n, "seal": {...}, "data": b64},
 * the delta sealed like the image (image-seal.ts: AES-256-GCM under the image key) with the
 * format, the image's tag and the sequence number as associated data. So a line carries nothing
 * in clear but which image it follows and its place; an edited line, one moved to another place
 * or another image's log, fails its tag and is refused like an edited image (CARD_IMAGE_TAMPERED);
 * a gap in the sequence is refused too. Lines that follow an older image (a crash between a
 * compaction's image write and the log's truncation) open under their own header and are skipped:
 * the image already holds them. An unfinished last line (a crash during an append, before the
 * card answered) is not a change.
 */

const LOG_FORMAT = 'sscard-card-log';
const LOG_VERSION = 1;
/** Records between compactions: the image is rewritten once per this many tries. */
export const COMPACT_EVERY = 256;
/**
 * The most of a log that is read: a log holds at most COMPACT_EVERY records of about 300 bytes
 * (and as many of the image before, after a crash mid-compaction), so anything near this size was
 * not written by sscard, and is refused before it is read whole.
 */
export const MAX_IMAGE_LOG_BYTES = 1024 * 1024;

export function imageLogPath(realPath: string): string {
  return `${realPath}.log`;
}

interface LogLine {
  image: string;
  seq: number;
  seal: Seal;
  data: string;
}

function header(imageTag: string, seq: number): unknown[] {
  return [LOG_FORMAT, LOG_VERSION, imageTag, seq];
}

/** Exactly these fields: one more (outside the seal) is an edit, as in the image itself. */
function hasFields(o: object, names: readonly string[]): boolean {
  const keys = Object.keys(o);
  return keys.length === names.length && names.every((n) => keys.includes(n));
}

function isLogLine(value: unknown): value is LogLine {
  if (value === null || typeof value !== 'object') return false;
  const o = value as Record<string, unknown>;
  const seal = o['seal'] as Record<string, unknown> | undefined;
  return (
    hasFields(o, ['image', 'seq', 'seal', 'data']) &&
    typeof o['image'] === 'string' &&
    Number.isInteger(o['seq']) &&
    typeof o['data'] === 'string' &&
    seal !== null &&
    typeof seal === 'object' &&
    hasFields(seal, ['cipher', 'keyId', 'iv', 'tag']) &&
    typeof seal['keyId'] === 'string' &&
    typeof seal['iv'] === 'string' &&
    /^[0-9a-f]{24}$/.test(seal['iv']) &&
    typeof seal['tag'] === 'string' &&
    /^[0-9a-f]{32}$/.test(seal['tag']) &&
    seal['cipher'] === 'aes-256-gcm'
  );
}

function isDelta(value: unknown): value is CardStateDelta {
  if (value === null || typeof value !== 'object') return false;
  const o = value as Record<string, unknown>;
  return (
    o['kind'] === 'pin-tries' &&
    Array.isArray(o['df']) &&
    o['df'].every((f) => typeof f === 'string' && /^[0-9A-F]{4}$/.test(f)) &&
    typeof o['pin'] === 'string' &&
    Number.isInteger(o['triesLeft'])
  );
}

/**
 * The log's text, or undefined when there is none. `imagePath` names the image in errors. Bounded
 * like an image (MAX_IMAGE_LOG_BYTES): a log that is too large, or not a regular file, is refused
 * before it is read.
 */
function readLog(imagePath: string, path: string): string | undefined {
  const unreadable = (err: unknown): CardImageError =>
    new CardImageError(
      'CARD_IMAGE_UNREADABLE',
      imagePath,
      `its log ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause: err,
      },
    );
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(err);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new CardImageError('CARD_IMAGE_INVALID', imagePath, `its log ${path} is not a regular file`);
    if (stat.size > MAX_IMAGE_LOG_BYTES) {
      throw new CardImageError(
        'CARD_IMAGE_INVALID',
        imagePath,
        `its log ${path} is ${stat.size} bytes, more than a log holds (at most ${MAX_IMAGE_LOG_BYTES})`,
      );
    }
    // A writer may be appending: what it adds while this reads is read up to the buffer's end (a
    // cut last line is not a change), never past the limit.
    const buffer = Buffer.alloc(Math.min(stat.size + 64 * 1024, MAX_IMAGE_LOG_BYTES));
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    if (err instanceof CardImageError) throw err;
    throw unreadable(err);
  } finally {
    closeSync(fd);
  }
}

/**
 * Applies the log of the image at `realPath` (whose seal tag is `imageTag`) to `state`; returns
 * how many changes it applied. `path` names the image in errors.
 */
export function replayImageLog(
  path: string,
  realPath: string,
  imageTag: string | undefined,
  key: ImageKey | undefined,
  state: CardState,
): number {
  const logPath = imageLogPath(realPath);
  const text = readLog(path, logPath);
  if (text === undefined || text === '') return 0;
  const lines = text.split('\n');
  // The part after the last newline is an append that never finished: not a change.
  lines.pop();
  const tampered = (why: string): CardImageError =>
    new CardImageError('CARD_IMAGE_TAMPERED', path, `its log ${logPath} was edited outside sscard (${why})`);
  let applied = 0;
  for (const line of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw tampered('a line is not a log record');
    }
    if (!isLogLine(parsed)) throw tampered('a line is not a log record');
    const opened = openSealedBytes(key, header(parsed.image, parsed.seq), parsed.seal, parsed.data);
    if (!opened.ok) {
      if (opened.problem === 'other-key') {
        throw new CardImageError(
          'CARD_IMAGE_OTHER_KEY',
          path,
          `its log ${logPath} is sealed with another key (key id ${parsed.seal.keyId})`,
        );
      }
      throw tampered('a record does not match its seal');
    }
    // A record of an older image: that image's compaction already holds it.
    if (parsed.image !== imageTag) continue;
    if (parsed.seq !== applied + 1) throw tampered(`record ${applied + 1} is missing or out of order`);
    let delta: unknown;
    try {
      delta = JSON.parse(Buffer.from(opened.plaintext).toString('utf8'));
    } catch {
      throw tampered('a record holds no counter change');
    }
    if (!isDelta(delta)) throw tampered('a record holds no counter change');
    try {
      applyStateDelta(state, delta);
    } catch (err) {
      throw new CardImageError(
        'CARD_IMAGE_INVALID',
        path,
        `its log ${logPath} does not fit the image (${(err as Error).message})`,
        { cause: err },
      );
    }
    applied += 1;
  }
  return applied;
}

/** The log a card opened from its image appends its counter changes to (held open while the card is). */
export class ImageLog {
  readonly path: string;
  #fd: number | undefined;
  #imageTag: string;
  #seq = 0;
  readonly #key: ImageKey;

  /**
   * The log of the image at `realPath`, whose seal tag is `imageTag` and which holds every change
   * so far: a log left from before (replayed into the image, or stale) is removed.
   */
  constructor(realPath: string, imageTag: string, key: ImageKey) {
    this.path = imageLogPath(realPath);
    this.#imageTag = imageTag;
    this.#key = key;
    if (existsSync(this.path)) {
      unlinkSync(this.path);
      syncDirectory(dirname(this.path));
    }
  }

  /** Records since the image was last written. */
  get length(): number {
    return this.#seq;
  }

  /** Appends `delta` and makes it durable (fsync) before returning. */
  append(delta: CardStateDelta): void {
    if (this.#fd === undefined) {
      this.#fd = openSync(this.path, 'a', 0o600);
      // The log's own name must be durable before a record in it counts.
      syncDirectory(dirname(this.path));
    }
    const seq = this.#seq + 1;
    const { seal, data } = sealBytes(
      this.#key,
      header(this.#imageTag, seq),
      Buffer.from(JSON.stringify(delta), 'utf8'),
    );
    const bytes = Buffer.from(`${JSON.stringify({ image: this.#imageTag, seq, seal, data })}\n`, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.#fd, bytes, written, bytes.length - written);
    fsyncSync(this.#fd);
    this.#seq = seq;
  }

  /** The image was rewritten (with tag `imageTag`) holding every change: the log starts over. */
  restart(imageTag: string): void {
    this.#imageTag = imageTag;
    this.#seq = 0;
    if (this.#fd === undefined) return;
    ftruncateSync(this.#fd, 0);
    fsyncSync(this.#fd);
  }

  /** Closes the log; with `remove` (the image holds every change) the file goes too. */
  close(remove: boolean): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    if (remove && existsSync(this.path)) unlinkSync(this.path);
  }
}
