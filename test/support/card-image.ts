import { join } from 'node:path';
import { beforeEach } from 'vitest';
import { buildSscCard, samplePerson, saveCardImage } from '../../src/card-sim/index.js';
import { tempDirPerTest, type TempDir } from './temp-dir.js';

export interface CardImageDir extends TempDir {
  /** `card.json` in the directory: the card's image. */
  readonly image: string;
}

/** Saves, at `path`, the image of a new SSC card personalized for the sample person `who`. */
export function saveSampleImage(path: string, who: string): void {
  saveCardImage(path, buildSscCard(samplePerson(who)));
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
