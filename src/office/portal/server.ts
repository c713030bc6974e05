import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { allowedHost, closeServer, listen, serverUrl } from '../../http/index.js';
import type { OperationContext } from '../context.js';
import type { Registry } from '../registry.js';
import { assetHref, portalAssets } from './assets.js';
import { FormError, clientAddress, defaultAllowedHosts, readForm, sameOriginPost, send, sendHtml } from './http.js';
import { errorPage } from './pages.js';
import type { PageFrame } from './pages.js';
import { RateLimiter } from './rate-limit.js';
import type { RateLimit } from './rate-limit.js';
import { ROUTES, lossReporterOf } from './routes.js';
import type { Exchange, LossReporter, PortalState } from './routes.js';
import { SessionStore, csrfMatches, parseCookies, sessionCookie, sessionCookieName } from './sessions.js';
import type { Session } from './sessions.js';

/*
 * The self-service portal: Node's own http server (the portal has six pages and one stylesheet;
 * a framework would add more than it saves), server-rendered pages, sessions in memory. Every
 * request: Host checked (DNS rebinding), then the route; every POST: same-origin check, then the
 * session's CSRF token, then the route. The registry does the rest (operations, rules, history).
 */

export interface PortalLimits {
  signInPerClient: RateLimit;
  signInPerAccount: RateLimit;
  resetPerClient: RateLimit;
  resetPerAccount: RateLimit;
  changePerAccount: RateLimit;
}

const MINUTE = 60_000;

export const DEFAULT_PORTAL_LIMITS: Readonly<PortalLimits> = Object.freeze({
  signInPerClient: { max: 20, windowMs: 15 * MINUTE },
  signInPerAccount: { max: 10, windowMs: 15 * MINUTE },
  resetPerClient: { max: 5, windowMs: 60 * MINUTE },
  resetPerAccount: { max: 5, windowMs: 60 * MINUTE },
  changePerAccount: { max: 10, windowMs: 15 * MINUTE },
});

export interface PortalOptions {
  registry: Registry;
  /** Terminal id in the history (default portal@HOSTNAME). */
  terminalId?: string;
  /** Host header values (host:port) answered besides the listening address's own names. */
  allowedHosts?: readonly string[];
  /** Browsers reach the portal over HTTPS (a TLS proxy in front): Secure __Host- cookie, HSTS, https origin. */
  overHttps?: boolean;
  /** Take the client address from the last X-Forwarded-For hop (only behind a proxy that sets it). */
  trustProxy?: boolean;
  limits?: Partial<PortalLimits>;
  session?: { idleMs?: number; maxMs?: number; maxSessions?: number };
  /** Offer the self-service loss report (default: when the registry has reportLoss). */
  lossReporting?: boolean;
  /** Milliseconds for sessions and rate limits (tests); default Date.now. */
  now?: () => number;
  /** Where failures are reported (never a password); default stderr. */
  log?: (line: string) => void;
}

export class Portal {
  readonly #state: PortalState;
  readonly #allowed = new Set<string>();
  readonly #overHttps: boolean;
  readonly #trustProxy: boolean;
  readonly #log: (line: string) => void;

