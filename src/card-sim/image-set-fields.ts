/*
 * In a module of its own (it imports nothing) so that the CLI's help for `sscard card set` lists
 * the fields without loading the card OS.
 */

/** The field names (patterns) setCardImageField takes, for help texts. */
export const CARD_IMAGE_FIELDS: readonly string[] = [
  'card.blocked',
  'app.<df path>.blocked',
  'pin.<id>.tries-left',
  'pin.<id>.try-limit',
  'key.<df path>.<key id>.tries-left',
  'key.<df path>.<key id>.try-limit',
  'record.<ef path>.<n>',
  'data.<ef path>',
  'state.<path>',
];
