import { randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * The portal's sessions, in this process's memory (a restart signs everyone out). Every visitor
 * who opens a form gets a session, signed in or not, because every form carries that session's
 * CSRF token (synchronizer token pattern): a POST without the session cookie and the matching
 * token is refused. Signing in starts a new session (new id, new token), so an id planted before
 * the sign-in is worthless after it. Sessions end after `idleMs` without a request, `maxMs` after
 * they began, at sign-out, and when the card's password is reset. The store is bounded: past
 * `maxSessions` the least recently used anonymous session goes first.
 */

export interface Session {
  readonly id: string;
  readonly csrf: string;
  /** The signed-in card, or undefined for a visitor who has not signed in. */
  cardNumber: string | undefined;
  readonly createdAt: number;
  lastSeen: number;
  /** A message for the next page (after a redirect). */
  flash: { kind: 'ok' | 'warn'; zh: string; en: string } | undefined;
}

export interface SessionOptions {
  idleMs: number;
  maxMs: number;
  maxSessions: number;
  /** Milliseconds, monotonic enough for expiry (tests move it by hand). */
  now: () => number;
}

const token = () => randomBytes(32).toString('base64url');

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #options: SessionOptions;

  constructor(options: SessionOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** The live session with this id (its idle timer restarted), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const s = this.#sessions.get(id);
    if (s === undefined) return undefined;
    const now = this.#options.now();
    if (now - s.lastSeen > this.#options.idleMs || now - s.createdAt > this.#options.maxMs) {
      this.#sessions.delete(id);
      return undefined;
    }
    s.lastSeen = now;
    // Map order is recency order: the first entries are the ones to evict.
    this.#sessions.delete(id);
    this.#sessions.set(id, s);
    return s;
  }

  /** A new session (anonymous, or signed in to `cardNumber`). */
  create(cardNumber?: string): Session {
    const now = this.#options.now();
    this.#evict(now);
    const s: Session = { id: token(), csrf: token(), cardNumber, createdAt: now, lastSeen: now, flash: undefined };
    this.#sessions.set(s.id, s);
    return s;
  }

  destroy(id: string): void {
    this.#sessions.delete(id);
  }

  /** Ends every session signed in to the card (its password was reset). */
  endCard(cardNumber: string): void {
    for (const [id, s] of this.#sessions) if (s.cardNumber === cardNumber) this.#sessions.delete(id);
  }

  #evict(now: number): void {
    if (this.#sessions.size < this.#options.maxSessions) return;
    for (const [id, s] of this.#sessions) {
      if (now - s.lastSeen > this.#options.idleMs || now - s.createdAt > this.#options.maxMs) this.#sessions.delete(id);
    }
    for (const [id, s] of this.#sessions) {
      if (this.#sessions.size < this.#options.maxSessions) break;
      if (s.cardNumber === undefined) this.#sessions.delete(id);
    }
    for (const id of this.#sessions.keys()) {
      if (this.#sessions.size < this.#options.maxSessions) break;
      this.#sessions.delete(id);
    }
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: Session, submitted: string | undefined): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Cookies of a request (first value of each name). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
 * it), Path=/; with `secure`, also Secure and the __Host- prefix (the portal behind HTTPS). No
 * Max-Age: it ends with the browser, and the server ends it sooner.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-sscard_portal' : 'sscard_portal';
}

export function sessionCookie(secure: boolean, value: string | undefined): string {
  const base = `${sessionCookieName(secure)}=${value ?? ''}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  return value === undefined ? `${base}; Max-Age=0` : base;
}
