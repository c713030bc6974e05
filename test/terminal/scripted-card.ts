import { decodeCommand, encodeResponse, toHex, type DecodedCommandApdu } from '../../src/apdu/index.js';
import { ResponderEndpoint } from '../../src/terminal/transport.js';

/**
 * A card whose answers a test scripts, for exercising the channel layer at the transport seam.
 * It logs every command it receives (as hex) and can answer late or never. It is the SDK's own
 * responder card (ATR 3B 00), unpowered until a transport powers it, counting its resets.
 */
export type ScriptedAnswer = Uint8Array | Promise<Uint8Array>;

export class ScriptedCard extends ResponderEndpoint {
  readonly log: string[];
  resets = 0;

  constructor(answer: (cmd: DecodedCommandApdu | undefined, raw: Uint8Array) => ScriptedAnswer) {
    const log: string[] = [];
    super(
      (command) => {
        log.push(toHex(command, { spaces: true }));
        let decoded: DecodedCommandApdu | undefined;
        try {
          decoded = decodeCommand(command);
        } catch {
          decoded = undefined;
        }
        return answer(decoded, command);
      },
      Uint8Array.of(0x3b, 0x00),
    );
    this.log = log;
    this.powered = false;
  }

  override reset(): Uint8Array {
    this.resets++;
    return super.reset();
  }
}

export const ok = (data: Uint8Array = new Uint8Array(0)): Uint8Array => encodeResponse(data, 0x9000);
/** The answer `data || SW` (what `ok` is for 9000), for a card to give. */
export const reply = (sw: number, data: Uint8Array = new Uint8Array(0)): Uint8Array => encodeResponse(data, sw);
export const never = (): Promise<Uint8Array> => new Promise<Uint8Array>(() => {});
export const bytes = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);

/**
 * A T=0-style card: answers every non-GET-RESPONSE command with 61xx and hands out `body` in
 * GET RESPONSE chunks of at most `chunk` bytes (256 announced as 6100).
 */
export function t0Card(body: Uint8Array, chunk = 256): ScriptedCard {
  let rest = new Uint8Array(0);
  const announce = (): Uint8Array => {
    if (rest.length === 0) return ok();
    const n = Math.min(chunk, rest.length);
    return reply(0x6100 | (n & 0xff));
  };
  return new ScriptedCard((cmd) => {
    if (cmd === undefined) return reply(0x6700);
    if (cmd.ins === 0xc0) {
      const n = Math.min(cmd.ne ?? 256, rest.length);
      const out = rest.slice(0, n);
      rest = rest.slice(n);
      const next = announce();
      return rest.length === 0 ? ok(out) : reply((next[0]! << 8) | next[1]!, out);
    }
    rest = body.slice();
    return announce();
  });
}
