import type { Command } from 'commander';
import { CARD_IMAGE_FIELDS, setCardImageField } from '../../card-sim/index.js';
import { colors, printLine, printNotice } from '../output.js';

/**
 * A field's value as `card set` prints it: numbers, flags and words as they are; hex (a record,
 * a file's content) by its size only, since it may be personal data.
 */
function shown(value: unknown): string {
  if (value === undefined) return 'none';
  if (typeof value === 'string') return /^(?:[0-9A-F]{2}){4,}$/.test(value) ? `${value.length / 2} bytes` : value;
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function cardSet(image: string, field: string, value: string): void {
  const change = setCardImageField(image, field, value, { onNotice: printNotice });
  const c = colors();
  printLine(`${c.green('set')} ${field} in ${image}: ${shown(change.previous)} -> ${shown(change.value)}`);
}

/** `sscard card set <image> <field> <value>`: a deliberate change, re-sealed. */
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
    .action((image: string, field: string, value: string) => cardSet(image, field, value));
}
