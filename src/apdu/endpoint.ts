/**
 * Something that answers APDU bytes like a card: the simulator implements it, the terminal's
 * in-memory transport and the vpcd bridge consume it. It lives with the bytes layer so none of
 * them has to import another to agree on it.
 *
 * `Answer` is what `transmit` gives back. A card answers at once (`Uint8Array`, the default); the
 * terminal also accepts `Uint8Array | Promise<Uint8Array>` so scripted test cards can answer
 * late, misbehave or never answer.
 */
export interface CardEndpoint<Answer extends Uint8Array | Promise<Uint8Array> = Uint8Array> {
  /** Current ATR. */
  readonly atr: Uint8Array;
  readonly powered: boolean;
  /** Returns the ATR. */
  powerOn(): Uint8Array;
  powerOff(): void;
  /** Returns the ATR; the card's security state is cleared. */
  reset(kind?: 'warm' | 'cold'): Uint8Array;
  /** Raw C-APDU -> raw R-APDU (data || SW1 SW2); bad input gets a status word, not an exception. */
  transmit(command: Uint8Array): Answer;
}
