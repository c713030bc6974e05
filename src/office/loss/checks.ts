import type { Role } from '../context.js';
import {
  BankPinCheckFailedError,
  InitialPinSelfServiceError,
  NameMismatchError,
  OfficeArgumentError,
  OutsideOfficeHoursError,
  ProxyIdRequiredError,
  RoleNotAllowedError,
} from '../errors.js';
import { checkHolder } from '../operations/cards.js';
import type { OperationEnv } from '../operations/runner.js';
import type { Side } from '../states.js';
import type { CardStatus } from '../types.js';
import { chinaTimeText, describeOfficeHours, withinOfficeHours } from './settings.js';
import type { LossSettings } from './settings.js';
import { LOSS_CHANNELS, LOSS_DOCUMENTS } from './types.js';
import type { BankPinCheck, LossChannel, LossDocument, LossReportInput } from './types.js';

/*
 * The checks a loss report, its withdrawal and a replacement share: which terminal may take which
 * channel for which side, and who the person at the other end is.
 */

/**
 * Roles by channel and side. The social-security side: self-service through the 12333 voice menu
 * (hotline) or the portal, manual through a hotline operator, written at a service window. The
 * bank side: all three through the bank (its e-channels, its operators, its branches). Admin may
 * do anything (corrections by the issuer's staff, recorded as such).
 */
export const LOSS_ROLES: Readonly<Record<LossChannel, Readonly<Record<Side, readonly Role[]>>>> = {
  self: { ssc: ['hotline', 'portal', 'admin'], bank: ['bank', 'admin'] },
  manual: { ssc: ['hotline', 'admin'], bank: ['bank', 'admin'] },
  written: { ssc: ['window', 'admin'], bank: ['bank', 'admin'] },
};

/** Every role some loss channel allows (the operations' role list; the finer check is requireLossRole). */
export const ANY_LOSS_ROLE: readonly Role[] = ['window', 'bank', 'hotline', 'portal', 'admin'];

const ID_NUMBER = /^[0-9]{17}[0-9X]$/;

export function sideOf(side: unknown): Side {
  if (side !== 'ssc' && side !== 'bank')
    throw new OfficeArgumentError(`side must be 'ssc' or 'bank', got ${JSON.stringify(side)}`);
  return side;
}

export function channelOf(channel: unknown): LossChannel {
  if (!(LOSS_CHANNELS as readonly unknown[]).includes(channel)) {
    throw new OfficeArgumentError(`channel must be one of ${LOSS_CHANNELS.join(', ')}, got ${JSON.stringify(channel)}`);
  }
  return channel as LossChannel;
}

export function documentOf(document: unknown): LossDocument {
  if (document === undefined) return 'id';
  if (!(LOSS_DOCUMENTS as readonly unknown[]).includes(document)) {
    throw new OfficeArgumentError(
      `document must be one of ${LOSS_DOCUMENTS.join(', ')}, got ${JSON.stringify(document)}`,
    );
  }
  return document as LossDocument;
}

function sideName(side: Side): string {
  return side === 'ssc' ? 'social security side' : 'bank side';
}

/** The terminal's role must take `channel` for `side`. */
export function requireLossRole(role: Role, channel: LossChannel, side: Side, what: string): void {
  const allowed = LOSS_ROLES[channel][side];
  if (!allowed.includes(role))
    throw new RoleNotAllowedError(`a ${channel} ${what} of the ${sideName(side)}`, role, allowed);
}

/** Names compare without spaces and in one Unicode form (the operator types what the caller says). */
function sameName(a: string, b: string): boolean {
  const norm = (s: string) => s.normalize('NFC').replace(/\s+/gu, '');
  return norm(a) === norm(b);
}

/**
 * Who acts for the holder: a proxy's ID number (written channel only; a proxy brings both IDs).
 * Returns the proxy's ID number or null.
 */
