import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSscCard, saveCardImage, samplePerson } from '../../src/card-sim/index.js';
import type { SimulatedCard } from '../../src/card-sim/index.js';
import { inspect } from '../../src/inspector/index.js';
import type { RunningInspector } from '../../src/inspector/index.js';
import {
  CardChannel,
  CardRemovedError,
  MemoryTransport,
  PinIncorrectError,
  SscCard,
} from '../../src/terminal/index.js';
import { cli } from '../cli/run-cli.js';
import { browserSuiteRuns, launchChromium } from '../support/browser.js';
import { expectRejectsClass } from '../support/throws.js';

/*
 * The inspector end to end in headless Chromium: a card under test behind an in-memory reader, the
 * SDK talking to it, the page watching. A VERIFY from the SDK shows in the trace and moves the
 * tries gauge; the page takes the card out and the SDK gets CardRemovedError; the exported trace
 * replays through `sscard script`; no PIN ever reaches the page; another origin is refused.
 * Screenshots go to .tmp/artifacts/inspector/.
 */

const ARTIFACTS = fileURLToPath(new URL('../../.tmp/artifacts/inspector/', import.meta.url));
const WRONG_PIN = '246813';
const RIGHT_PIN = '123456';

describe.runIf(browserSuiteRuns('inspector'))('inspector in headless Chromium', { timeout: 180_000 }, () => {
  let dir: string;
  let image: string;
  let card: SimulatedCard;
  let reader: MemoryTransport;
  let sdk: SscCard;
  let running: RunningInspector;
  let browser: Browser;
  let page: Page;
  let other: Server;
  const cspReports: string[] = [];
  const serverLog: string[] = [];
  // The SDK on its own channel over the reader (closing it would close the reader too).
  const openSdk = () => SscCard.open(new CardChannel(reader), { refuseInitialPin: false });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'sscard-inspector-browser-'));
    card = buildSscCard(samplePerson('zhang-wei'));
    // The image as it was when the trace began: the exported script replays against a copy of it.
    image = join(dir, 'card.json');
    saveCardImage(image, card);
    reader = new MemoryTransport(card, { name: 'card under test' });
    running = await inspect(card, {
      port: 0,
      actions: true,
      reader,
      label: 'card under test',
      log: (l) => serverLog.push(l),
    });
    sdk = await openSdk();
    other = createServer((_req, res) => res.end('<!doctype html><title>another site</title>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    browser = await launchChromium();
    const context = await browser.newContext({
      locale: 'zh-CN',
      viewport: { width: 1400, height: 1000 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (/Content Security Policy|Refused/i.test(m.text())) cspReports.push(m.text());
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await reader?.close();
    await running?.close();
    await new Promise((resolve) => other?.close(resolve));
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const gauge = () => page.locator('[data-pin="SSSE/app"] meter');
  const traceText = () => page.locator('#trace tbody').innerText();

  it('shows the card: holder, files with decoded records, the PIN gauge full and the initial PIN in effect', async () => {
    await page.goto(running.url);
    await expect.poll(() => page.locator('#connection').innerText()).toBe('live');
    const facts = await page.locator('#card-facts').innerText();
    expect(facts).toContain('张伟');
    expect(await gauge().getAttribute('value')).toBe('3');
    expect(await page.locator('[data-pin="SSSE/app"]').innerText()).toContain('initial PIN in effect');
    await page.locator('details[data-path="MF/SSSE/EF06"] > summary').click();
    const ef06 = await page.locator('details[data-path="MF/SSSE/EF06"]').innerText();
    expect(ef06).toContain('张伟');
    // The SDK's open() selected the SSSE and read EF05: in the trace, decoded.
    expect(await traceText()).toMatch(/SELECT\s+by DF name, return FCI/);
    expect(await page.locator('#security').innerText()).toContain('MF/SSSE');
    await shot('card');
  });

  it('a VERIFY from the SDK shows in the trace and moves the tries gauge; the PIN never shows', async () => {
    await expectRejectsClass(sdk.verifyPin(WRONG_PIN), PinIncorrectError);
    await expect.poll(() => gauge().getAttribute('value')).toBe('2');
    await expect.poll(traceText).toMatch(/VERIFY\s+application PIN\s+00 20 00 00 Lc=3 \*\*\*\*.*63C2 2 tries left/s);
    expect(await page.locator('[data-pin="SSSE/app"]').innerText()).toContain('2/3 tries left');
    await sdk.verifyPin(RIGHT_PIN);
    await expect.poll(() => gauge().getAttribute('value')).toBe('3');
    await expect.poll(() => page.locator('#security').innerText()).toMatch(/verified PINs\s+app/);
    await shot('after-verify');
    const everything = `${await page.content()}\n${await page.locator('body').innerText()}`;
    for (const pin of [WRONG_PIN, RIGHT_PIN]) {
      const bcd = pin.match(/../g) as string[];
      expect(everything).not.toContain(pin);
      expect(everything).not.toContain(bcd.join(' '));
    }
    const state = JSON.stringify(await (await fetch(new URL('/api/state', running.url))).json());
    const trace = await (await fetch(new URL('/api/trace', running.url))).text();
    for (const text of [state, trace])
      expect(text).not.toMatch(new RegExp(`${WRONG_PIN}|${RIGHT_PIN}|24 68 13|12 34 56`));
  });

  it('takes the card out from the page: the SDK gets CardRemovedError; putting it back shows in the trace', async () => {
    await page.getByRole('button', { name: 'Remove card' }).click();
    await expect.poll(() => page.locator('#presence').innerText()).toBe('out of the reader');
    expect(reader.present).toBe(false);
    await expectRejectsClass(sdk.readCardInfo(), CardRemovedError);
    await expect.poll(traceText).toContain('inspector: card removed from the reader');
    await shot('removed');
    await page.getByRole('button', { name: 'Insert card' }).click();
    await expect.poll(() => page.locator('#presence').innerText()).toBe('in the reader');
    expect(reader.present).toBe(true);
    sdk = await openSdk();
    await sdk.readCardInfo();
    await expect.poll(traceText).toContain('card powered (ATR)');
  });

  it('filters and pauses the trace, draws the latency timeline', async () => {
    await page.locator('#filter').fill('READ RECORD');
    const visible = await page.locator('#trace tbody tr:not(.hidden)').allInnerTexts();
    expect(visible.length).toBeGreaterThan(0);
    for (const row of visible) expect(row).toContain('READ RECORD');
    await page.locator('#filter').fill('');
    await page.getByRole('button', { name: 'Pause' }).click();
    const rows = await page.locator('#trace tbody tr').count();
    await sdk.readCardInfo();
    await expect.poll(() => page.locator('#trace-count').innerText()).toMatch(/new while paused/);
    expect(await page.locator('#trace tbody tr').count()).toBe(rows);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('#trace tbody tr').count()).toBeGreaterThan(rows);
    expect(await page.locator('#timeline rect').count()).toBeGreaterThan(5);
    await shot('trace');
  });

  it('exports the trace as an APDU script that replays through `sscard script` on the image it began with', async () => {
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export as APDU script' }).click();
    const file = join(ARTIFACTS, 'trace.apdu');
    await (await download).saveAs(file);
    const script = readFileSync(file, 'utf8');
    expect(script).toMatch(/^# 00 20 00 00 \(Lc=3, PIN data \*\*\*\* not recorded\) -> 63C2/m);
    expect(script).toMatch(/^power-off /m);
    expect(script).not.toContain(WRONG_PIN);
    expect(script).not.toContain(RIGHT_PIN);
    const copy = join(dir, 'replay.json');
    copyFileSync(image, copy);
    const r = await cli('script', file, '--card', copy);
    writeFileSync(join(ARTIFACTS, 'replay.txt'), `${r.stdout}\n${r.stderr}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = script.split('\n').filter((l) => /^[0-9A-F]{8}/.test(l)).length;
    expect(lines).toBeGreaterThan(5);
    expect(r.stdout).toMatch(new RegExp(`# \\d+ steps done, ${lines} expected responses matched`));
  });

  it('edits a record, tears a write and restores a snapshot from the page; each in the trace', async () => {
    await page.getByRole('button', { name: 'Save snapshot' }).click();
    await expect.poll(() => page.locator('#snapshots li').count()).toBe(1);
    await page.locator('details[data-path="MF/SSSE/EF05"] > summary').click();
    const ef05 = page.locator('details[data-path="MF/SSSE/EF05"]');
    await ef05.locator('details[data-path="MF/SSSE/EF05#7/edit"] > summary').click();
    const input = ef05.getByLabel('new bytes of MF/SSSE/EF05 record 7');
    const before = await input.inputValue();
    const edited = `${before.slice(0, 4)}${Buffer.from('Z').toString('hex').toUpperCase()}${before.slice(6)}`;
    await input.fill(edited);
    await ef05.getByRole('button', { name: 'Save record' }).click();
    await expect.poll(traceText).toContain('record edited: MF/SSSE/EF05 record 7');
    await expect.poll(() => ef05.locator('[data-record="MF/SSSE/EF05#7"]').getAttribute('class')).toContain('changed');
    await expect.poll(() => ef05.innerText()).toContain('Z');
    await shot('edited');
    await page.getByRole('button', { name: 'Tear at next durable write' }).click();
    await expect.poll(traceText).toContain('tear at the next durable write');
    await expectRejectsClass(sdk.verifyPin(WRONG_PIN), Error);
    await expect.poll(traceText).toContain('write torn');
    expect(await gauge().getAttribute('value')).toBe('3');
    await page.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(traceText).toContain('snapshot restored');
    await expect.poll(() => ef05.innerText()).not.toContain('Z');
    await shot('restored');
  });

  it('refuses requests from another origin: no action runs', async () => {
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    await page.goto(otherUrl);
    const target = new URL('/api/actions/remove', running.url).href;
    const json = await page.evaluate(async (url) => {
      try {
        const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
        return `status ${r.status}`;
      } catch (e) {
        return `failed: ${String(e)}`;
      }
    }, target);
    expect(json).toMatch(/^failed/);
    // A "simple" request needs no preflight: it reaches the server, which refuses it (and the
    // browser withholds even the opaque answer: Cross-Origin-Resource-Policy same-origin).
    await page.evaluate(async (url) => {
      await fetch(url, {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'Content-Type': 'text/plain' },
        body: '{}',
      }).catch(() => undefined);
    }, target);
    await expect
      .poll(() => serverLog.join('\n'))
      .toMatch(/refused POST \/api\/actions\/remove: request from another site/);
    expect(reader.present).toBe(true);
    const direct = await fetch(target, {
      method: 'POST',
      headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(direct.status).toBe(403);
    const state = await fetch(new URL('/api/state', running.url), { headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(state.status).toBe(403);
    expect(reader.present).toBe(true);
    expect(running.inspector.trace().filter((e) => e.kind === 'event' && e.text.includes('card removed'))).toHaveLength(
      1,
    );
    expect(cspReports).toEqual([]);
  });
});
