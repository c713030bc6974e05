// Child process for the crash test: alternately saves two different cards to one image file as
// fast as it can, printing a '.' after each completed save, until it is killed.
import { loadCardImage, saveCardImage } from '../../../src/card-sim/index.js';

const [target, pathA, pathB] = process.argv.slice(2);
if (target === undefined || pathA === undefined || pathB === undefined) {
  process.stderr.write('usage: save-loop <target> <imageA> <imageB>\n');
  process.exit(2);
}
const cards = [loadCardImage(pathA), loadCardImage(pathB)];
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  saveCardImage(target, cards[i % 2] as (typeof cards)[number]);
  process.stdout.write('.');
}
