import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Writes a whole response: the `base` headers (security, caching), the body's type and length,
 * then `extra` headers (Location, Set-Cookie, ...).
 */
export function writeResponse(
  res: ServerResponse,
  status: number,
  base: Readonly<Record<string, string>>,
  type: string,
  body: string | Buffer,
  extra: Readonly<Record<string, string | string[]>> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  for (const [k, v] of Object.entries(base)) res.setHeader(k, v);
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', String(bytes.length));
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.end(bytes);
}

/**
 * Why a request says it comes from another site, or undefined. Browsers say where a request
 * comes from (Sec-Fetch-Site, Origin); one that names another site is refused whatever it asks.
 */
export function otherSite(req: IncomingMessage, expectedOrigin: string): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
    return `request from another site (${site})`;
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== expectedOrigin) return `request from origin ${origin.slice(0, 100)}`;
  return undefined;
}

/** The request body, or undefined once it passes `maxBytes` (the rest is not read). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The media type of the request's Content-Type, lower case, without parameters. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The request's Host header, lower case, when it is one of `allowed`; undefined otherwise (DNS rebinding). */
export function allowedHost(req: IncomingMessage, allowed: ReadonlySet<string>): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  return allowed.has(host) ? host : undefined;
}
