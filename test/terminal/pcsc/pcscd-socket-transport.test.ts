import { PcscdSocketTransport } from '../../../src/terminal/index.js';
import { vpcdReaderRig } from './rig.js';
import { pcscTransportSuite } from './transport-suite.js';

pcscTransportSuite(
  'PcscdSocketTransport (pcscd socket, no binding)',
  (opts) => PcscdSocketTransport.connect(opts),
  vpcdReaderRig(),
);
