import { PcscliteTransport } from '../../../src/terminal/pcsc/index.js';
import { pcscTransportSuite } from './transport-suite.js';

pcscTransportSuite('PcscliteTransport (pcsclite binding)', (opts) => PcscliteTransport.connect(opts));
