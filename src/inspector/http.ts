import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostHeaders, mediaType, otherSite, readBody, writeResponse } from '../http/index.js';

/*
 * The inspector's HTTP rules: a strict Content-Security-Policy (its own script and stylesheet, its
 * own origin for the event stream and the actions, nothing else), no caching, and the checks that
 * keep other sites out: the Host header must name the inspector (DNS rebinding), a request a
 * browser marks as coming from another site is refused, and an action needs the inspector's own
 * Origin and a JSON body (which a cross-site form cannot send).
 */

export const INSPECTOR_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': INSPECTOR_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  writeResponse(res, status, SECURITY_HEADERS, type, body, headers);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** Starts a server-sent event stream. */
export function startEventStream(res: ServerResponse): void {
  res.statusCode = 200;
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Connection', 'keep-alive');
  res.flushHeaders();
}

/**
 * Why a request is refused as not coming from the inspector's own page, or undefined when it may
 * go on. Browsers say where a request comes from (Sec-Fetch-Site, Origin); a request that names
 * another site is refused whatever it asks. A POST must carry the inspector's Origin.
 */
export function crossOriginRefusal(req: IncomingMessage, expectedOrigin: string): string | undefined {
  const refusal = otherSite(req, expectedOrigin);
  if (refusal !== undefined) return refusal;
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers.origin !== expectedOrigin)
    return 'an action needs the inspector page as its Origin';
  return undefined;
}

/** Host header values (host:port) the inspector answers to when it listens on `host`:`port`. */
export function allowedHosts(host: string, port: number): string[] {
  return hostHeaders(host, port, true);
}

const MAX_BODY_BYTES = 64 * 1024;

/** The JSON body of an action (at most 64 KiB, Content-Type application/json); undefined otherwise. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  if (mediaType(req) !== 'application/json') return undefined;
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === undefined) return undefined;
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
