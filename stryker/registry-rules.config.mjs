import { areaConfig } from './areas.mjs';

export default areaConfig('registry-rules');
