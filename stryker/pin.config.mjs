import { areaConfig } from './areas.mjs';

export default areaConfig('pin');
