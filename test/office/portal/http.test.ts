import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, Registry, initialQueryPassword, startPortal } from '../../../src/office/index.js';
import type { CardStatus, RunningPortal } from '../../../src/office/index.js';
import { WINDOW, idOf, personDocument } from '../fixtures.js';
import { FAST_HASH } from '../password/fast-hash.js';
import { Browser } from './client.js';

const CSS = readFileSync(new URL('../../../src/office/portal/assets/portal.css', import.meta.url), 'utf8');

// One embedded store for the file: opening one takes seconds.
describe('portal over HTTP', { timeout: 120_000 }, () => {
  let dir: string;
  let registry: Registry;
  let running: RunningPortal;
  let now = 1_000_000;
  const logged: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sscard-portal-http-'));
    registry = await Registry.open(`file:${join(dir, 'registry')}`, { queryPassword: { hash: FAST_HASH } });
    running = await startPortal({
      registry,
      port: 0,
      terminalId: 'portal-http-test',
      now: () => now,
      log: (line) => logged.push(line),
      limits: { signInPerAccount: { max: 4, windowMs: 60_000 }, signInPerClient: { max: 12, windowMs: 60_000 } },
    });
  }, 300_000);
  afterAll(async () => {
    await running?.close();
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const issue = async (name = '赵敏'): Promise<{ card: CardStatus; idNumber: string; initial: string }> => {
    const doc = personDocument({ name, financial: true });
    const { card } = await registry.issueCard(WINDOW, { document: doc });
    return { card, idNumber: idOf(doc), initial: initialQueryPassword(card.cardNumber) };
  };
  const browser = () => new Browser(running.url);
  const signedIn = async (account: string, password: string) => {
    const b = browser();
    await b.get('/sign-in');
    const r = await b.post('/sign-in', { account, password });
    expect(r.status).toBe(303);
    return b;
  };

  it('sends a strict Content-Security-Policy and the other security headers on every response; pages are never cached', async () => {
    const b = browser();
    for (const path of ['/sign-in', '/reset', '/no-such-page', '/']) {
      const r = await b.get(path);
      expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('same-origin');
      expect(r.headers['cache-control']).toBe('no-store');
    }
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("style-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|script-src/);
    const page = (await b.get('/sign-in')).body;
    expect(page).not.toMatch(/<script|<style|style=/i);
  });

  it('serves the stylesheet from its content-hashed address, cached for good; unknown assets are 404', async () => {
    const page = (await browser().get('/sign-in')).body;
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page)![1]!;
    expect(href).toMatch(/^\/assets\/portal\.css\?v=[0-9a-f]{16}$/);
    const css = await browser().get(href);
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(css.body).toBe(CSS);
    expect((await browser().get('/assets/portal.css')).headers['cache-control']).toBe('no-store');
    expect((await browser().get('/assets/../registry.ts')).status).toBe(404);
    expect((await browser().get('/assets/other.css')).status).toBe(404);
  });

  it('answers only to its own host names (DNS rebinding)', async () => {
    const b = browser();
    expect((await b.get('/sign-in', { headers: { Host: `evil.example:${running.port}` } })).status).toBe(421);
    expect((await b.get('/sign-in', { headers: { Host: `localhost:${running.port}` } })).status).toBe(200);
  });

  it("refuses a POST without the session cookie, without the token, or with another session's token", async () => {
    const { card, initial } = await issue();
    const form = { account: card.cardNumber, password: initial };
    const a = browser();
    await a.get('/sign-in');
    const b = browser();
    await b.get('/sign-in');
    expect(a.cookie).not.toBe(b.cookie);
    expect((await a.post('/sign-in', form, { noCookie: true })).status).toBe(403);
    expect((await a.send('POST', '/sign-in', { form, headers: { Origin: a.origin } })).status).toBe(403);
    const foreign = await a.send('POST', '/sign-in', {
      form: { ...form, _csrf: b.csrf! },
      headers: { Origin: a.origin },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain('页面已过期');
    expect((await registry.history(card.cardNumber)).filter((e) => e.operation === 'query_password_sign_in')).toEqual(
      [],
    );
    await a.get('/sign-in');
    expect((await a.post('/sign-in', form)).status).toBe(303);
  });

  it('refuses a cross-origin POST even with a valid token and cookie', async () => {
    const { card, initial } = await issue();
    const b = browser();
    await b.get('/sign-in');
    const form = { account: card.cardNumber, password: initial };
    expect((await b.post('/sign-in', form, { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    expect((await b.post('/sign-in', form, { headers: { Origin: 'null' } })).status).toBe(403);
    expect((await b.post('/sign-in', form, { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(403);
    expect((await b.post('/sign-in', form, { headers: { 'Sec-Fetch-Site': 'same-site' } })).status).toBe(403);
    expect((await registry.history(card.cardNumber)).filter((e) => e.operation === 'query_password_sign_in')).toEqual(
      [],
    );
    expect((await b.post('/sign-in', form)).status).toBe(303);
  });

  it('limits sign-in attempts per account and per client; refused attempts never reach the registry', async () => {
    now += 61_000; // fresh windows: the suite's earlier sign-ins came from the same address
    const { card } = await issue();
    const b = browser();
    await b.get('/sign-in');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await b.post('/sign-in', { account: card.cardNumber, password: `wrong-${i}` })).status);
    expect(statuses).toEqual([401, 401, 423, 423, 429, 429]);
    const limitedReply = await b.post('/sign-in', { account: card.cardNumber, password: 'wrong' });
    expect(limitedReply.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
    expect(limitedReply.body).toContain('尝试次数过多');
    expect(
      (await registry.history(card.cardNumber)).filter((e) => e.operation === 'query_password_sign_in'),
    ).toHaveLength(4);
    // The same client on other accounts: the per-client limit (12 a minute) ends it too.
    const seen: number[] = [];
    for (let i = 0; i < 8; i++)
      seen.push((await b.post('/sign-in', { account: `Z0000010${i}`, password: 'whatever' })).status);
    expect(seen.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(seen.slice(-1)).toEqual([429]);
    now += 61_000;
    expect((await b.post('/sign-in', { account: 'Z00000200', password: 'whatever' })).status).toBe(401);
  });

  it('signs in with a new session cookie (HttpOnly, SameSite=Strict), shows both sides and the history, signs out', async () => {
    const { card, initial } = await issue('钱多多');
    const b = browser();
    const first = await b.get('/sign-in');
    expect(first.headers['set-cookie']?.[0]).toMatch(
      /^sscard_portal=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    const anonymous = b.cookie;
    const wrong = await b.post('/sign-in', { account: card.cardNumber, password: '123123' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('还可尝试 2 次');
    expect(wrong.body).not.toContain('123123');
    const ok = await b.post('/sign-in', { account: card.cardNumber, password: initial });
    expect(ok.headers.location).toBe('/status');
    expect(b.cookie).not.toBe(anonymous);
    const status = await b.get('/status');
    expect(status.status).toBe(200);
    expect(status.body).toContain('钱多多');
    expect(status.body).toContain(card.cardNumber);
    expect(status.body).toMatch(/社保应用.*正常/s);
    expect(status.body).toMatch(/金融（银行）应用.*未激活/s);
    expect(status.body).toContain('您仍在使用初始查询密码');
    expect(status.body).toMatch(/网上登录.*密码错误/s);
    expect(status.body).not.toContain(card.idNumber);
    expect(status.body).toContain('href="/loss"');
    // The anonymous session's cookie was ended at sign-in: it opens nothing.
    const planted = new Browser(running.url);
    planted.cookie = anonymous;
    expect((await planted.get('/status')).headers.location).toBe('/sign-in');
    await b.post('/sign-out', {});
    expect(b.cookie).toBeUndefined();
    expect((await b.get('/status')).headers.location).toBe('/sign-in');
  });

  it("changes the password: mismatched confirmation spends nothing, a wrong current one a try; the session is renewed, the card's others end", async () => {
    const { card, initial } = await issue();
    const b = await signedIn(card.cardNumber, initial);
    const elsewhere = await signedIn(card.idNumber, initial);
    await b.get('/password');
    const differ = await b.post('/password', { current: initial, next: 'NewPass123', confirm: 'NewPass124' });
    expect(differ.status).toBe(400);
    expect(differ.body).toContain('两次输入的新密码不一致');
    const simple = await b.post('/password', { current: initial, next: 'abcdefghij', confirm: 'abcdefghij' });
    expect(simple.status).toBe(400);
    expect(simple.body).toContain('须同时包含字母和数字');
    const wrong = await b.post('/password', { current: '000000', next: 'NewPass123', confirm: 'NewPass123' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('还可尝试 2 次');
    const before = b.cookie;
    const ok = await b.post('/password', { current: initial, next: 'NewPass123', confirm: 'NewPass123' });
    expect(ok.status).toBe(303);
    expect(b.cookie).not.toBe(before);
    const status = await b.get('/status');
    expect(status.body).toContain('查询密码已修改');
    expect(status.body).not.toContain('您仍在使用初始查询密码');
    expect((await b.get('/status')).body).not.toContain('查询密码已修改');
    // A session opened elsewhere with the old password ended with it.
    expect((await elsewhere.get('/status')).headers.location).toBe('/sign-in');
    await signedIn(card.idNumber, 'NewPass123');
  });

  it('a change that locks the password ends the session', async () => {
    const { card, initial } = await issue();
    const b = await signedIn(card.cardNumber, initial);
    await b.get('/password');
    for (const left of [2, 1])
      expect(
        (await b.post('/password', { current: `bad-${left}`, next: 'NewPass123', confirm: 'NewPass123' })).body,
      ).toContain(`还可尝试 ${left} 次`);
    const locked = await b.post('/password', { current: 'bad-0', next: 'NewPass123', confirm: 'NewPass123' });
    expect(locked.status).toBe(423);
    expect(locked.body).toContain('查询密码已锁定');
    expect((await b.get('/status')).headers.location).toBe('/sign-in');
  });

  it("resets with the identity facts, without showing the card number, and ends the card's sessions", async () => {
    const { card, idNumber, initial } = await issue('孙悟空');
    const holder = await signedIn(card.cardNumber, initial);
    const b = browser();
    await b.get('/reset');
    const wrong = await b.post('/reset', { idNumber, name: '猪八戒', tail: idNumber.slice(-6) });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('身份信息不符');
    const unknown = await b.post('/reset', { idNumber: idOf(personDocument()), name: '孙悟空', tail: '123456' });
    expect(unknown.status).toBe(400);
    // An unknown ID number reads exactly as a wrong name.
    expect(unknown.body).toBe(wrong.body);
    const done = await b.post('/reset', { idNumber, name: '孙悟空', tail: idNumber.slice(-6) });
    expect(done.status).toBe(200);
    expect(done.body).toContain('卡号后六位');
    expect(done.body).not.toContain(card.cardNumber);
    expect(done.body).not.toContain(initial);
    expect((await holder.get('/status')).headers.location).toBe('/sign-in');
  });

  it('refuses forms of another type or too large, and methods a page does not have', async () => {
    const b = browser();
    await b.get('/sign-in');
    const json = await b.send('POST', '/sign-in', {
      body: '{"account":"x"}',
      headers: { 'Content-Type': 'application/json', Origin: b.origin },
    });
    expect(json.status).toBe(415);
    const big = await b.post('/sign-in', { account: 'x'.repeat(9000), password: 'y' });
    expect(big.status).toBe(413);
    const put = await b.send('PUT', '/sign-in');
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    expect((await b.send('POST', '/status', { form: { _csrf: b.csrf! }, headers: { Origin: b.origin } })).status).toBe(
      405,
    );
  });

  it('reports the social-security side lost through the registry (self channel): refused while the PIN is initial, then recorded', async () => {
    const { card, initial } = await issue('孙立');
    const b = await signedIn(card.cardNumber, initial);
    expect((await b.get('/status')).body).toContain('href="/loss"');
    const form = await b.get('/loss');
    expect(form.body).toContain('value="ssc"');
    // The bank side is the bank's to take (its own e-channels): the portal does not offer it.
    expect(form.body).not.toContain('value="bank"');
    expect(form.body).toContain('不能自助挂失');
    expect((await b.post('/loss', { side: 'bank' })).status).toBe(400);
    expect((await b.post('/loss', {})).status).toBe(400);
    // Still on the initial PIN: the registry refuses self-service, and the refusal is recorded.
    const early = await b.post('/loss', { side: 'ssc' });
    expect(early.status).toBe(409);
    expect(early.body).toContain('社保应用密码仍为初始密码的卡不能自助挂失');
    expect((await registry.cardStatus(card.cardNumber)).ssc).toBe('active');
    // The holder changed the PIN at a pharmacy: now the portal takes the report.
    await registry.recordPinChanged(WINDOW, { cardNumber: card.cardNumber });
    const ok = await b.post('/loss', { side: 'ssc' });
    expect(ok.status).toBe(303);
    expect((await b.get('/status')).body).toContain('挂失已受理');
    expect((await registry.cardStatus(card.cardNumber)).ssc).toBe('lost_temporary');
    const history = (await registry.history(card.cardNumber)).filter(
      (e) => e.role === 'portal' && e.operation !== 'query_password_sign_in',
    );
    expect(history.map((e) => [e.operation, e.result, e.reason ?? null, e.channel])).toEqual([
      ['report_loss', 'refused', 'INITIAL_PIN_SELF_SERVICE', 'online'],
      ['report_loss', 'ok', null, 'online'],
    ]);
    // Reported already: a second report is refused with the state's message.
    const again = await b.post('/loss', { side: 'ssc' });
    expect(again.status).toBe(409);
    expect(again.body).toContain('该应用当前状态不能挂失');
  });

  it('offers no loss report when started with lossReporting: false', async () => {
    const off = await startPortal({ registry, port: 0, lossReporting: false });
    try {
      expect(off.portal.lossReporting).toBe(false);
      const { card, initial } = await issue('周青');
      const o = new Browser(off.url);
      await o.get('/sign-in');
      expect((await o.post('/sign-in', { account: card.cardNumber, password: initial })).status).toBe(303);
      expect((await o.get('/status')).body).not.toContain('href="/loss"');
      expect((await o.get('/loss')).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
