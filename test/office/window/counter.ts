import { buildSscCard, validatePersonalization } from '../../../src/card-sim/index.js';
import type { SimulatedCard } from '../../../src/card-sim/index.js';
import { ServiceWindow } from '../../../src/office/index.js';
import type { CardStatus, OperationContext, Registry, ServiceWindowOptions } from '../../../src/office/index.js';
import {
  CardChannel,
  MemoryTransport,
  PinBlockedError,
  PinIncorrectError,
  SoftwarePsam,
  SscCard,
} from '../../../src/terminal/index.js';
import type { IssuerSecureModule, TraceEvent } from '../../../src/terminal/index.js';
import { BANK, WINDOW, describeBackends, manualClock, personDocument } from '../fixtures.js';

/*
 * The counter for the window suites: cards issued through the window with their chips made in
 * memory, the window's and the bank's secure modules (test keys), and the card's persistent state
 * to compare before and after a refusal.
 */

/**
 * A window suite on both backends (see describeBackends), the registry's clock standing at
 * 2025-06-02 09:30 in Beijing; `reg` is the registry of the backend the suite runs on.
 */
export function describeWindowSuite(title: string, suite: (reg: () => Registry) => void): void {
  describeBackends(title, (backend) => suite(() => backend().registry), {
    clock: manualClock('2025-06-02T01:30:00Z'),
  });
}

/** A window's module: RKSSSE for EF06 of 3.00 cards, and the application PIN's keys. */
export const windowPsam = (): SoftwarePsam => SoftwarePsam.withTestKeys(['RKSSSE', 'PIN_UNBLOCK', 'PIN_RELOAD']);
/** A bank branch's module. */
export const bankPsam = (): SoftwarePsam =>
  SoftwarePsam.withTestKeys(['RKSSSE', 'BANK_PIN_UNBLOCK', 'BANK_PIN_RELOAD', 'BANK_APP_CONTROL']);

export function windowAt(
  registry: Registry,
  options: ServiceWindowOptions = {},
  ctx: OperationContext = WINDOW,
  psam: IssuerSecureModule = windowPsam(),
): ServiceWindow {
  return new ServiceWindow(registry, ctx, psam, options);
}

export function bankAt(registry: Registry, ctx: OperationContext = BANK): ServiceWindow {
  return new ServiceWindow(registry, ctx, bankPsam());
}

export interface IssuedChip {
  doc: Record<string, unknown>;
  idNumber: string;
  card: CardStatus;
  chip: SimulatedCard;
  /** The document as the registry stored it (the chip was made from it). */
  stored: Record<string, unknown>;
}

/** Issues a card at the window: the registry records it, the chip is made from the stored document. */
export async function issueChip(
  registry: Registry,
  opts: Parameters<typeof personDocument>[0] = {},
): Promise<IssuedChip> {
  const doc = personDocument(opts);
  let chip: SimulatedCard | undefined;
  const issued = await windowAt(registry).issueCard({
    document: doc,
    validate: (d) => void validatePersonalization(d),
    makeCard: (document) => {
      chip = buildSscCard(document);
    },
  });
  if (chip === undefined) throw new Error('the window did not make the chip');
  const idNumber = (doc['person'] as { idNumber: string }).idNumber;
  return { doc, idNumber, card: issued.card, chip, stored: issued.document };
}

/** A fresh channel to the chip (a reader at the counter), with every exchange traced. */
export function insert(chip: SimulatedCard, trace?: TraceEvent[]): CardChannel {
  const channel = new CardChannel(new MemoryTransport(chip, { name: 'counter' }));
  if (trace !== undefined) channel.subscribe((e) => trace.push(e));
  return channel;
}

/** Runs `fn` with the chip in a reader at the counter, closing the channel afterwards. */
export async function atCounter<T>(
  chip: SimulatedCard,
  fn: (channel: CardChannel) => Promise<T>,
  trace?: TraceEvent[],
): Promise<T> {
  const channel = insert(chip, trace);
  try {
    return await fn(channel);
  } finally {
    await channel.close();
  }
}

/** The holder at a pharmacy: `n` wrong application PINs. */
export async function wrongPinsAtPharmacy(chip: SimulatedCard, n = 3): Promise<void> {
  await atCounter(chip, async (channel) => {
    const card = await SscCard.open(channel);
    for (let i = 0; i < n; i++) {
      await card.verifyPin('000000').catch((e: unknown) => {
        if (!(e instanceof PinIncorrectError || e instanceof PinBlockedError)) throw e;
      });
    }
  });
}

/** The holder at an ATM: three wrong bank PINs. */
export async function wrongBankPinsAtAtm(chip: SimulatedCard): Promise<void> {
  await atCounter(chip, async (channel) => {
    const card = await SscCard.open(channel);
    for (let i = 0; i < 3; i++) {
      await card.bank.verifyPin('000000').catch((e: unknown) => {
        if (!(e instanceof PinIncorrectError || e instanceof PinBlockedError)) throw e;
      });
    }
  });
}

/** What the chip says about its PINs, and whether `pin` verifies (spends a try when wrong). */
export async function chipPin(chip: SimulatedCard): Promise<{ blocked: boolean; triesLeft: number | null }> {
  return atCounter(chip, async (channel) => {
    const s = await (await SscCard.open(channel)).pinStatus();
    return { blocked: s.blocked, triesLeft: s.triesLeft };
  });
}

export async function bankTries(chip: SimulatedCard): Promise<number> {
  return atCounter(chip, async (channel) => (await SscCard.open(channel)).bank.pinTriesLeft());
}

/** Whether the application PIN `pin` verifies on the chip. */
export async function verifies(chip: SimulatedCard, pin: string): Promise<boolean> {
  return atCounter(chip, async (channel) => {
    const card = await SscCard.open(channel, { refuseInitialPin: false });
    return card.verifyPin(pin).then(
      () => true,
      (e: unknown) => {
        if (e instanceof PinIncorrectError) return false;
        throw e;
      },
    );
  });
}

export async function bankVerifies(chip: SimulatedCard, pin: string): Promise<boolean> {
  return atCounter(chip, async (channel) => {
    const card = await SscCard.open(channel);
    return card.bank.verifyPin(pin).then(
      () => true,
      (e: unknown) => {
        if (e instanceof PinIncorrectError) return false;
        throw e;
      },
    );
  });
}

/** The chip's persistent state (PIN records, key counters, files) as JSON. */
export const stateOf = (chip: SimulatedCard): string => JSON.stringify(chip.exportState());

/** The history of a card as 'operation:result[:reason]'. */
export async function story(registry: Registry, cardNumber: string): Promise<string[]> {
  return (await registry.history(cardNumber)).map(
    (e) => `${e.operation}:${e.result}${e.reason === null ? '' : `:${e.reason}`}`,
  );
}
