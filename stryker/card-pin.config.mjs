import { areaConfig } from './areas.mjs';

export default areaConfig('card-pin');
