import { PcscTransport } from './pcsc-transport.js';
import { pcscdSocketBackend } from './pcscd-socket-backend.js';
import type { PcscTransportOptions } from './transport-options.js';

/**
 * PC/SC transport that speaks pcscd's socket protocol itself (Linux, pcsc-lite 1.8.24 to 2.x): a
 * PcscTransport on `pcscdSocketBackend`. It needs no native binding, so no compiler; it is what
 * `PcscTransport.connect()` runs on by default wherever pcscd answers on its socket. Create it
 * with `PcscdSocketTransport.connect()` to insist on it.
 */
export class PcscdSocketTransport extends PcscTransport {
  /**
   * Connects to the card in a reader; fails like SmartcardTransport.connect(), and with
   * PcscdProtocolVersionError when pcscd speaks another message protocol.
   */
  static override connect(opts: Omit<PcscTransportOptions, 'backend'> = {}): Promise<PcscdSocketTransport> {
    return PcscTransport.open(
      { ...opts, backend: pcscdSocketBackend },
      (connection) => new PcscdSocketTransport(connection),
    );
  }
}
