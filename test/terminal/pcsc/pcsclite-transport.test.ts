import { PcscliteTransport } from '../../../src/terminal/index.js';
import { vpcdReaderRig } from './rig.js';
import { pcscTransportSuite } from './transport-suite.js';

pcscTransportSuite('PcscliteTransport (pcsclite binding)', (opts) => PcscliteTransport.connect(opts), vpcdReaderRig());
