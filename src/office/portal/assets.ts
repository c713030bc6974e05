import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

function sources(): Record<string, string> {
  if (typeof __SSCARD_PORTAL_ASSETS__ === 'string')
    return JSON.parse(__SSCARD_PORTAL_ASSETS__) as Record<string, string>;
  const dir = fileURLToPath(new URL('./assets/', import.meta.url));
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => Object.keys(TYPES).some((ext) => f.endsWith(ext)))
      .map((f) => [f, readFileSync(`${dir}${f}`, 'utf8')]),
  );
}

let loaded: ReadonlyMap<string, PortalAsset> | undefined;

/** The assets by name (loaded once). */
export function portalAssets(): ReadonlyMap<string, PortalAsset> {
  if (loaded !== undefined) return loaded;
  const map = new Map<string, PortalAsset>();
  for (const [name, text] of Object.entries(sources())) {
    const ext = name.slice(name.lastIndexOf('.'));
    const type = TYPES[ext];
    if (type === undefined) continue;
    const body = Buffer.from(text, 'utf8');
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
    map.set(name, { name, type, body, hash, href: `/assets/${name}?v=${hash}` });
  }
  loaded = map;
  return map;
}

/** The href of an asset for a page. */
export function assetHref(name: string): string {
  const a = portalAssets().get(name);
  if (a === undefined) throw new OfficeError('PORTAL_ASSET_MISSING', `portal asset ${name} is missing from the build`);
  return a.href;
}
