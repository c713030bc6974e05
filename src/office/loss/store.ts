import type { OperationContext } from '../context.js';
import { assertNoSecrets } from '../operations/runner.js';
import type { Side } from '../states.js';
import type { Queryable } from '../storage/database.js';
import type { CardStatus } from '../types.js';
import { activationFrom, activationWindow } from './activation.js';
import type { LossSettings } from './settings.js';
import type { LossChannel, LossDocument, LossReport, LossReportState, LossStatus } from './types.js';

/*
 * The loss tables' reads and writes (schema.ts), shared by the loss operations and lookups.
 */

interface ReportRow {
  id: string | number;
  card_number: string;
  side: Side;
  channel: LossChannel;
  document: LossDocument | null;
  proxy_id_number: string | null;
  reported_at: Date | string;
  state: LossReportState;
  settled_at: Date | string | null;
}

const REPORT_COLUMNS = 'id, card_number, side, channel, document, proxy_id_number, reported_at, state, settled_at';

function date(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

function toReport(r: ReportRow): LossReport {
  return {
    id: Number(r.id),
    cardNumber: r.card_number,
    side: r.side,
    channel: r.channel,
    document: r.document,
    proxyIdNumber: r.proxy_id_number,
    reportedAt: date(r.reported_at),
    state: r.state,
    settledAt: r.settled_at === null ? null : date(r.settled_at),
  };
}

/** Every loss report of a card, oldest first. */
export async function reportsOf(q: Queryable, cardNumber: string): Promise<LossReport[]> {
  const r = await q.query<ReportRow>(`SELECT ${REPORT_COLUMNS} FROM loss_reports WHERE card_number = $1 ORDER BY id`, [
    cardNumber,
  ]);
  return r.rows.map(toReport);
}

/** The open report of one side of a card, if any. */
export async function openReport(q: Queryable, cardNumber: string, side: Side): Promise<LossReport | undefined> {
  const r = await q.query<ReportRow>(
    `SELECT ${REPORT_COLUMNS} FROM loss_reports WHERE card_number = $1 AND side = $2 AND state = 'open'`,
    [cardNumber, side],
  );
  return r.rows[0] === undefined ? undefined : toReport(r.rows[0]);
}

/** Settles the open report(s) of a card (one side, or both) as `state`; returns how many. */
export async function settleOpenReports(
  tx: Queryable,
  cardNumber: string,
  side: Side | 'both',
  state: Exclude<LossReportState, 'open'>,
  now: Date,
): Promise<number> {
  const r = await tx.query(
    `UPDATE loss_reports SET state = $3, settled_at = $4::timestamptz
      WHERE card_number = $1 AND state = 'open' AND ($2 = 'both' OR side = $2)`,
    [cardNumber, side, state, now.toISOString()],
  );
  return r.rowCount;
}

export async function insertReport(
  tx: Queryable,
  report: {
    cardNumber: string;
    side: Side;
    channel: LossChannel;
    document: LossDocument | null;
    proxyIdNumber: string | null;
  },
  now: Date,
): Promise<number> {
  const r = await tx.query<{ id: string | number }>(
    `INSERT INTO loss_reports (card_number, side, channel, document, proxy_id_number, reported_at)
     VALUES ($1, $2, $3, $4, $5, $6::timestamptz) RETURNING id`,
    [report.cardNumber, report.side, report.channel, report.document, report.proxyIdNumber, now.toISOString()],
  );
  return Number(r.rows[0]!.id);
}

/** Whether a terminal reported the side's application blocked on the chip. */
export async function applicationBlocked(q: Queryable, cardNumber: string, side: Side): Promise<boolean> {
  const r = await q.query<{ blocked: boolean }>(
    `SELECT ${side === 'ssc' ? 'ssc_application_blocked' : 'bank_application_blocked'} AS blocked FROM cards WHERE card_number = $1`,
    [cardNumber],
  );
  return r.rows[0]?.blocked === true;
}

export async function setApplicationBlocked(
  tx: Queryable,
  cardNumber: string,
  side: Side,
  blocked: boolean,
): Promise<void> {
  await tx.query(
    `UPDATE cards SET ${side === 'ssc' ? 'ssc_application_blocked' : 'bank_application_blocked'} = $2 WHERE card_number = $1`,
    [cardNumber, blocked],
  );
}

/**
 * A history entry about another card than the one the operation names (a replacement's new
 * card), written inside the operation's transaction so that a refusal rolls it back too.
 */
export async function appendHistory(
  tx: Queryable,
  now: Date,
  ctx: OperationContext,
  entry: { operation: string; cardNumber: string; idNumber: string; details: Record<string, unknown> },
): Promise<void> {
  assertNoSecrets(entry.details, 'history details');
  await tx.query(
    `INSERT INTO history (at, terminal_id, role, channel, operation, card_number, id_number, result, reason, details)
     VALUES ($1::timestamptz, $2, $3, $4, $5, $6, $7, 'ok', NULL, $8::jsonb)`,
    [
      now.toISOString(),
      ctx.terminalId,
      ctx.role,
      ctx.channel,
      entry.operation,
      entry.cardNumber,
      entry.idNumber,
      JSON.stringify(entry.details),
    ],
  );
}

/** The card's reports, chip blocks and bank activation window (Registry.lossStatus). */
export async function lossStatusOf(
  q: Queryable,
  card: CardStatus,
  now: Date,
  settings: LossSettings,
): Promise<LossStatus> {
  const reports = await reportsOf(q, card.cardNumber);
  const flags = await q.query<{ ssc: boolean; bank: boolean }>(
    'SELECT ssc_application_blocked AS ssc, bank_application_blocked AS bank FROM cards WHERE card_number = $1',
    [card.cardNumber],
  );
  const from = card.bank === 'inactive' ? await activationFrom(q, card.cardNumber) : undefined;
  return {
    cardNumber: card.cardNumber,
    reports,
    applicationBlocked: { ssc: flags.rows[0]?.ssc === true, bank: flags.rows[0]?.bank === true },
    bankActivation: from === undefined ? null : activationWindow(card, from, now, settings),
  };
}
