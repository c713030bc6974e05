import { areaConfig } from './areas.mjs';

export default areaConfig('hotline-host');
