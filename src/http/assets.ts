import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A file a page links to, served from memory. */
export interface StaticAsset {
  name: string;
  type: string;
  body: Buffer;
  /** First 16 hex digits of the content's SHA-256 (pages link assets with it). */
  hash: string;
}

/**
 * A page's files by name: from `inlined` (the build defines it as the folder's files' text, in
 * JSON, so the bundle needs no folder), else read from `dir` (running from the sources). Only
 * the files whose extension `types` names (extension → Content-Type) are kept.
 */
export function loadStaticAssets(
  inlined: string | undefined,
  dir: URL,
  types: Readonly<Record<string, string>>,
): Map<string, StaticAsset> {
  const known = (name: string): string | undefined => types[name.slice(name.lastIndexOf('.'))];
  let sources: Record<string, string>;
  if (inlined !== undefined) sources = JSON.parse(inlined) as Record<string, string>;
  else {
    const path = fileURLToPath(dir);
    sources = Object.fromEntries(
      readdirSync(path)
        .filter((f) => known(f) !== undefined)
        .map((f) => [f, readFileSync(`${path}${f}`, 'utf8')]),
    );
  }
  const map = new Map<string, StaticAsset>();
  for (const [name, text] of Object.entries(sources)) {
    const type = known(name);
    if (type === undefined) continue;
    const body = Buffer.from(text, 'utf8');
    map.set(name, { name, type, body, hash: createHash('sha256').update(body).digest('hex').slice(0, 16) });
  }
  return map;
}
