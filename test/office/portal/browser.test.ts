import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry, initialQueryPassword, startPortal } from '../../../src/office/index.js';
import type { CardStatus, RunningPortal } from '../../../src/office/index.js';
import { POS, WINDOW, idOf, personDocument } from '../fixtures.js';
import { FAST_HASH } from '../password/fast-hash.js';
import { browserSuiteRuns, launchChromium } from '../../support/browser.js';

/*
 * The portal end to end in headless Chromium (Debian's, driven by playwright-core; scripts/
 * browser-lab installs it): sign in, see the status, change the password, sign in again with the
 * new one, reset it, and the loss report where the registry offers it. A screenshot of each page
 * goes to .tmp/artifacts/portal/. Without Chromium the suite is skipped with one line, except
 * under CI=true, where a missing browser fails it.
 */

const ARTIFACTS = fileURLToPath(new URL('../../../.tmp/artifacts/portal/', import.meta.url));
describe.runIf(browserSuiteRuns('portal'))('portal in headless Chromium', { timeout: 180_000 }, () => {
  let dir: string;
  let registry: Registry;
  let running: RunningPortal;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let card: CardStatus;
  let idNumber: string;
  const cspReports: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'sscard-portal-browser-'));
    registry = await Registry.open(`file:${join(dir, 'registry')}`, { queryPassword: { hash: FAST_HASH } });
    const doc = personDocument({ name: '张三丰', financial: true });
    idNumber = idOf(doc);
    card = (await registry.issueCard(WINDOW, { document: doc })).card;
    // The holder changed the application PIN at a pharmacy: self-service loss reporting is open to them.
    await registry.recordPinChanged(POS, { cardNumber: card.cardNumber });
    running = await startPortal({ registry, port: 0, terminalId: 'portal-browser-test' });
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1100, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(60_000);
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspReports.push(m.text());
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await registry?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const url = (path: string) => new URL(path, running.url).href;

  it('signs in with the card number and the initial password and shows the card on both sides', async () => {
    await page.goto(url('/'));
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    // The stylesheet applied (the header's colour comes from it, not from an inline style).
    const background = await page
      .locator('header.site')
      .evaluate(
        (el) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el)
            .backgroundColor,
      );
    expect(background).toBe('rgb(179, 38, 30)');
    await shot('sign-in');
    await page.getByLabel('社会保障卡号或身份证号').fill(card.cardNumber);
    await page.getByLabel('信息查询密码').fill(initialQueryPassword(card.cardNumber));
    await page.getByRole('button', { name: /登录/ }).click();
    await page.waitForURL(url('/status'));
    const main = page.locator('main');
    await expect.poll(() => main.innerText()).toContain('张三丰');
    const text = await main.innerText();
    expect(text).toContain(card.cardNumber);
    expect(text).toMatch(/社保应用\s*Social security\s*正常/);
    expect(text).toMatch(/金融（银行）应用\s*Bank\s*未激活/);
    expect(text).toContain('您仍在使用初始查询密码');
    expect(text).toContain('网上登录');
    await shot('status');
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'sscard_portal', httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate('document.cookie')).toBe('');
  });

  it('changes the password, signs out, and signs in again with the ID number and the new password', async () => {
    await page.getByRole('link', { name: /修改查询密码/ }).click();
    await page.waitForURL(url('/password'));
    await shot('password');
    await page.getByLabel('当前密码').fill(initialQueryPassword(card.cardNumber));
    await page.getByLabel('新密码', { exact: false }).first().fill('Sanfeng2025');
    await page.getByLabel('再次输入新密码').fill('Sanfeng2025');
    await page.getByRole('button', { name: /确认修改/ }).click();
    await page.waitForURL(url('/status'));
    const text = await page.locator('main').innerText();
    expect(text).toContain('查询密码已修改');
    expect(text).not.toContain('您仍在使用初始查询密码');
    await shot('status-after-change');

    await page.getByRole('button', { name: /退出/ }).click();
    await page.waitForURL(url('/sign-in'));
    // The status page was not kept: going back asks the portal again, which sends to sign-in.
    await page.goBack();
    await page.waitForURL(url('/sign-in'));
    expect(await page.locator('main').innerText()).not.toContain('张三丰');

    await page.getByLabel('社会保障卡号或身份证号').fill(idNumber);
    await page.getByLabel('信息查询密码').fill(initialQueryPassword(card.cardNumber));
    await page.getByRole('button', { name: /登录/ }).click();
    await expect.poll(() => page.locator('main').innerText()).toContain('密码错误，还可尝试 2 次');
    await shot('sign-in-refused');
    await page.getByLabel('信息查询密码').fill('Sanfeng2025');
    await page.getByRole('button', { name: /登录/ }).click();
    await page.waitForURL(url('/status'));
    expect(await page.locator('main').innerText()).toContain('张三丰');
  });

  it('reports the card lost where the registry offers it; otherwise offers no link', async () => {
    const link = page.getByRole('link', { name: /挂失/ });
    if (!running.portal.lossReporting) {
      expect(await link.count()).toBe(0);
      return;
    }
    await link.click();
    await page.waitForURL(url('/loss'));
    await shot('loss');
    await page.getByLabel(/社保应用/).check();
    await page.getByRole('button', { name: /确认挂失/ }).click();
    await page.waitForURL(url('/status'));
    const text = await page.locator('main').innerText();
    expect(text).toContain('挂失已受理');
    expect(text).not.toMatch(/社保应用\s*Social security\s*正常/);
    await shot('status-after-loss');
  });

  it('resets a forgotten password with the identity facts, back to the initial one', async () => {
    await page.getByRole('button', { name: /退出/ }).click();
    await page.waitForURL(url('/sign-in'));
    await page
      .getByRole('link', { name: /忘记密码/ })
      .first()
      .click();
    await page.waitForURL(url('/reset'));
    await shot('reset');
    await page.getByLabel('身份证号').fill(idNumber);
    await page.getByLabel('姓名').fill('张三丰');
    await page.getByLabel('个人编号后六位').fill(idNumber.slice(-6));
    await page.getByRole('button', { name: /重置密码/ }).click();
    await expect.poll(() => page.locator('main').innerText()).toContain('查询密码已重置为初始密码');
    await shot('reset-done');
    await page.getByRole('link', { name: /前往登录/ }).click();
    await page.getByLabel('社会保障卡号或身份证号').fill(card.cardNumber);
    await page.getByLabel('信息查询密码').fill(initialQueryPassword(card.cardNumber));
    await page.getByRole('button', { name: /登录/ }).click();
    await page.waitForURL(url('/status'));
    expect(await page.locator('main').innerText()).toContain('您仍在使用初始查询密码');
    expect(cspReports).toEqual([]);
  });
});
