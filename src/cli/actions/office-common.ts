import type { CardStatus, Side } from '../../office/index.js';
import type { SscCard } from '../../terminal/index.js';
import { CliInputError } from '../errors.js';
import { printLine } from '../output.js';

// What the `sscard office` loss, new-card and blacklist commands share: their options' type and output
// (the options themselves are defined in commands/office.ts).

export interface CommonOptions {
  db?: string;
  terminal: string;
  json?: boolean;
}

export const SIDE_NAMES: Record<Side, string> = { ssc: 'social security side', bank: 'bank side' };

/** The image must be the registry's card: its EF05 card number is compared. */
export async function checkSameCard(card: SscCard, status: CardStatus, image: string): Promise<void> {
  const info = await card.readCardInfo();
  if (info.cardNumber !== status.cardNumber)
    throw new CliInputError(`${image} holds card ${info.cardNumber}, not ${status.cardNumber}`);
}

/** The card's record as JSON (with `extra`), or `line`. */
export function printStatus(
  card: CardStatus,
  opts: { json?: boolean },
  line: string,
  extra: Record<string, unknown> = {},
): void {
  if (opts.json === true) printLine(JSON.stringify({ ...card, ...extra }, null, 2));
  else printLine(line);
}
