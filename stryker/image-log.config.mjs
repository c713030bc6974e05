import { areaConfig } from './areas.mjs';

export default areaConfig('image-log');