export function proxyOf(
  card: CardStatus,
  channel: LossChannel,
  ctxChannel: string,
  proxyIdNumber: unknown,
  operation: string,
): string | null {
  if (proxyIdNumber === undefined || proxyIdNumber === null || proxyIdNumber === '') {
    if (ctxChannel === 'proxy') throw new ProxyIdRequiredError(operation);
    return null;
  }
  if (channel !== 'written') throw new OfficeArgumentError('a proxy acts in writing (channel written), with both IDs');
  if (typeof proxyIdNumber !== 'string' || !ID_NUMBER.test(proxyIdNumber.toUpperCase())) {
    throw new OfficeArgumentError("proxyIdNumber must be an ID number: 17 digits and a digit or 'X'");
  }
  const proxy = proxyIdNumber.toUpperCase();
  if (proxy === card.idNumber) throw new ProxyIdRequiredError(operation);
  return proxy;
}

/** What the identity checks found, for the history. */
export interface ReporterFacts {
  document: LossDocument | null;
  proxyIdNumber: string | null;
}

/**
 * The identity checks of a loss report or withdrawal through `channel`:
 *   self:    the application PIN is no longer the initial one; an ID number given must match;
 *   manual:  within office hours; card number, name and ID number all match;
 *   written: the ID number on the document shown matches (the kind of document is recorded);
 *            by proxy, the proxy's own ID number too.
 */
export function checkReporter(
  card: CardStatus,
  channel: LossChannel,
  input: LossReportInput,
  env: OperationEnv,
  settings: LossSettings,
  operation: string,
): ReporterFacts {
  switch (channel) {
    case 'self':
      if (card.pinInitial) throw new InitialPinSelfServiceError(card.cardNumber);
      if (input.idNumber !== undefined) checkHolder(card, input.idNumber);
      return { document: null, proxyIdNumber: proxyOf(card, channel, env.ctx.channel, input.proxyIdNumber, operation) };
    case 'manual': {
      if (!withinOfficeHours(env.now, settings.officeHours)) {
        throw new OutsideOfficeHoursError(chinaTimeText(env.now), describeOfficeHours(settings.officeHours));
      }
      if (typeof input.name !== 'string' || input.name.trim() === '' || typeof input.idNumber !== 'string') {
        throw new OfficeArgumentError('a manual report takes the card number, the name and the ID number');
      }
      checkHolder(card, input.idNumber);
      if (!sameName(input.name, card.holderName)) throw new NameMismatchError(card.cardNumber);
      return { document: null, proxyIdNumber: proxyOf(card, channel, env.ctx.channel, input.proxyIdNumber, operation) };
    }
    case 'written': {
      const document = documentOf(input.document);
      if (typeof input.idNumber !== 'string')
        throw new OfficeArgumentError('a written report takes the ID number on the document shown');
      const proxyIdNumber = proxyOf(card, channel, env.ctx.channel, input.proxyIdNumber, operation);
      checkHolder(card, input.idNumber);
      return { document, proxyIdNumber };
    }
  }
}

/** Runs the bank PIN check of a written bank-side act inside the operation; its failure refuses it. */
export async function runBankPinCheck(
  env: OperationEnv,
  card: CardStatus,
  check: BankPinCheck | undefined,
): Promise<'card' | 'bank_system'> {
  if (check === undefined || typeof check.check !== 'function' || (check.on !== 'card' && check.on !== 'bank_system')) {
    throw new OfficeArgumentError(
      "a written bank-side report takes bankPinCheck { on: 'card' | 'bank_system', check }",
    );
  }
  await env.cardSide(async () => {
    try {
      await check.check(card);
    } catch (err) {
      throw new BankPinCheckFailedError(check.on, err);
    }
  }, undefined);
  return check.on;
}

/** The history's subject of an act on a card: the card, and the holder's ID number when one was given as text. */
export function cardHolderSubject(input: { cardNumber: string; idNumber?: unknown }): {
  cardNumber: string;
  idNumber: string | null;
} {
  return { cardNumber: input.cardNumber, idNumber: typeof input.idNumber === 'string' ? input.idNumber : null };
}
