import { areaConfig } from './areas.mjs';

export default areaConfig('window-pin');
