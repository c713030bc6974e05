// Child process for the key file test: resolves (creating if needed) this user's image key and
// prints its id.
import { resolveImageKey } from '../../../src/card-sim/index.js';

process.stdout.write(`${resolveImageKey({ create: true })?.id ?? ''}\n`);
