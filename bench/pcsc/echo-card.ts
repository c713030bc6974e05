/*
 * The PC/SC floor of the bench: a minimal card speaking the vpcd protocol in its own process,
 * answering every APDU 9000 at once (no card model at all). Frames are `uint16 length || bytes`;
 * a 1-byte frame is a control byte (00 off, 01 on, 02 reset, 04 ATR request, which is answered
 * with the ATR). Bundled and run with plain node by bench/pcsc/compare.ts:
 *
 *   node echo-card.mjs <host> <port>
 */
import { connect } from 'node:net';

const ATR = Buffer.from([0x3b, 0x80, 0x80, 0x01, 0x01]);
const OK = Buffer.from([0x00, 0x02, 0x90, 0x00]);
const atrFrame = Buffer.concat([Buffer.from([0x00, ATR.length]), ATR]);

const socket = connect({ host: process.argv[2] ?? '127.0.0.2', port: Number(process.argv[3] ?? 35963) }, () => {
  socket.setNoDelay(true);
  process.stdout.write('card inserted\n');
});
let pending: Buffer = Buffer.alloc(0);
socket.on('data', (chunk: Buffer) => {
  pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  while (pending.length >= 2) {
    const n = pending.readUInt16BE(0);
    if (pending.length < 2 + n) break;
    const frame = pending.subarray(2, 2 + n);
    pending = pending.subarray(2 + n);
    if (n === 1) {
      if (frame[0] === 0x04) socket.write(atrFrame);
    } else {
      socket.write(OK);
    }
  }
});
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
process.on('SIGTERM', () => socket.destroy());
