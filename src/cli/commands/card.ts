import { Option } from 'commander';
import type { Command } from 'commander';
// The sample people's own module, not the card-sim barrel: `card --help` loads no card OS.
import { DEFAULT_SAMPLE, SAMPLE_PEOPLE } from '../../card-sim/profiles/people.js';
import type { NewOptions } from '../actions/card.js';
import { wholeNumberOption } from '../number-option.js';
import { registerCardSetCommand } from './card-set.js';

// `sscard card …`, defined: each subcommand's implementation loads with its action (actions/card.ts).

/** The sample person `card new` personalizes when neither --from nor --sample is given. */
export { DEFAULT_SAMPLE };

const parseTries = wholeNumberOption(1, 15);

export function registerCardCommands(program: Command): void {
  const card = program.command('card').description('create, inspect and change card image files');
  card
    .command('new')
    .description('personalize a new SSC and save it as a card image (refuses to overwrite without --force)')
    .argument('<image>', 'card image file to create (JSON)')
    .option(
      '--financial',
      "add the bank application (A000000333010101) with its own PIN (default: the sample's or document's own)",
    )
    .option(
      '--no-financial',
      'leave the bank application out (drops the PAN and bank PIN of a financial sample or document)',
    )
    .addOption(
      new Option(
        '--spec <version>',
        "spec version: 2.00 (3DES) or 3.00 (SM4) (default: the sample's or document's own)",
      ).choices(['2.00', '3.00']),
    )
    .option(
      '--pin-tries <n>',
      "application PIN try limit, 1..15 (default: the sample's or document's own, 3 if it sets none)",
      parseTries,
    )
    .addOption(
      new Option('--from <document.json>', 'personalization document (JSON) instead of a sample person').conflicts(
        'sample',
      ),
    )
    .addOption(
      new Option('--sample <name>', 'sample person to personalize when no --from is given')
        .choices(SAMPLE_PEOPLE.map((p) => p.key))
        .default(DEFAULT_SAMPLE),
    )
    .addOption(new Option('--transmission <protocol>', 'transmission protocol of the card').choices(['T=0', 'T=1']))
    .option('--force', 'replace an existing image')
    .addHelpText(
      'after',
      `\nSample people (their own spec, PIN try limit and financial flag apply unless an option says otherwise):\n${SAMPLE_PEOPLE.map((p) => `  ${p.key.padEnd(12)} ${p.about}`).join('\n')}`,
    )
    .action(async (image: string, opts: NewOptions) => (await import('../actions/card.js')).cardNew(image, opts));
  card
    .command('show')
    .description('print what a card image holds: holder, card, PIN states, every record decoded (never a PIN)')
    .argument('<image>', 'card image file')
    .option('--json', 'print the decoded card as JSON')
    .action(async (image: string, opts: { json?: boolean }) =>
      (await import('../actions/card-show.js')).cardShow(image, opts),
    );
  registerCardSetCommand(card);
}
