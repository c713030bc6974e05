// The HTTP pieces the portal and the inspector share (Node's http only; imports no other room).
export { loadStaticAssets } from './assets.js';
export type { StaticAsset } from './assets.js';
export { closeServer, hostHeaders, listen, serverUrl } from './server.js';
export { allowedHost, mediaType, otherSite, readBody, writeResponse } from './request.js';
