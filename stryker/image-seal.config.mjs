import { areaConfig } from './areas.mjs';

export default areaConfig('image-seal');
