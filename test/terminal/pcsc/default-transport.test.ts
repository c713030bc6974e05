import { expect } from 'vitest';
import { PcscTransport } from '../../../src/terminal/index.js';
import { vpcdReaderRig } from './rig.js';
import { pcscTransportSuite } from './transport-suite.js';

/*
 * The transport contract suite over the default backend, as a user who names none gets it. On
 * the lab (Linux, pcscd 1.9 answering on its socket) the default is pcscd's socket; every connect
 * says so.
 */
pcscTransportSuite(
  'PcscTransport (default backend)',
  async (opts) => {
    const transport = await PcscTransport.connect(opts);
    expect(transport.backendName).toBe('pcscd-socket');
    expect(transport.name.startsWith('pcscd:')).toBe(true);
    return transport;
  },
  vpcdReaderRig(),
);
