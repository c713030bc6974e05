import { loadStaticAssets } from '../../http/index.js';
import { OfficeError } from '../errors.js';

/*
 * The portal's page assets (assets/: the stylesheet and the icon). The build inlines the folder into the
 * bundle (tsup.config.ts defines __SSCARD_PORTAL_ASSETS__ as its files' text, in JSON), so the built CLI
 * and the published package serve them without the folder; from the sources (tsx, vitest) they
 * are read from the folder beside this file. Each is served at /assets/NAME?v=HASH with a long
 * cache life: the hash changes with the content.
 */

declare const __SSCARD_PORTAL_ASSETS__: string | undefined;

export interface PortalAsset {
  name: string;
  type: string;
  body: Buffer;
  /** First 16 hex digits of the content's SHA-256. */
  hash: string;
  /** Path with the content hash, for the pages' links. */
  href: string;
}

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

let loaded: ReadonlyMap<string, PortalAsset> | undefined;

/** The assets by name (loaded once). */
export function portalAssets(): ReadonlyMap<string, PortalAsset> {
  if (loaded !== undefined) return loaded;
  const found = loadStaticAssets(
    typeof __SSCARD_PORTAL_ASSETS__ === 'string' ? __SSCARD_PORTAL_ASSETS__ : undefined,
    new URL('./assets/', import.meta.url),
    TYPES,
  );
  loaded = new Map([...found].map(([name, a]) => [name, { ...a, href: `/assets/${name}?v=${a.hash}` }]));
  return loaded;
}

/** The href of an asset for a page. */
export function assetHref(name: string): string {
  const a = portalAssets().get(name);
  if (a === undefined) throw new OfficeError('PORTAL_ASSET_MISSING', `portal asset ${name} is missing from the build`);
  return a.href;
}
