import { blacklistTestSigningKey } from '../../keys/index.js';
import { signBlacklist } from '../../terminal/index.js';
import type {
  ApplicationBlockReport,
  BlacklistEntry,
  BlacklistQuery,
  BlacklistSource,
  SignedBlacklist,
} from '../../terminal/index.js';
import type { OperationContext } from '../context.js';
import { lockCard } from '../operations/cards.js';
import { cardOutcome } from '../operations/runner.js';
import type { OperationSpec } from '../operations/runner.js';
import type { CardSideState, Side } from '../states.js';
import type { Queryable } from '../storage/database.js';
import type { CardStatus } from '../types.js';
import { sideOf } from './checks.js';
import { setApplicationBlocked } from './store.js';
import type { ApplicationBlockedInput, BlacklistExport, BlacklistReason, BlacklistRow } from './types.js';

/*
 * The blacklist, from the registry's card states: a side that is lost (temporary or written),
 * replaced or blocked is listed, with that reason, by card number and card identifier (a POS
 * reads both from EF05). An inactive bank side is not listed: the chip itself refuses it.
 *
 * Offline terminals get it as a signed file (`export_blacklist`: a new version number from its
 * sequence, the issue time, the entries; signed with the issuer's Ed25519 key, see
 * terminal/blacklist/file.ts). Online terminals ask the registry through RegistryBlacklist, which
 * also takes their reports of applications they blocked on the spot (`application_blocked`).
 */

const LISTED = ['lost_temporary', 'lost_written', 'replaced', 'blocked'];

/** Why a side in `state` is listed, or undefined when it is not. */
export function blacklistReason(state: CardSideState | null): BlacklistReason | undefined {
  switch (state) {
    case 'lost_temporary':
    case 'lost_written':
      return 'lost';
    case 'replaced':
      return 'replaced';
    case 'blocked':
      return 'blocked';
    default:
      return undefined;
  }
}

interface ListedRow {
  card_number: string;
  card_identifier: string;
  ssc_status: CardSideState;
  bank_status: CardSideState | null;
}

function rowsOf(r: ListedRow): BlacklistRow[] {
  const out: BlacklistRow[] = [];
  for (const side of ['ssc', 'bank'] as const) {
    const reason = blacklistReason(side === 'ssc' ? r.ssc_status : r.bank_status);
    if (reason !== undefined) out.push({ cardNumber: r.card_number, cardIdentifier: r.card_identifier, side, reason });
  }
  return out;
}

/** Every listed side of every card, by card number. */
export async function blacklistRows(q: Queryable): Promise<BlacklistRow[]> {
  const r = await q.query<ListedRow>(
    `SELECT card_number, card_identifier, ssc_status, bank_status FROM cards
      WHERE ssc_status = ANY($1::text[]) OR bank_status = ANY($1::text[]) ORDER BY card_number`,
    [LISTED],
  );
  return r.rows.flatMap(rowsOf);
}

/** The listed sides of the card with this number or identifier. */
export async function blacklistRowsOf(q: Queryable, card: BlacklistQuery): Promise<BlacklistRow[]> {
  const r = await q.query<ListedRow>(
    'SELECT card_number, card_identifier, ssc_status, bank_status FROM cards WHERE card_number = $1 OR card_identifier = $2',
    [card.cardNumber, card.cardIdentifier],
  );
  return r.rows.flatMap(rowsOf);
}

export const exportBlacklistOperation: OperationSpec<Record<string, never>, BlacklistExport> = {
  name: 'export_blacklist',
  roles: ['admin'],
  subject: () => ({}),
  async run(tx, env) {
    const v = await tx.query<{ n: string | number }>("SELECT nextval('blacklist_version') AS n");
    const version = Number(v.rows[0]!.n);
    const entries = await blacklistRows(tx);
    const bySide = {
      ssc: entries.filter((e) => e.side === 'ssc').length,
      bank: entries.filter((e) => e.side === 'bank').length,
    };
    return { value: { version, issuedAt: env.now, entries }, details: { version, entries: entries.length, ...bySide } };
  },
};

/** Signs an export into the file terminals load (default key: the published TEST key). */
export function signedBlacklistFile(
  exported: BlacklistExport,
  signingKey: Uint8Array = blacklistTestSigningKey(),
): SignedBlacklist {
  return signBlacklist(
    {
      version: exported.version,
      issuedAt: exported.issuedAt,
      entries: exported.entries.map((e) => ({
        cardNumber: e.cardNumber,
        cardIdentifier: e.cardIdentifier,
        side: e.side,
        reason: e.reason,
      })),
    },
    signingKey,
  );
}

/** A terminal blocked the side's application on the chip: the registry notes it (a window lifts it with the card). */
export const applicationBlockedOperation: OperationSpec<ApplicationBlockedInput, CardStatus> = {
  name: 'application_blocked',
  roles: ['pos', 'bank', 'window', 'admin'],
  subject: (i) => ({ cardNumber: i.cardNumber }),
  async run(tx, env, input) {
    const side: Side = sideOf(input.side);
    const card = await lockCard(tx, input.cardNumber);
    const state = side === 'ssc' ? card.ssc : card.bank;
    await setApplicationBlocked(tx, card.cardNumber, side, true);
    return cardOutcome(card, card, { side, reason: input.reason, state, listed: blacklistReason(state) !== undefined });
  },
};

/** What RegistryBlacklist needs of the registry (kept narrow so the adapter is easy to fake). */
export interface BlacklistRegistry {
  blacklistOf(card: BlacklistQuery): Promise<BlacklistRow[]>;
  recordApplicationBlocked(ctx: OperationContext, input: ApplicationBlockedInput): Promise<CardStatus>;
  readonly location: string;
}

/**
 * The registry as a terminal's BlacklistSource (online): lookups read the cards' states now;
 * a terminal's block on the spot is recorded as `application_blocked` under its context.
 */
export class RegistryBlacklist implements BlacklistSource {
  private readonly registry: BlacklistRegistry;
  private readonly ctx: OperationContext;

  constructor(registry: BlacklistRegistry, ctx: OperationContext) {
    this.registry = registry;
    this.ctx = ctx;
  }

  get description(): string {
    return `registry ${this.registry.location}`;
  }

  async lookup(card: BlacklistQuery): Promise<readonly BlacklistEntry[]> {
    return (await this.registry.blacklistOf(card)).map((r) => ({ side: r.side, reason: r.reason }));
  }

  async reportBlocked(report: ApplicationBlockReport): Promise<void> {
    const rows = await this.registry.blacklistOf(report);
    const cardNumber = rows[0]?.cardNumber ?? report.cardNumber;
    await this.registry.recordApplicationBlocked(this.ctx, { cardNumber, side: report.side, reason: report.reason });
  }
}
