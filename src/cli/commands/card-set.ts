import type { Command } from 'commander';
import { CARD_IMAGE_FIELDS } from '../../card-sim/image-set-fields.js';

export function registerCardSetCommand(card: Command): void {
  card
    .command('set')
    .description('change one field of a card image (try counters, limits, lifecycle, records) and seal it again')
    .argument('<image>', 'card image file')
    .argument('<field>', 'the field to set (see below)')
    .argument('<value>', 'its new value')
    .addHelpText(
      'after',
      [
        '',
        'Fields (DF and EF paths are labels or FIDs from the MF, e.g. SSSE/DF10/EF07):',
        ...CARD_IMAGE_FIELDS.map((f) => `  ${f}`),
        '',
        'The changed image is checked like any card image before it is sealed and saved; keys and',
        'PIN references are never set by hand (personalize a card with `sscard card new --from`).',
        'Examples:',
        '  sscard card set card.json pin.app.tries-left 0        # a blocked application PIN',
        '  sscard card set card.json app.SSSE.blocked temporary',
        '  sscard card set card.json card.blocked false',
      ].join('\n'),
    )
    .action(async (image: string, field: string, value: string) =>
      (await import('../actions/card-set.js')).cardSet(image, field, value),
    );
}
