import { join } from 'node:path';
import { beforeEach, expect } from 'vitest';
import {
  buildSscCard,
  openCardImage,
  samplePerson,
  saveCardImage,
  type CardState,
  type SimulatedCard,
} from '../../src/card-sim/index.js';
import { sw } from './card-exchange.js';
import { tempDirPerTest, type TempDir } from './temp-dir.js';

/** SELECT of the SSSE application by its DF name, as a terminal sends it. */
export const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';

export interface CardImageDir extends TempDir {
  /** `card.json` in the directory: the card's image. */
  readonly image: string;
}

/** Saves, at `path`, the image of a new SSC card personalized for the sample person `who`. */
export function saveSampleImage(path: string, who: string): void {
  saveCardImage(path, buildSscCard(samplePerson(who)));
}

/**
 * Saves the image of a new SSC card for `who` at `path`, opens it powered (PIN tries then go to
 * the image's log) and selects the SSSE application.
 */
export function openSampleImage(path: string, who = 'zhang-wei'): SimulatedCard {
  saveSampleImage(path, who);
  const card = openCardImage(path, { powered: true });
  expect(sw(card, SELECT_SSSE)).toBe('9000');
  return card;
}

/** The SSSE application PIN's tries left in a saved card state (-1 where it has no PIN). */
export function appTries(state: CardState): number {
  return (state.mf.children[0] as { pins: { record: { triesLeft: number } }[] }).pins[0]?.record.triesLeft ?? -1;
}

/**
 * A fresh temporary directory for each test (see tempDirPerTest) holding `card.json`, the saved
 * image of a new SSC card personalized for the sample person `who`.
 */
export function sampleImagePerTest(prefix: string, who: string): CardImageDir {
  const tmp = tempDirPerTest(prefix);
  const files: CardImageDir = {
    get path(): string {
      return tmp.path;
    },
    get image(): string {
      return join(tmp.path, 'card.json');
    },
  };
  beforeEach(() => {
    saveSampleImage(files.image, who);
  });
  return files;
}