  constructor(options: PortalOptions) {
    const now = options.now ?? Date.now;
    const limits = { ...DEFAULT_PORTAL_LIMITS, ...options.limits };
    const ctx: OperationContext = {
      terminalId: (options.terminalId ?? `portal@${hostname()}`).slice(0, 64),
      role: 'portal',
      channel: 'online',
    };
    const loss: LossReporter | undefined =
      options.lossReporting === false ? undefined : lossReporterOf(options.registry);
    this.#state = {
      registry: options.registry,
      ctx,
      sessions: new SessionStore({
        idleMs: options.session?.idleMs ?? 15 * MINUTE,
        maxMs: options.session?.maxMs ?? 8 * 60 * MINUTE,
        maxSessions: options.session?.maxSessions ?? 10_000,
        now,
      }),
      limits: Object.fromEntries(
        Object.entries(limits).map(([k, v]) => [k, new RateLimiter(v, now)]),
      ) as PortalState['limits'],
      loss,
    };
    this.#overHttps = options.overHttps === true;
    this.#trustProxy = options.trustProxy === true;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    for (const h of options.allowedHosts ?? []) this.#allowed.add(h.toLowerCase());
    // Fail at start, not at the first page, when the build lost an asset the pages link to.
    assetHref('portal.css');
    assetHref('icon.svg');
  }

  /** Adds Host header values the portal answers to. */
  allowHosts(hosts: readonly string[]): void {
    for (const h of hosts) this.#allowed.add(h.toLowerCase());
  }

  /** Whether the self-service loss report is offered. */
  get lossReporting(): boolean {
    return this.#state.loss !== undefined;
  }

  /** The request listener for node:http. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#dispatch(req, res).catch((err: unknown) => {
      this.#log(`portal: ${req.method ?? '?'} ${safePath(req)} failed: ${describe(err)}`);
      if (!res.headersSent)
        sendHtml(
          res,
          500,
          errorPage(anonymousFrame(), 500, {
            kind: 'bad',
            zh: '系统繁忙，请稍后再试。',
            en: 'Something went wrong; please try again later.',
          }),
        );
      else res.destroy();
    });
  };

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = allowedHost(req, this.#allowed);
    if (host === undefined) return send(res, 421, 'text/plain; charset=utf-8', 'unknown host\n');
    const url = new URL(req.url ?? '/', `http://${host}`);
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/assets/') && (method === 'GET' || method === 'HEAD')) {
      const asset = portalAssets().get(url.pathname.slice('/assets/'.length));
      if (asset === undefined) {
        send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
        return;
      }
      send(res, 200, asset.type, asset.body, {
        immutable: url.searchParams.get('v') === asset.hash,
        overHttps: this.#overHttps,
      });
      return;
    }
    const route = ROUTES[url.pathname];
    const ex: Exchange = {
      req,
      res,
      path: url.pathname,
      client: clientAddress(req, this.#trustProxy),
      session: this.#state.sessions.get(parseCookies(req.headers.cookie).get(sessionCookieName(this.#overHttps))),
      form: new URLSearchParams(),
      setSession: (s) => this.#setSession(ex, s),
      endSession: () => void this.#setSession(ex, undefined),
      overHttps: this.#overHttps,
    };
    const handler =
      route === undefined ? undefined : method === 'GET' ? route.GET : method === 'POST' ? route.POST : undefined;
    if (handler === undefined) {
      const status = route === undefined ? 404 : 405;
      const text =
        status === 404
          ? { zh: '页面不存在。', en: 'There is no such page.' }
          : { zh: '不支持该请求方式。', en: 'This method is not allowed here.' };
      sendHtml(res, status, errorPage(this.frame(ex), status, { kind: 'bad', ...text }), {
        overHttps: this.#overHttps,
        ...(status === 405 ? { headers: { Allow: Object.keys(route ?? {}).join(', ') } } : {}),
      });
      return;
    }
    if (method === 'POST') {
      const origin = `${this.#overHttps ? 'https' : 'http'}://${host}`;
      const refused = (zh: string, en: string) =>
        sendHtml(res, 403, errorPage(this.frame(ex), 403, { kind: 'bad', zh, en }), { overHttps: this.#overHttps });
      if (!sameOriginPost(req, origin)) {
        refused('请求来源不明，已拒绝。', 'Refused: the request did not come from this site.');
        return;
      }
      try {
        ex.form = await readForm(req);
      } catch (err) {
        if (!(err instanceof FormError)) throw err;
        sendHtml(
          res,
          err.status,
          errorPage(this.frame(ex), err.status, { kind: 'bad', zh: '请求无效。', en: err.message }),
          { overHttps: this.#overHttps },
        );
        return;
      }
      if (ex.session === undefined || !csrfMatches(ex.session, ex.form.get('_csrf') ?? undefined)) {
        refused(
          '页面已过期，请重新打开页面后再提交。',
          'The page has expired (or the form did not come from this site); open it again and resend.',
        );
        return;
      }
    }
    await handler(ex, this.#state, this);
  }

  /**
   * The frame of a page for this exchange: its session (made now if it has none) and navigation.
   * @internal used by the route handlers, not part of the portal's API
   */
  frame(ex: Exchange): PageFrame {
    const session = ex.session ?? this.#setSession(ex, this.#state.sessions.create());
    return {
      csrf: session.csrf,
      signedIn: session.cardNumber !== undefined,
      lossReporting: this.lossReporting,
      path: ex.path,
    };
  }

  #setSession<S extends Session | undefined>(ex: Exchange, session: S): S {
    if (ex.session !== undefined && ex.session !== session) this.#state.sessions.destroy(ex.session.id);
    ex.session = session;
    ex.res.setHeader('Set-Cookie', sessionCookie(this.#overHttps, session?.id));
    return session;
  }
}

function anonymousFrame(): PageFrame {
  return { csrf: '', signedIn: false, lossReporting: false, path: '' };
}

function safePath(req: IncomingMessage): string {
  return (req.url ?? '').split('?')[0]!.slice(0, 100);
}

function describe(err: unknown): string {
  if (err instanceof Error)
    return `${err.name}${'code' in err ? ` [${String((err as { code: unknown }).code)}]` : ''}: ${err.message}`;
  return String(err);
}

export interface RunningPortal {
  portal: Portal;
  server: Server;
  /** http://host:port/ as a browser on this machine reaches it. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface StartPortalOptions extends PortalOptions {
  /** Address to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** Port (default DEFAULT_PORTAL_PORT; 0 for any free one). */
  port?: number;
}

/** The portal's default port (the social security hotline's number). */
export const DEFAULT_PORTAL_PORT = 12333;

/** Starts the portal's HTTP server. */
export async function startPortal(options: StartPortalOptions): Promise<RunningPortal> {
  const host = options.host ?? '127.0.0.1';
  const portal = new Portal(options);
  const server = createServer(portal.handle);
  // Slow or stalled clients do not hold connections open.
  server.headersTimeout = 10_000;
  server.requestTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  const port = await listen(server, options.port ?? DEFAULT_PORTAL_PORT, host);
  portal.allowHosts(defaultAllowedHosts(host, port));
  return { portal, server, port, url: serverUrl(host, port), close: () => closeServer(server) };
}
