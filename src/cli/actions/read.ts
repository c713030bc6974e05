import { toHex } from '../../apdu/index.js';
import type { CardInfo, Cardholder } from '../../terminal/index.js';
import { withSscCard } from '../card-source.js';
import type { CardSourceOptions } from '../card-source.js';
import { colors, printLine } from '../output.js';
import { cardReportFromTerminal } from '../card-report.js';
import type { CardReport } from '../card-report.js';
import { withBlacklist } from '../blacklist-check.js';
import type { BlacklistCliOptions } from '../blacklist-options.js';

/*
 * `sscard read`: what a POS terminal reads from any SSC without a PIN: the card issuer data
 * (EF05) and the cardholder data (EF06), through the terminal SDK like a real terminal would.
 */

export interface ReadOptions extends CardSourceOptions, BlacklistCliOptions {
  json?: boolean;
}

/** What `read` found (`--json` prints `report`, the card report shared with `card show`). */
interface ReadResult {
  label: string;
  card: CardInfo;
  cardholder: Cardholder;
  report: CardReport;
}

const SEX_LABEL: Record<Cardholder['sex'], string> = { male: 'male (1)', female: 'female (2)', unknown: 'unknown' };

function printResult(r: ReadResult): void {
  const c = colors();
  const row = (label: string, value: string) =>
    printLine(`  ${label.padEnd(18)} ${value === '' ? c.dim('(empty)') : value}`);
  printLine(c.bold(r.label));
  row('ATR', r.report.atr);
  printLine(c.bold('card (SSSE/EF05)'));
  row('card number', r.card.cardNumber);
  row('card identifier', `${r.card.cardIdentifier} (region ${r.card.regionCode})`);
  row('card type', r.card.cardType);
  const algorithm = r.report.algorithm;
  row('spec version', `${r.card.specVersion}${algorithm === null ? '' : ` (${algorithm === 'sm4' ? 'SM4' : '3DES'})`}`);
  row('initializing org', r.card.initializingOrg);
  row('issued', r.card.issueDate);
  row('valid until', r.card.expiryDate);
  printLine(c.bold('cardholder (SSSE/EF06)'));
  row('name', r.cardholder.name);
  row('ID number', r.cardholder.idNumber);
  row('sex', SEX_LABEL[r.cardholder.sex]);
  row('ethnicity', r.cardholder.ethnicity);
  row('birthplace', r.cardholder.birthplace);
  row('birth date', r.cardholder.birthDate);
}

export async function readCard(opts: ReadOptions): Promise<void> {
  const result = await withBlacklist(opts, (cardOptions) =>
    withSscCard(
      opts,
      async (card, source): Promise<ReadResult> => {
        const info = await card.readCardInfo();
        const cardholder = await card.readCardholder();
        const report = cardReportFromTerminal(source.where, toHex(card.atr), card.algorithm ?? null, info, cardholder);
        return { label: source.label, card: info, cardholder, report };
      },
      cardOptions,
    ),
  );
  if (opts.json === true) printLine(JSON.stringify(result.report, null, 2));
  else printResult(result);
}
