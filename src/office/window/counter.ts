import { CardChannel, SscCard } from '../../terminal/index.js';
import type { IssuerSecureModule } from '../../terminal/index.js';
import type { OperationContext, Role } from '../context.js';
import { OfficeArgumentError, OperationRefusedError, RoleNotAllowedError } from '../errors.js';
import type { Registry } from '../registry.js';
import { isFinalState } from '../states.js';
import { cardRefusal, onChip, readIdentity } from './chip.js';
import type { ChipIdentity } from './chip.js';
import { refusalOperation } from './pin-operations.js';
import type { WindowSettings } from './settings.js';

/*
 * The counter's steps every act shares: the ID number presented, the card at the counter opened
 * and identified, and a step run so that its refusal is recorded in the registry's history.
 */

/** The card at the counter: an open SscCard (opened with a module holding RKSSSE, so that EF06 of
 * 3.00 cards can be read), or a channel the window opens the card on with its own module. */
export type WindowCard = SscCard | CardChannel;

/** What a window act works with: the registry, who acts, the issuer's secure module, the settings. */
export interface WindowDesk {
  readonly registry: Registry;
  readonly ctx: OperationContext;
  readonly psam: IssuerSecureModule;
  readonly settings: WindowSettings;
}

/** The card and person a history entry is about. */
export interface Subject {
  cardNumber: string | null;
  idNumber: string | null;
}

/** The ID number on the holder's document, trimmed and upper-cased. */
export function presentedId(idNumber: string): string {
  if (typeof idNumber !== 'string' || idNumber.trim() === '')
    throw new OfficeArgumentError("idNumber must be the ID number on the holder's document");
  return idNumber.trim().toUpperCase();
}

/**
 * The role (refused and recorded before the card is touched), then the card at the counter and
 * its EF05 (a chip that cannot be opened or read is refused against the holder's live card).
 */
export async function identify(
  desk: WindowDesk,
  where: WindowCard,
  name: string,
  roles: readonly Role[],
  idNumber: string,
): Promise<{ card: SscCard; identity: ChipIdentity }> {
  if (!roles.includes(desk.ctx.role)) {
    const refusal = new RoleNotAllowedError(name, desk.ctx.role, roles);
    await desk.registry.perform(refusalOperation(name, roles), desk.ctx, { cardNumber: null, idNumber, refusal });
  }
  const card = await guard(
    desk,
    name,
    roles,
    () => liveCardOf(desk.registry, idNumber),
    () => openAtCounter(desk, where),
  );
  const identity = await guard(
    desk,
    name,
    roles,
    () => liveCardOf(desk.registry, idNumber),
    () => onChip(name, undefined, () => readIdentity(card)),
  );
  return { card, identity };
}

/**
 * Runs `step`; a refusal (or a card failure, turned into one) is recorded under the act's name
 * and thrown. `subject` (or a function finding it, only called on a refusal) names the card and
 * person the history entry is about.
 */
export async function guard<T>(
  desk: WindowDesk,
  name: string,
  roles: readonly Role[],
  subject: Subject | (() => Promise<Subject>),
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const about = typeof subject === 'function' ? await subject() : subject;
    const refusal = cardRefusal(name, error, about.cardNumber ?? undefined);
    if (!(refusal instanceof OperationRefusedError)) throw refusal;
    return desk.registry.perform(refusalOperation(name, roles), desk.ctx, { ...about, refusal });
  }
}

/** The card at the counter as an SscCard (opened with the window's module on a bare channel). */
async function openAtCounter(desk: WindowDesk, where: WindowCard): Promise<SscCard> {
  if (where instanceof SscCard) return where;
  if (where instanceof CardChannel) return SscCard.open(where, { psam: desk.psam, pinPolicy: desk.settings.pinPolicy });
  throw new OfficeArgumentError('the card must be an open SscCard or a CardChannel');
}

/** The holder's one live card in the registry, for a refusal about a chip that could not be read. */
async function liveCardOf(registry: Registry, idNumber: string): Promise<Subject> {
  try {
    const live = (await registry.cardsOf(idNumber)).filter((c) => !isFinalState(c.ssc));
    return { cardNumber: live.length === 1 ? live[0]!.cardNumber : null, idNumber };
  } catch {
    return { cardNumber: null, idNumber };
  }
}
