/*
 * What an offline search for a card's PIN costs someone who has its image file:
 *
 *   clear    an image from before sealing (version 2): the PIN verifier (salt, HMAC-SHA256) is in
 *            the file; every six-digit PIN is tried against it (all 10^6: the worst case)
 *   sealed   a sealed image (version 3) without the image key: the verifier is inside the
 *            AES-256-GCM ciphertext, and no value in the file depends on the PIN except through
 *            it. The only way in is the 256-bit key: one key trial (derive the cipher key, try
 *            to open the seal) is timed, and the search is that times 2^256 (2^255 on average)
 *   key      a sealed image with the key: opening it (once) gives the verifier back, and the
 *            search costs what it costs on a clear image: the key holder owns the card
 *
 *   npx tsx bench/card-sim/pin-search.ts [--pins 1000000] [--trials 20000]
 *
 * Uses its own random image key (no key file is read or written).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImageKey, buildSscCard, readCardImage, samplePerson, saveCardImage } from '../../src/card-sim/index.js';
import type { DfState } from '../../src/card-sim/index.js';
import { CARD_IMAGE_FORMAT } from '../../src/card-sim/image-format.js';
import { openSealedBytes } from '../../src/card-sim/image-seal.js';
import { arg } from '../args.js';

const pins = arg('pins', 1_000_000);
const trials = arg('trials', 20_000);
const PIN = '730519';

const dir = mkdtempSync(join(tmpdir(), 'sscard-pin-search-'));
try {
  const doc = samplePerson('zhang-wei');
  doc.pin = { ...doc.pin, initial: PIN };
  const imageKey = new ImageKey(new Uint8Array(randomBytes(32)), 'bench');
  const path = join(dir, 'card.json');
  saveCardImage(path, buildSscCard(doc), { imageKey });

  // clear: the verifier as an image from before sealing holds it.
  const state = readCardImage(path, { imageKey }).state;
  const { salt, mac } = (state.mf.children[0] as DfState).pins[0]!.record.verifier;
  const saltBytes = Buffer.from(salt, 'hex');
  let found: string | undefined;
  const started = performance.now();
  for (let n = 0; n < pins; n++) {
    const candidate = String(n).padStart(6, '0');
    if (createHmac('sha256', saltBytes).update(candidate).digest('hex').toUpperCase() === mac.toUpperCase())
      found = candidate;
  }
  const clearMs = performance.now() - started;
  const perPinUs = (clearMs * 1000) / pins;

  // sealed, without the key: one trial = a candidate key, its derived cipher key, an open attempt.
  const file = JSON.parse(readFileSync(path, 'utf8'));
  const header = [CARD_IMAGE_FORMAT, 3, file.created, file.saved, file.spec, file.transmission, file.extendedLength];
  const inFile = readFileSync(path, 'utf8').toUpperCase();
  const verifierInFile =
    inFile.includes(mac.slice(0, 16).toUpperCase()) || inFile.includes(salt.slice(0, 16).toUpperCase());
  let opened = 0;
  const trialStart = performance.now();
  for (let i = 0; i < trials; i++) {
    const candidate = new ImageKey(new Uint8Array(randomBytes(32)), 'guess');
    // The key id in the file rules a wrong key out at once; an attacker skips that check and
    // tries to open the seal with each candidate, which is what is timed here.
    const result = openSealedBytes(candidate, header, { ...file.seal, keyId: candidate.id }, file.sealedState);
    if (result.ok) opened += 1;
  }
  const perTrialUs = ((performance.now() - trialStart) * 1000) / trials;
  const secondsPerYear = 365.25 * 24 * 3600;
  const log10Years = 255 * Math.log10(2) + Math.log10(perTrialUs / 1e6 / secondsPerYear);

  // with the key: opening the image once, then the same search as on a clear image.
  const withKeyStart = performance.now();
  readCardImage(path, { imageKey });
  const openMs = performance.now() - withKeyStart;

  console.log(`offline search for a six-digit PIN (${pins.toLocaleString('en')} candidates, node ${process.version})`);
  console.log(
    `  image from before sealing: ${(clearMs / 1000).toFixed(2)} s for all candidates (${perPinUs.toFixed(2)} us each), PIN ${found === PIN ? 'found' : 'NOT found'}`,
  );
  console.log(
    `  sealed image, no key:      verifier in the file: ${verifierInFile ? 'YES' : 'no'}; one key trial ${perTrialUs.toFixed(1)} us ` +
      `(${trials.toLocaleString('en')} trials, ${opened} opened); 2^255 trials on average = about 10^${Math.round(log10Years)} years`,
  );
  console.log(
    `  sealed image, with the key: open ${openMs.toFixed(1)} ms, then as before sealing (${(clearMs / 1000).toFixed(2)} s)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
