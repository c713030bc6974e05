import { Option } from 'commander';
import type { Command } from 'commander';
// The sample people's own module, not the card-sim barrel: these options are defined for --help too.
import { SAMPLE_PEOPLE } from '../card-sim/profiles/people.js';

/*
 * The options of the commands that issue a new card and write its image (`office issue`,
 * `window issue`): whose card (a sample person or a document), what card, and where its image goes.
 */

export interface NewCardOptions {
  sample?: string;
  from?: string;
  financial?: boolean;
  spec?: '2.00' | '3.00';
  card: string;
  force?: boolean;
}

/** Adds the new card's options to `cmd`. */
export function addNewCardOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--sample <name>', 'sample person to issue to').choices(SAMPLE_PEOPLE.map((p) => p.key)))
    .option('--from <document.json>', 'personalization document (JSON) of the person and card')
    .option('--financial', 'with the bank application')
    .addOption(new Option('--spec <version>', 'spec version: 2.00 (3DES) or 3.00 (SM4)').choices(['2.00', '3.00']))
    .requiredOption('--card <image.json>', 'card image file to write')
    .option('--force', 'replace an existing image file');
}
