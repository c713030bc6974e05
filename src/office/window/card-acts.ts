import { IssuerTerminal } from '../../terminal/index.js';
import type { Role } from '../context.js';
import { OfficeArgumentError, OperationRefusedError } from '../errors.js';
import type { IssuedCard, PersonalizationVersion } from '../types.js';
import {
  applyCorrections,
  cardholderCorrection,
  windowCorrectionOperation,
  windowIssueOperation,
} from './card-making.js';
import type { MakeCard, WindowIssueInput } from './card-making.js';
import { checkChipHolder, onChip } from './chip.js';
import { guard, identify, presentedId } from './counter.js';
import type { WindowCard, WindowDesk } from './counter.js';
import type { ServiceWindow } from './service-window.js';
import { CardChangedNotRecordedError, CardIdentityMismatchError, OtherCardPresentedError } from './errors.js';

/*
 * The window's card acts: a card issued, and a correction (a new personalization version, the
 * card re-made from it or corrected in place on the chip at the counter).
 */

/** What a correction takes at the window (see ServiceWindow.correctCard). */
export type WindowCorrection = Parameters<ServiceWindow['correctCard']>[1];

/** Issues a card; a card made whose registration failed is reported as CARD_CHANGED_NOT_RECORDED. */
export async function issueCard(desk: WindowDesk, input: WindowIssueInput): Promise<IssuedCard> {
  if (typeof input?.makeCard !== 'function')
    throw new OfficeArgumentError('issueCard needs makeCard, the step that makes the card');
  let made: string | undefined;
  const makeCard: MakeCard = async (document, cardNumber) => {
    await input.makeCard(document, cardNumber);
    made = cardNumber;
  };
  try {
    return await desk.registry.perform(windowIssueOperation, desk.ctx, { ...input, makeCard });
  } catch (error) {
    if (made !== undefined && !(error instanceof OperationRefusedError)) {
      throw new CardChangedNotRecordedError(
        'issue_card',
        made,
        'the card made is not registered: discard it and issue again',
        { cause: error },
      );
    }
    throw error;
  }
}

/** A correction recorded, and the card re-made or corrected on the chip in the same operation. */
export async function correctCard(
  desk: WindowDesk,
  cardNumber: string,
  input: WindowCorrection,
): Promise<PersonalizationVersion> {
  if ((input.changes === undefined) === (input.document === undefined))
    throw new OfficeArgumentError('a correction takes either changes or a document');
  const roles: readonly Role[] = ['window', 'admin'];
  const chipStep =
    input.card === undefined ? undefined : await chipCorrection(desk, cardNumber, input.card, input, roles);
  let document = input.document;
  let baseVersion: number | undefined;
  if (input.changes !== undefined) {
    const current = await guard(desk, 'correct_personalization', roles, { cardNumber, idNumber: null }, () =>
      desk.registry.personalization(cardNumber),
    );
    document = applyCorrections(current.document, input.changes);
    baseVersion = current.version;
  }
  let made = false;
  const makeCard: MakeCard | undefined =
    input.makeCard === undefined
      ? undefined
      : async (doc, number) => {
          await input.makeCard?.(doc, number);
          made = true;
        };
  const writeCard =
    chipStep === undefined
      ? undefined
      : async () => {
          await chipStep();
          made = true;
        };
  try {
    return await desk.registry.perform(windowCorrectionOperation, desk.ctx, {
      cardNumber,
      document,
      reason: input.reason,
      ...(baseVersion === undefined ? {} : { baseVersion }),
      ...(makeCard === undefined ? {} : { makeCard }),
      ...(writeCard === undefined ? {} : { writeCard }),
      ...(input.validate === undefined ? {} : { validate: input.validate }),
    });
  } catch (error) {
    if (made && !(error instanceof OperationRefusedError)) {
      const what =
        writeCard === undefined
          ? 'the card re-made is not recorded: discard it and correct again'
          : 'the card was corrected but the registry did not record it: correct again';
      throw new CardChangedNotRecordedError('correct_personalization', cardNumber, what, { cause: error });
    }
    throw error;
  }
}

/** The chip step of an in-place correction, after checking the card is this card and holder's. */
async function chipCorrection(
  desk: WindowDesk,
  cardNumber: string,
  where: WindowCard,
  input: { changes?: Readonly<Record<string, string>>; makeCard?: MakeCard; idNumber?: string },
  roles: readonly Role[],
): Promise<() => Promise<void>> {
  if (input.changes === undefined || input.makeCard !== undefined)
    throw new OfficeArgumentError('a correction on a card in a reader takes changes, and no makeCard');
  const corrected = cardholderCorrection(input.changes);
  const idNumber = presentedId(input.idNumber ?? '');
  const name = 'correct_personalization';
  const { card, identity } = await identify(desk, where, name, roles, idNumber);
  const terminal = new IssuerTerminal(card, desk.psam);
  await guard(desk, name, roles, { cardNumber, idNumber }, async () => {
    if (identity.cardNumber !== cardNumber) throw new OtherCardPresentedError(cardNumber, identity.cardNumber);
    if (identity.cardIdentifier !== (await desk.registry.cardStatus(cardNumber)).cardIdentifier)
      throw new CardIdentityMismatchError(cardNumber);
    await onChip(name, cardNumber, () => checkChipHolder(terminal, idNumber, cardNumber));
  });
  return () => onChip(name, cardNumber, async () => void (await terminal.correctCardholder(corrected)));
}
