import { pcscliteBackend } from './pcsclite-backend.js';
import { PcscTransport } from './pcsc-transport.js';
import type { PcscTransportOptions } from './transport-options.js';

/**
 * PC/SC transport on the `pcsclite` binding (NAN, callbacks): a PcscTransport on
 * `pcscliteBackend` (see pcsclite-backend.ts for that binding's quirks; prefer the smartcard one).
 * Create it with `PcscliteTransport.connect()`.
 */
export class PcscliteTransport extends PcscTransport {
  /** Connects to the card in a reader; fails like SmartcardTransport.connect(). */
  static override connect(opts: Omit<PcscTransportOptions, 'backend'> = {}): Promise<PcscliteTransport> {
    return PcscTransport.open({ ...opts, backend: pcscliteBackend }, (connection) => new PcscliteTransport(connection));
  }
}
