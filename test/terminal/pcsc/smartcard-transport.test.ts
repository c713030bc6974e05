import { SmartcardTransport } from '../../../src/terminal/index.js';
import { vpcdReaderRig } from './rig.js';
import { pcscTransportSuite } from './transport-suite.js';

pcscTransportSuite(
  'SmartcardTransport (smartcard binding)',
  (opts) => SmartcardTransport.connect(opts),
  vpcdReaderRig(),
);
