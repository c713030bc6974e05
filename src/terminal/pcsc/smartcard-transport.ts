import { PcscTransport } from './pcsc-transport.js';
import { smartcardBackend } from './smartcard-backend.js';
import type { PcscTransportOptions } from './transport-options.js';

/**
 * PC/SC transport on the `smartcard` binding (N-API, promises): a PcscTransport on
 * `smartcardBackend`, which is what `PcscTransport.connect()` falls back to where pcscd's socket
 * does not answer (another OS, another pcsc-lite). Create it with `SmartcardTransport.connect()`.
 */
export class SmartcardTransport extends PcscTransport {
  /**
   * Connects to the card in a reader. Fails with PcscBindingMissingError (binding not installed),
   * PcscServiceError (pcscd not running), ReaderNotFoundError, NoCardError, or a TransportError
   * (sharing violation, protocol mismatch, ...).
   */
  static override connect(opts: Omit<PcscTransportOptions, 'backend'> = {}): Promise<SmartcardTransport> {
    return PcscTransport.open(
      { ...opts, backend: smartcardBackend },
      (connection) => new SmartcardTransport(connection),
    );
  }
}
