import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { bytesEqual, concatBytes, toHex } from '../../src/apdu/index.js';
import { encodeFrame, FrameDecoder, VPCD_MAX_FRAME, VpcdError } from '../../src/bridge/index.js';
import { expectThrowsClass } from '../support/throws.js';

/** Mostly short payloads (control bytes, APDUs), sometimes empty, sometimes longer than a TCP chunk. */
const payload = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 300 }) },
  { weight: 2, arbitrary: fc.constantFrom(Uint8Array.of(0), Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(4)) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 256, max: 70_000 }), fc.integer({ min: 0, max: 255 })).map(([n, seed]) => {
      const bytes = new Uint8Array(Math.min(n, VPCD_MAX_FRAME));
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 31 + seed) & 0xff;
      return bytes;
    }),
  },
);

/** Splits `stream` at the given cut points (any positions, duplicates allowed => empty chunks). */
function split(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(stream.subarray(from, p));
    from = p;
  }
  chunks.push(stream.subarray(from));
  return chunks;
}

/** Frame lists equal (bytesEqual: vitest's deep equality is slow on 64 KiB arrays). */
function expectSameFrames(actual: Uint8Array[], expected: Uint8Array[]): void {
  const show = (fs: Uint8Array[]): string[] => fs.map((f) => (f.length > 16 ? `${f.length} bytes` : toHex(f)));
  const same = actual.length === expected.length && actual.every((f, i) => bytesEqual(f, expected[i]!));
  expect(same, `frames ${JSON.stringify(show(actual))} != ${JSON.stringify(show(expected))}`).toBe(true);
}

function decodeAll(chunks: Uint8Array[]): { frames: Uint8Array[]; decoder: FrameDecoder } {
  const decoder = new FrameDecoder();
  const frames = chunks.flatMap((c) => decoder.push(c));
  return { frames, decoder };
}

describe('encodeFrame', () => {
  it('prefixes a big-endian 16-bit length', () => {
    expect(Array.from(encodeFrame(Uint8Array.of(0x04)))).toEqual([0x00, 0x01, 0x04]);
    expect(Array.from(encodeFrame(new Uint8Array(0)))).toEqual([0x00, 0x00]);
    const big = encodeFrame(new Uint8Array(0x1234));
    expect([big[0], big[1], big.length]).toEqual([0x12, 0x34, 0x1234 + 2]);
    expect(Array.from(encodeFrame(new Uint8Array(VPCD_MAX_FRAME)).subarray(0, 2))).toEqual([0xff, 0xff]);
  });

  it('refuses a payload the 16-bit length cannot describe', () => {
    expectThrowsClass(() => encodeFrame(new Uint8Array(VPCD_MAX_FRAME + 1)), VpcdError, {
      code: 'VPCD_FRAME_TOO_LONG',
      message: /at most 65535 bytes, got 65536/,
    });
  });
});

describe('FrameDecoder', () => {
  it("reassembles vpcd's two-send frames: length, then payload", () => {
    const d = new FrameDecoder();
    expect(d.push(Uint8Array.of(0x00, 0x07))).toEqual([]);
    expect(d.pendingBytes).toBe(2);
    const frames = d.push(Uint8Array.of(0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00));
    expect(frames.map((f) => Array.from(f))).toEqual([[0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00]]);
    expect(d.pendingBytes).toBe(0);
  });

  it('handles a chunk that ends between the two length bytes', () => {
    const d = new FrameDecoder();
    expect(d.push(Uint8Array.of(0x00))).toEqual([]);
    expect(d.pendingBytes).toBe(1);
    expect(d.push(Uint8Array.of(0x01, 0x04)).map((f) => Array.from(f))).toEqual([[0x04]]);
  });

  it('returns many frames from one chunk, including empty ones, in order', () => {
    const stream = concatBytes(
      encodeFrame(Uint8Array.of(0x04)),
      encodeFrame(new Uint8Array(0)),
      encodeFrame(Uint8Array.of(0x01)),
      encodeFrame(Uint8Array.of(0x80, 0xca, 0x9f, 0x17, 0x00)),
    );
    const frames = new FrameDecoder().push(stream).map((f) => Array.from(f));
    expect(frames).toEqual([[0x04], [], [0x01], [0x80, 0xca, 0x9f, 0x17, 0x00]]);
  });

  it("hands out copies, not views of the caller's chunk", () => {
    const chunk = concatBytes(encodeFrame(Uint8Array.of(1, 2, 3)));
    const [frame] = new FrameDecoder().push(chunk);
    chunk.fill(0xee);
    expect(Array.from(frame!)).toEqual([1, 2, 3]);
  });

  it('hands out copies of a Buffer chunk too (whose slice() is a view)', () => {
    // The bridge reads every chunk into one reused Buffer.
    const chunk = Buffer.from(encodeFrame(Uint8Array.of(1, 2, 3)));
    const [frame] = new FrameDecoder().push(chunk);
    chunk.fill(0xee);
    expect(Array.from(frame!)).toEqual([1, 2, 3]);
  });

  it('drops a partial frame on reset', () => {
    const d = new FrameDecoder();
    d.push(Uint8Array.of(0x00, 0x05, 0xaa));
    expect(d.pendingBytes).toBe(3);
    d.reset();
    expect(d.pendingBytes).toBe(0);
    expect(d.push(encodeFrame(Uint8Array.of(0x04))).map((f) => Array.from(f))).toEqual([[0x04]]);
  });

  test.prop([fc.array(payload, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 })])(
    'any chunking of a stream of frames decodes to the same frames',
    (payloads, cuts) => {
      const stream = concatBytes(...payloads.map(encodeFrame));
      const { frames, decoder } = decodeAll(split(stream, cuts));
      expectSameFrames(frames, payloads);
      expect(decoder.pendingBytes).toBe(0);
    },
  );

  test.prop([fc.array(payload, { minLength: 1, maxLength: 8 }), fc.nat(), fc.array(fc.nat(), { maxLength: 10 })])(
    'a cut-off stream yields exactly the complete frames and holds the rest',
    (payloads, cut, cuts) => {
      const encoded = payloads.map(encodeFrame);
      const stream = concatBytes(...encoded);
      const end = cut % (stream.length + 1);
      const { frames, decoder } = decodeAll(split(stream.subarray(0, end), cuts));
      let whole = 0;
      let used = 0;
      while (whole < encoded.length && used + encoded[whole]!.length <= end) used += encoded[whole++]!.length;
      expectSameFrames(frames, payloads.slice(0, whole));
      expect(decoder.pendingBytes).toBe(end - used);
    },
  );

  it('byte-at-a-time feeding of a full-size frame', () => {
    const big = Uint8Array.from({ length: VPCD_MAX_FRAME }, (_, i) => i & 0xff);
    const stream = encodeFrame(big);
    const d = new FrameDecoder();
    const out: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += 1) out.push(...d.push(stream.subarray(i, i + 1)));
    expect(out.length).toBe(1);
    expect(out[0]!.length).toBe(VPCD_MAX_FRAME);
    expect(out[0]![VPCD_MAX_FRAME - 1]).toBe((VPCD_MAX_FRAME - 1) & 0xff);
  });
});
