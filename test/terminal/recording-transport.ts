import type { CardEvent, Transport } from '../../src/terminal/index.js';

/**
 * A transport with only the asynchronous `transmit` (no `transmitDirect`), for the channel's
 * transport seam: it records the time limit and reset kind the channel asks for, answers as the
 * test says, and raises card events only when the test emits them (it never fails an exchange
 * itself, as MemoryTransport does on removal: the channel has to).
 */
export class RecordingTransport implements Transport {
  readonly name = 'recording';
  readonly protocol = 'T=1' as const;
  readonly timeouts: (number | undefined)[] = [];
  readonly commands: Uint8Array[] = [];
  readonly resetKinds: string[] = [];
  closes = 0;
  #listener: ((e: CardEvent) => void) | undefined;

  constructor(
    private readonly answer: () => Promise<Uint8Array>,
    private readonly resetAnswer: () => unknown = () => Uint8Array.of(0x3b, 0x00),
  ) {}

  atr(): Uint8Array {
    return Uint8Array.of(0x3b, 0x00);
  }

  transmit(command: Uint8Array, opts?: { timeoutMs?: number }): Promise<Uint8Array> {
    this.commands.push(command.slice());
    this.timeouts.push(opts?.timeoutMs);
    return this.answer();
  }

  reset(kind: 'warm' | 'cold'): Promise<Uint8Array> {
    this.resetKinds.push(kind);
    return Promise.resolve(this.resetAnswer() as Uint8Array);
  }

  close(): Promise<void> {
    this.closes++;
    return Promise.resolve();
  }

  onEvent(listener: (e: CardEvent) => void): () => void {
    this.#listener = listener;
    return () => {
      this.#listener = undefined;
    };
  }

  emit(event: CardEvent): void {
    this.#listener?.(event);
  }
}
