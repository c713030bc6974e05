// Child process for the crash tests, killed with SIGKILL at a random moment. Prints 'ready', then
// a '.' after each completed round, until it is killed.
//   alternate <target> <imageA> <imageB>  saves two different cards to one image file by turns,
//                                         as fast as it can (no lock: saveCardImage alone)
//   churn <target>                        opens the image (taking its lock, taking over a dead
//                                         holder's), sends SELECT and the right PIN (a try spent,
//                                         then restored: two saves), closes it; again and again
import { closeCardImage, loadCardImage, openCardImage, saveCardImage } from '../../../src/card-sim/index.js';

const [mode, target, pathA, pathB] = process.argv.slice(2);
const SELECT_SSSE = Buffer.from('00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF', 'hex');
const VERIFY = Buffer.from('0020000003123456', 'hex');

if (mode === 'alternate' && target !== undefined && pathA !== undefined && pathB !== undefined) {
  const cards = [loadCardImage(pathA), loadCardImage(pathB)];
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) {
    saveCardImage(target, cards[i % 2] as (typeof cards)[number]);
    process.stdout.write('.');
  }
} else if (mode === 'churn' && target !== undefined) {
  process.stdout.write('ready\n');
  for (;;) {
    const card = openCardImage(target, { powered: true, lockTimeoutMs: 60_000 });
    card.transmit(SELECT_SSSE);
    card.transmit(VERIFY);
    closeCardImage(card);
    process.stdout.write('.');
  }
} else {
  process.stderr.write('usage: save-loop alternate <target> <imageA> <imageB> | churn <target>\n');
  process.exit(2);
}
