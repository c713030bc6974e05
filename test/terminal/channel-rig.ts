import { commandApdu } from '../../src/apdu/index.js';
import { CardChannel, MemoryTransport } from '../../src/terminal/index.js';
import type { ScriptedCard } from './scripted-card.js';

/** READ RECORD 1 of the current file, Le 256: the command the channel tests send to their scripted cards. */
export const READ = commandApdu(0x00, 0xb2, 0x01, 0x0c, undefined, 256);

/** A channel over a memory transport on the scripted `card`. */
export function channelFor(card: ScriptedCard, opts: ConstructorParameters<typeof CardChannel>[1] = {}): CardChannel {
  return new CardChannel(new MemoryTransport(card), opts);
}
