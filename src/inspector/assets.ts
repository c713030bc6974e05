import { loadStaticAssets } from '../http/index.js';
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

let loaded: ReadonlyMap<string, InspectorAsset> | undefined;

/** The page's files by name (loaded once). */
export function inspectorAssets(): ReadonlyMap<string, InspectorAsset> {
  loaded ??= loadStaticAssets(
    typeof __SSCARD_INSPECTOR_ASSETS__ === 'string' ? __SSCARD_INSPECTOR_ASSETS__ : undefined,
    new URL('./page/', import.meta.url),
    INSPECTOR_ASSET_TYPES,
  );
  return loaded;
}

/** One asset; InspectorError 'INSPECTOR_ASSET_MISSING' when the build lost it. */
export function inspectorAsset(name: string): InspectorAsset {
  const asset = inspectorAssets().get(name);
  if (asset === undefined)
    throw new InspectorError('INSPECTOR_ASSET_MISSING', `inspector page file ${name} is missing from the build`);
  return asset;
}
