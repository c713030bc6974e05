import { areaConfig } from './areas.mjs';

export default areaConfig('pcscd-socket');
