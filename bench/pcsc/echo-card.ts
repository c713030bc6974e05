/*
 * The PC/SC floor of the bench: a minimal card speaking the vpcd protocol in its own process,
 * answering every APDU 9000 at once (no card model at all). Frames are `uint16 length || bytes`;
 * a 1-byte frame is a control byte (00 off, 01 on, 02 reset, 04 ATR request, which is answered
 * with the ATR). Bundled and run with plain node by bench/pcsc/compare.ts:
 *
 *   node echo-card.mjs <host> <port>
 *
 * It reads through net's `onread` into one buffer, as `sim serve`'s bridge does, not through
 * 'data' events: a Readable stream costs a node card some 20 us per APDU here (vpcd sends the
 * length and the payload apart, so two reads per APDU), and a floor that spends that on its
 * reads would leave room a card could fill with work of its own.
 */
import { connect } from 'node:net';

const ATR = Buffer.from([0x3b, 0x80, 0x80, 0x01, 0x01]);
const OK = Buffer.from([0x00, 0x02, 0x90, 0x00]);
const atrFrame = Buffer.concat([Buffer.from([0x00, ATR.length]), ATR]);

/** Bytes of a frame cut by the end of a read, kept until the rest arrives. */
let pending: Buffer = Buffer.alloc(0);

function answer(frame: Buffer): void {
  if (frame.length !== 1) socket.write(OK);
  else if (frame[0] === 0x04) socket.write(atrFrame);
}

function onRead(nread: number, buffer: Buffer): boolean {
  let bytes = buffer.subarray(0, nread);
  if (pending.length > 0) {
    bytes = Buffer.concat([pending, bytes]);
    pending = Buffer.alloc(0);
  }
  let i = 0;
  while (bytes.length - i >= 2) {
    const n = bytes.readUInt16BE(i);
    if (bytes.length - i < 2 + n) break;
    answer(bytes.subarray(i + 2, i + 2 + n));
    i += 2 + n;
  }
  // The read buffer is reused by the next read: what is left is copied out.
  if (i < bytes.length) pending = Buffer.from(bytes.subarray(i));
  return true;
}

const socket = connect(
  {
    host: process.argv[2] ?? '127.0.0.2',
    port: Number(process.argv[3] ?? 35963),
    onread: { buffer: Buffer.allocUnsafe(2 + 0xffff), callback: onRead },
  },
  () => {
    socket.setNoDelay(true);
    process.stdout.write('card inserted\n');
  },
);
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
process.on('SIGTERM', () => socket.destroy());
