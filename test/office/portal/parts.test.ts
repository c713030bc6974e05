import { describe, expect, it } from 'vitest';
import { portalAssets } from '../../../src/office/portal/assets.js';
import { escapeHtml, html } from '../../../src/office/portal/html.js';
import { defaultAllowedHosts } from '../../../src/office/portal/http.js';
import { signInPage } from '../../../src/office/portal/pages.js';
import { RateLimiter } from '../../../src/office/portal/rate-limit.js';
import { SessionStore, csrfMatches, parseCookies, sessionCookie } from '../../../src/office/portal/sessions.js';

describe('portal html', () => {
  it('escapes every interpolated value unless it is a fragment', () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<p title="${name}">${name}</p>`.text).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
    expect(html`<ul>${['<a>', html`<li>ok</li>`, null, false, undefined]}</ul>`.text).toBe(
      '<ul>&lt;a&gt;<li>ok</li></ul>',
    );
    expect(escapeHtml('a"b')).toBe('a&quot;b');
  });

  it('a sign-in page echoes the account escaped and never carries a script or an inline style', () => {
    const page = signInPage(
      { csrf: 'tok"en', signedIn: false, lossReporting: false, path: '/sign-in' },
      { account: '"><img src=x onerror=alert(1)>' },
    );
    expect(page).toContain('value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    expect(page).toContain('name="_csrf" value="tok&quot;en"');
    expect(page).not.toContain('<img');
    // With the echoed value's text removed, no script, inline style or event handler remains.
    expect(page.replace(/value="[^"]*"/g, '')).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
  });
});

describe('portal sessions', () => {
  it('ends sessions after the idle time and after the longest life, and rejects malformed ids', () => {
    let now = 0;
    const store = new SessionStore({ idleMs: 1000, maxMs: 5000, maxSessions: 100, now: () => now });
    const s = store.create('A00000001');
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.csrf).not.toBe(s.id);
    for (now = 900; now <= 4500; now += 900) expect(store.get(s.id)).toBe(s);
    now = 5100;
    expect(store.get(s.id)).toBeUndefined();
    const t = store.create();
    now += 1001;
    expect(store.get(t.id)).toBeUndefined();
    expect(store.get('../../etc')).toBeUndefined();
    expect(store.get(undefined)).toBeUndefined();
  });

  it('stays within its bound, evicting anonymous sessions before signed-in ones', () => {
    const store = new SessionStore({ idleMs: 60_000, maxMs: 60_000, maxSessions: 3, now: () => 0 });
    const holder = store.create('A00000001');
    const a = store.create();
    const b = store.create();
    const c = store.create();
    expect(store.size).toBe(3);
    expect(store.get(holder.id)).toBe(holder);
    expect(store.get(a.id)).toBeUndefined();
    expect(store.get(b.id)).toBe(b);
    expect(store.get(c.id)).toBe(c);
    store.endCard('A00000001');
    expect(store.get(holder.id)).toBeUndefined();
  });

  it('compares CSRF tokens exactly; cookies are HttpOnly and SameSite=Strict, Secure with the __Host- prefix over HTTPS', () => {
    const s = new SessionStore({ idleMs: 1, maxMs: 1, maxSessions: 1, now: () => 0 }).create();
    expect(csrfMatches(s, s.csrf)).toBe(true);
    expect(csrfMatches(s, s.csrf.slice(1))).toBe(false);
    expect(
      csrfMatches(s, `${s.csrf.slice(0, -1)}A` === s.csrf ? `${s.csrf.slice(0, -1)}B` : `${s.csrf.slice(0, -1)}A`),
    ).toBe(false);
    expect(csrfMatches(s, undefined)).toBe(false);
    expect(sessionCookie(false, 'abc')).toBe('sscard_portal=abc; Path=/; HttpOnly; SameSite=Strict');
    expect(sessionCookie(true, 'abc')).toBe('__Host-sscard_portal=abc; Path=/; HttpOnly; SameSite=Strict; Secure');
    expect(sessionCookie(false, undefined)).toBe('sscard_portal=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
    expect([...parseCookies('a=1; sscard_portal=x; a=2')]).toEqual([
      ['a', '1'],
      ['sscard_portal', 'x'],
    ]);
  });
});

describe('portal rate limiter', () => {
  it('allows max hits per window and key, says when to come back, and starts a new window after it', () => {
    let now = 0;
    const limiter = new RateLimiter({ max: 2, windowMs: 1000 }, () => now);
    expect(limiter.hit('a')).toEqual({ allowed: true, retryAfterMs: 0 });
    expect(limiter.hit('a').allowed).toBe(true);
    now = 400;
    expect(limiter.hit('a')).toEqual({ allowed: false, retryAfterMs: 600 });
    expect(limiter.hit('b').allowed).toBe(true);
    now = 1000;
    expect(limiter.hit('a').allowed).toBe(true);
  });

  it('keeps a bounded number of keys', () => {
    let now = 0;
    const limiter = new RateLimiter({ max: 1, windowMs: 1000 }, () => now, 3);
    for (const k of ['a', 'b', 'c', 'd', 'e']) limiter.hit(k);
    // The oldest windows were dropped to make room: 'a' may try again, 'e' may not.
    expect(limiter.hit('a').allowed).toBe(true);
    expect(limiter.hit('e').allowed).toBe(false);
    now = 2000;
    expect(limiter.hit('e').allowed).toBe(true);
  });
});

describe('portal hosts and assets', () => {
  it('answers to loopback names on loopback and wildcard addresses, and to the given name otherwise', () => {
    expect(defaultAllowedHosts('127.0.0.1', 8080)).toEqual(['localhost:8080', '127.0.0.1:8080', '[::1]:8080']);
    expect(defaultAllowedHosts('::1', 80)).toEqual(['localhost:80', '127.0.0.1:80', '[::1]:80']);
    expect(defaultAllowedHosts('0.0.0.0', 80)).toEqual(['localhost:80', '127.0.0.1:80', '[::1]:80']);
    expect(defaultAllowedHosts('10.1.2.3', 443)).toEqual(['10.1.2.3:443']);
  });

  it('has the stylesheet and the icon, each at a content-hashed address', () => {
    const assets = portalAssets();
    expect([...assets.keys()].sort()).toEqual(['icon.svg', 'portal.css']);
    expect(assets.get('portal.css')).toMatchObject({
      type: 'text/css; charset=utf-8',
      href: expect.stringMatching(/^\/assets\/portal\.css\?v=[0-9a-f]{16}$/),
    });
    expect(assets.get('icon.svg')!.type).toBe('image/svg+xml');
  });
});
