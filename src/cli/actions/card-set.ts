// From its module, not the card-sim barrel (a package entry point, which would bring
// personalization into this command's chunk).
import { setCardImageField } from '../../card-sim/image-set.js';
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

export function cardSet(image: string, field: string, value: string): void {
  const change = setCardImageField(image, field, value, { onNotice: printNotice });
  const c = colors();
  printLine(`${c.green('set')} ${field} in ${image}: ${shown(change.previous)} -> ${shown(change.value)}`);
}

/** `sscard card set <image> <field> <value>`: a deliberate change, re-sealed. */
