import type { IncomingMessage, ServerResponse } from 'node:http';

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
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', String(bytes.length));
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(bytes);
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
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
    return `request from another site (${site})`;
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== expectedOrigin) return `request from origin ${origin.slice(0, 100)}`;
  if (req.method !== 'GET' && req.method !== 'HEAD' && origin !== expectedOrigin)
    return 'an action needs the inspector page as its Origin';
  return undefined;
}

/** Host header values (host:port) the inspector answers to when it listens on `host`:`port`. */
export function allowedHosts(host: string, port: number): string[] {
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  const wildcard = host === '0.0.0.0' || host === '::';
  const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
  const names = loopback || wildcard ? ['localhost', '127.0.0.1', '[::1]', bracket(host)] : [bracket(host)];
  return [...new Set(names)].map((h) => `${h}:${port}`);
}

const MAX_BODY_BYTES = 64 * 1024;

/** The JSON body of an action (at most 64 KiB, Content-Type application/json); undefined otherwise. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
