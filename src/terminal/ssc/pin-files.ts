import type { AbortOptions } from '../abort.js';
import type { CardSession } from '../channel.js';
import type { ApplicationPin } from './pin.js';
import { readCyclicDecoded } from './records.js';
import type { Location, SscSession } from './session.js';

/** What a fixed record's layout (src/records) gives a reader: its length and its decoding. */
interface RecordCodec<T> {
  readonly length: number;
  decode(bytes: Uint8Array): T;
}

/**
 * The files of one DF under SSSE that the card opens after the application PIN (DF02, DF03,
 * DF10): each read selects the DF inside the PIN's protected block, so the initial-PIN policy and
 * the hint to verify first apply to all of them alike.
 */
export abstract class PinProtectedFiles {
  protected abstract readonly df: Location;

  constructor(
    protected readonly session: SscSession,
    protected readonly pin: ApplicationPin,
  ) {}

  /** Runs `read` with the DF selected, after the PIN (see ApplicationPin.protectedRead). */
  protected readInDf<T>(read: (s: CardSession) => Promise<T>, opts: AbortOptions | undefined): Promise<T> {
    return this.pin.protectedRead(async (s) => {
      await this.session.goTo(s, this.df);
      return read(s);
    }, opts);
  }

  /**
   * The records of the DF's cyclic file `sfi`, newest first, each decoded by the file's record
   * layout, which also gives the length every record must have (see readCyclicDecoded).
   */
  protected readCyclic<T>(
    sfi: number,
    layout: RecordCodec<T>,
    what: string,
    opts: AbortOptions | undefined,
  ): Promise<T[]> {
    return this.readInDf((s) => readCyclicDecoded(s, sfi, layout.length, what, (bytes) => layout.decode(bytes)), opts);
  }
}
