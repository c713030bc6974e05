import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InspectorError } from './errors.js';

/*
 * The inspector's page (page/: the HTML, its script and its stylesheet). The build inlines the
 * folder into the bundle the way it inlines the portal's assets (tsup.config.ts defines
 * __SSCARD_INSPECTOR_ASSETS__ as its files' text, in JSON), so the built CLI and the published package
 * serve the page without the folder and without a build step on the user's side; from the
 * sources (tsx, vitest) the files are read from the folder beside this file.
 */

declare const __SSCARD_INSPECTOR_ASSETS__: string | undefined;

export interface InspectorAsset {
  name: string;
  type: string;
  body: Buffer;
  /** First 16 hex digits of the content's SHA-256 (the page links assets with it). */
  hash: string;
}

export const INSPECTOR_ASSET_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

function sources(): Record<string, string> {
  if (typeof __SSCARD_INSPECTOR_ASSETS__ === 'string')
    return JSON.parse(__SSCARD_INSPECTOR_ASSETS__) as Record<string, string>;
  const dir = fileURLToPath(new URL('./page/', import.meta.url));
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => Object.keys(INSPECTOR_ASSET_TYPES).some((ext) => f.endsWith(ext)))
      .map((f) => [f, readFileSync(`${dir}${f}`, 'utf8')]),
  );
}

let loaded: ReadonlyMap<string, InspectorAsset> | undefined;

/** The page's files by name (loaded once). */
export function inspectorAssets(): ReadonlyMap<string, InspectorAsset> {
  if (loaded !== undefined) return loaded;
  const map = new Map<string, InspectorAsset>();
  for (const [name, text] of Object.entries(sources())) {
    const type = INSPECTOR_ASSET_TYPES[name.slice(name.lastIndexOf('.'))];
    if (type === undefined) continue;
    const body = Buffer.from(text, 'utf8');
    map.set(name, { name, type, body, hash: createHash('sha256').update(body).digest('hex').slice(0, 16) });
  }
  loaded = map;
  return map;
}

/** One asset; InspectorError 'INSPECTOR_ASSET_MISSING' when the build lost it. */
export function inspectorAsset(name: string): InspectorAsset {
  const asset = inspectorAssets().get(name);
  if (asset === undefined)
    throw new InspectorError('INSPECTOR_ASSET_MISSING', `inspector page file ${name} is missing from the build`);
  return asset;
}
