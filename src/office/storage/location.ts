import { resolve } from 'node:path';
import { RegistryUrlError } from '../errors.js';

/*
 * Where a registry lives:
 *   file:DIR, file:./DIR, file:///abs/dir   the embedded store in directory DIR (relative to the
 *                                           working directory)
 *   postgres://user:pass@host:port/db        a PostgreSQL server (also postgresql://)
 * Without a location: the SSCARD_DB environment variable, else file:./sscard-office.
 */

export const DEFAULT_REGISTRY_LOCATION = 'file:./sscard-office';
export const REGISTRY_ENV = 'SSCARD_DB';

export type RegistryLocation = { kind: 'file'; directory: string } | { kind: 'postgres'; url: string };

/** The location to use when the caller names none: SSCARD_DB, else the default directory. */
export function defaultRegistryLocation(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[REGISTRY_ENV];
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_REGISTRY_LOCATION : fromEnv;
}

export function parseRegistryLocation(url: string): RegistryLocation {
  if (typeof url !== 'string' || url === '') throw new RegistryUrlError(String(url), 'is empty');
  if (/^postgres(ql)?:\/\//i.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new RegistryUrlError(url, 'is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url };
  }
  if (url.startsWith('file:')) {
    let path = url.slice('file:'.length);
    if (path.startsWith('//')) {
      // file:///abs/path (an empty host) or file://localhost/abs/path.
      const m = /^\/\/(localhost)?(\/.*)$/.exec(path);
      if (m === null)
        throw new RegistryUrlError(url, 'file URLs name a local directory (file:///abs/dir or file:./dir)');
      path = decodeURIComponent(m[2] as string);
    }
    if (path === '') throw new RegistryUrlError(url, 'names no directory');
    return { kind: 'file', directory: resolve(path) };
  }
  throw new RegistryUrlError(url, 'must start with file: (embedded store) or postgres:// (server)');
}
