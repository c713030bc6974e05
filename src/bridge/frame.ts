import { VpcdError } from './errors.js';

/** The vpcd length prefix has 16 bits: no frame (ATR, C-APDU, R-APDU) can be longer than this. */
export const VPCD_MAX_FRAME = 0xffff;

/** One vpcd frame: 2-byte big-endian length, then the payload. Throws VPCD_FRAME_TOO_LONG above 65535 bytes. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (!(payload instanceof Uint8Array)) {
    throw new VpcdError('VPCD_OPTIONS', 'frame payload must be a Uint8Array');
  }
  if (payload.length > VPCD_MAX_FRAME) {
    throw new VpcdError(
      'VPCD_FRAME_TOO_LONG',
      `a vpcd frame carries at most ${VPCD_MAX_FRAME} bytes, got ${payload.length}`,
    );
  }
  const out = new Uint8Array(payload.length + 2);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/**
 * encodeFrame for a payload known to fit (the bridge's replies), into a Buffer from Node's pool: a
 * small Uint8Array lives on the V8 heap, and the socket would first have to move it off the heap
 * to write it, on every reply. A status word alone (most answers: SELECT, VERIFY, every error) is
 * framed once and the same Buffer returned after: callers write it and never change it.
 */
export function frameForSocket(payload: Uint8Array): Buffer {
  if (payload.length === 2) {
    const sw = ((payload[0] as number) << 8) | (payload[1] as number);
    const framed = swFrames.get(sw);
    if (framed !== undefined) return framed;
    const out = Buffer.from([0, 2, payload[0] as number, payload[1] as number]);
    if (swFrames.size < SW_FRAMES_KEPT) swFrames.set(sw, out);
    return out;
  }
  const out = Buffer.allocUnsafe(payload.length + 2);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** Framed status-word replies by status word; a card uses a few dozen, the bound is for a hostile one. */
const swFrames = new Map<number, Buffer>();
const SW_FRAMES_KEPT = 512;

/**
 * Reassembles vpcd frames from a TCP byte stream, whatever the chunking: vpcd sends the length
 * and the payload in two send() calls, TCP may split either anywhere, and several frames can
 * arrive in one chunk. Every returned frame is a fresh copy (never a view of the caller's chunk).
 */
export class FrameDecoder {
  /** First length byte when a chunk ended between the two length bytes. */
  #lengthHigh = -1;
  /** Payload of the frame being filled, when a chunk ended inside it. */
  #body: Uint8Array | null = null;
  #bodyFill = 0;

  /** Feeds a chunk; returns the frames it completed, in order (possibly none). */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#body === null) {
        let length: number;
        if (this.#lengthHigh >= 0) {
          length = (this.#lengthHigh << 8) | (chunk[i] as number);
          this.#lengthHigh = -1;
          i += 1;
        } else if (n - i >= 2) {
          length = ((chunk[i] as number) << 8) | (chunk[i + 1] as number);
          i += 2;
        } else {
          this.#lengthHigh = chunk[i] as number;
          i += 1;
          break;
        }
        if (n - i >= length) {
          // Not chunk.slice(): on a Buffer (what a socket's 'data' event gives) that is a view, not a copy.
          const frame = new Uint8Array(length);
          frame.set(chunk.subarray(i, i + length));
          frames.push(frame);
          i += length;
          continue;
        }
        this.#body = new Uint8Array(length);
        this.#bodyFill = 0;
      }
      const body = this.#body;
      const take = Math.min(body.length - this.#bodyFill, n - i);
      body.set(chunk.subarray(i, i + take), this.#bodyFill);
      this.#bodyFill += take;
      i += take;
      if (this.#bodyFill === body.length) {
        frames.push(body);
        this.#body = null;
        this.#bodyFill = 0;
      }
    }
    return frames;
  }

  /** Bytes held for a frame that is not complete yet (0 at a frame boundary). */
  get pendingBytes(): number {
    if (this.#lengthHigh >= 0) return 1;
    return this.#body === null ? 0 : 2 + this.#bodyFill;
  }

  /** Drops any partial frame (a new connection starts a new stream). */
  reset(): void {
    this.#lengthHigh = -1;
    this.#body = null;
    this.#bodyFill = 0;
  }
}
