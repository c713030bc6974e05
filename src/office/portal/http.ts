import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostHeaders, mediaType, otherSite, readBody, writeResponse } from '../../http/index.js';
import { OfficeError } from '../errors.js';

/*
 * The HTTP plumbing every portal response goes through: the security headers (a strict
 * Content-Security-Policy: styles from the portal's own origin, no script at all, forms posting
 * only to the portal, no framing), no caching of pages (they carry personal data), the Host and
 * Origin checks, and the one form body the portal reads.
 */

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Not no-referrer: under it browsers send "Origin: null" with the portal's own form posts.
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** Pages and redirects: never stored by a browser or a proxy. */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export interface SendOptions {
  headers?: Record<string, string | string[]>;
  /** Long-lived cache (content-hashed assets); default: no-store. */
  immutable?: boolean;
  overHttps?: boolean;
}

export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  options: SendOptions = {},
): void {
  const base = {
    ...SECURITY_HEADERS,
    ...(options.overHttps === true ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}),
    ...(options.immutable === true ? { 'Cache-Control': 'public, max-age=31536000, immutable' } : NO_STORE),
  };
  writeResponse(res, status, base, type, body, options.headers);
}

export function sendHtml(res: ServerResponse, status: number, page: string, options: SendOptions = {}): void {
  send(res, status, 'text/html; charset=utf-8', page, options);
}

/** 303 See Other (after a POST: the browser GETs the next page). */
export function redirect(res: ServerResponse, location: string, options: SendOptions = {}): void {
  send(res, 303, 'text/plain; charset=utf-8', `see ${location}\n`, {
    ...options,
    headers: { ...options.headers, Location: location },
  });
}

/**
 * Whether a POST comes from the portal's own pages. Browsers say where a request comes from
 * (Sec-Fetch-Site, Origin); a request that says another site, or an origin other than the
 * portal's, is refused before its CSRF token is even looked at. A client that sends neither
 * (not a browser) still needs the session's token.
 */
export function sameOriginPost(req: IncomingMessage, expectedOrigin: string): boolean {
  return otherSite(req, expectedOrigin) === undefined;
}

/** Host names the portal answers to when it listens on `host`:`port`. */
export function defaultAllowedHosts(host: string, port: number): string[] {
  // A wildcard address answers on this machine's loopback names; other names are given explicitly.
  return hostHeaders(host, port, false);
}

export class FormError extends OfficeError {
  readonly status: number;

  constructor(status: number, message: string) {
    super('PORTAL_REQUEST', message);
    this.status = status;
  }
}

const MAX_FORM_BYTES = 8 * 1024;

/** The urlencoded body of a POST (at most 8 KiB); FormError 413/415 otherwise. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded')
    throw new FormError(415, 'forms are sent as application/x-www-form-urlencoded');
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_FORM_BYTES) throw new FormError(413, 'form too large');
  const body = await readBody(req, MAX_FORM_BYTES);
  if (body === undefined) throw new FormError(413, 'form too large');
  return new URLSearchParams(body.toString('utf8'));
}

/** The client's address: the socket's, or with `trustProxy` the last X-Forwarded-For hop (the proxy's view). */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = req.headers['x-forwarded-for'];
    const last = (Array.isArray(fwd) ? fwd.join(',') : (fwd ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .pop();
    if (last !== undefined) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
