// Child process for the image lock tests.
//   hold <image>        open the image (taking its lock), print 'locked', wait until killed
//   exit <image>        open the image and end without closing it (the exit hook releases)
//   turn <image> <log>  20 times: open the image (waiting for the lock), append 'enter <pid>' to
//                       <log>, work for a moment, append 'leave <pid>', close
import { appendFileSync } from 'node:fs';
import { closeCardImage, openCardImage } from '../../../src/card-sim/index.js';

const [mode, image, log] = process.argv.slice(2);
if (image === undefined || (mode === 'turn' && log === undefined)) {
  process.stderr.write('usage: hold-image hold|exit|turn <image> [log]\n');
  process.exit(2);
}
if (mode === 'hold') {
  openCardImage(image);
  process.stdout.write('locked\n');
  setInterval(() => {}, 60_000);
} else if (mode === 'exit') {
  openCardImage(image);
  process.stdout.write('locked\n');
} else if (mode === 'turn') {
  for (let round = 0; round < 20; round++) {
    const card = openCardImage(image, { lockTimeoutMs: 60_000 });
    appendFileSync(log as string, `enter ${process.pid}\n`);
    const until = Date.now() + 5;
    while (Date.now() < until) {
      // Holding the image: anyone else in here at the same time would show up in the log.
    }
    appendFileSync(log as string, `leave ${process.pid}\n`);
    closeCardImage(card);
    // Give the others a chance at the lock between rounds.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 + Math.floor(Math.random() * 10));
  }
} else {
  process.stderr.write(`unknown mode ${String(mode)}\n`);
  process.exit(2);
}
