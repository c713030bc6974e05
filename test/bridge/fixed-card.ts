import { fromHex, toHex, type CardEndpoint } from '../../src/apdu/index.js';

/*
 * A tiny card for the bridge's own tests: it answers from a table keyed by the C-APDU's hex
 * (falling back to `fallback`, by default INS echo || 9000), records what it was asked, and knows
 * power state. It stands in for the card OS at the CardEndpoint seam; the simulator itself is run
 * behind the bridge by the card's own PC/SC suites.
 */
export class FixedCard implements CardEndpoint {
  readonly atr: Uint8Array;
  readonly commands: Uint8Array[] = [];
  readonly controls: string[] = [];
  #powered = false;
  readonly #answers = new Map<string, Uint8Array | (() => Uint8Array)>();
  fallback: (command: Uint8Array) => Uint8Array = (c) => Uint8Array.of(c[1] ?? 0, 0x90, 0x00);

  constructor(atrHex = '3B 80 80 01 01', answers: Record<string, string | (() => Uint8Array)> = {}) {
    this.atr = fromHex(atrHex);
    for (const [command, answer] of Object.entries(answers)) {
      this.#answers.set(toHex(fromHex(command)), typeof answer === 'string' ? fromHex(answer) : answer);
    }
  }

  get powered(): boolean {
    return this.#powered;
  }

  powerOn(): Uint8Array {
    this.controls.push('power-on');
    this.#powered = true;
    return this.atr;
  }

  powerOff(): void {
    this.controls.push('power-off');
    this.#powered = false;
  }

  reset(kind: 'warm' | 'cold' = 'warm'): Uint8Array {
    this.controls.push(`reset-${kind}`);
    this.#powered = true;
    return this.atr;
  }

  transmit(command: Uint8Array): Uint8Array {
    this.commands.push(command.slice());
    const answer = this.#answers.get(toHex(command));
    if (answer === undefined) return this.fallback(command);
    return typeof answer === 'function' ? answer() : answer;
  }
}
