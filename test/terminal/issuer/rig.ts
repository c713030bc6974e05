import type { CardEndpoint } from '../../../src/apdu/index.js';
import {
  type SimulatedCard,
  buildSscCard,
  samplePerson,
  type PersonalizationDocument,
} from '../../../src/card-sim/index.js';
import type { SscKeyName } from '../../../src/keys/index.js';
import {
  IssuerTerminal,
  MemoryTransport,
  PinBlockedError,
  PinIncorrectError,
  SoftwarePsam,
  SscCard,
  type IssuerSecureModule,
  type TraceEvent,
} from '../../../src/terminal/index.js';

/** Every master key a window and a bank branch hold together (test keys). */
export const WINDOW_KEYS: readonly SscKeyName[] = [
  'RKSSSE',
  'PIN_UNBLOCK',
  'PIN_RELOAD',
  'BANK_PIN_UNBLOCK',
  'BANK_PIN_RELOAD',
];

/** The simulated card's endpoint, recording every command's raw bytes (to replay them later). */
export class RecordingCard implements CardEndpoint {
  readonly sent: Uint8Array[] = [];

  constructor(readonly sim: SimulatedCard) {}

  get atr(): Uint8Array {
    return this.sim.atr;
  }

  get powered(): boolean {
    return this.sim.powered;
  }

  powerOn(): Uint8Array {
    return this.sim.powerOn();
  }

  powerOff(): void {
    this.sim.powerOff();
  }

  reset(kind?: 'warm' | 'cold'): Uint8Array {
    return this.sim.reset(kind);
  }

  transmit(command: Uint8Array): Uint8Array {
    this.sent.push(command.slice());
    return this.sim.transmit(command);
  }
}

export interface WindowRig {
  sim: SimulatedCard;
  recorder: RecordingCard;
  card: SscCard;
  window: IssuerTerminal;
  trace: TraceEvent[];
}

export interface RigOptions {
  /** The window's secure module; default a SoftwarePsam with WINDOW_KEYS. */
  psam?: IssuerSecureModule;
  /** A card to use instead of a fresh one built from `person`. */
  sim?: SimulatedCard;
  /** Changes to the sample person's document before the card is built. */
  edit?: (doc: PersonalizationDocument) => void;
  random?: (n: number) => Uint8Array;
}

/**
 * A window terminal over a simulated card of sample person `person`. The SscCard lets the
 * initial PIN through (the window checks PINs, it does not transact).
 */
export async function windowRig(person: string, opts: RigOptions = {}): Promise<WindowRig> {
  const doc = samplePerson(person);
  opts.edit?.(doc);
  const sim = opts.sim ?? buildSscCard(doc, opts.random === undefined ? {} : { random: opts.random });
  const recorder = new RecordingCard(sim);
  const psam = opts.psam ?? SoftwarePsam.withTestKeys(WINDOW_KEYS);
  const trace: TraceEvent[] = [];
  const card = await SscCard.open(new MemoryTransport(recorder), {
    psam,
    refuseInitialPin: false,
    trace: (e) => trace.push(e),
  });
  return { sim, recorder, card, window: new IssuerTerminal(card, psam), trace };
}

/** `n` wrong application PINs (each different from `right`). */
export async function wrongAppPins(card: SscCard, n: number, right = '123456'): Promise<void> {
  for (let i = 0; i < n; i++) {
    const wrong = right === '000000' ? '111111' : '000000';
    await card.verifyPin(wrong).catch((e: unknown) => {
      if (!(e instanceof PinIncorrectError || e instanceof PinBlockedError)) throw e;
    });
  }
}

/** Three wrong bank PINs: the bank PIN is blocked. */
export async function blockBankPin(card: SscCard): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await card.bank.verifyPin('000000').catch((e: unknown) => {
      if (!(e instanceof PinIncorrectError || e instanceof PinBlockedError)) throw e;
    });
  }
}

/** The card's persistent state as JSON (PIN records, key counters, files). */
export const stateJson = (sim: SimulatedCard): string => JSON.stringify(sim.exportState());
