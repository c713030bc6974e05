import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/apdu/index.js';
import { buildSscCard, samplePerson } from '../../src/card-sim/index.js';
import type { SimulatedCard } from '../../src/card-sim/index.js';
import { INSPECTOR_CSP, inspect } from '../../src/inspector/index.js';
import type { InspectOptions, InspectorState, RunningInspector, TraceEntry } from '../../src/inspector/index.js';
import { MemoryTransport } from '../../src/terminal/index.js';

/*
 * The inspector's server without a browser: what it answers, what it refuses, the event stream,
 * and the trace export. The page itself is exercised in browser.test.ts.
 */

const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF00';

let running: RunningInspector | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(options: InspectOptions = {}): Promise<{ card: SimulatedCard; url: string; origin: string }> {
  const card = buildSscCard(samplePerson('zhang-wei'), { powered: true });
  running = await inspect(card, { port: 0, log: () => undefined, ...options });
  return { card, url: running.url, origin: running.url.replace(/\/$/, '') };
}

function post(url: string, action: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(`/api/actions/${action}`, url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('inspector server', () => {
  it('listens on loopback by default and serves the page under a strict CSP, with no external reference', async () => {
    const { url } = await start();
    expect((running!.server.address() as AddressInfo).address).toBe('127.0.0.1');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(INSPECTOR_CSP);
    expect(INSPECTOR_CSP).toContain("default-src 'none'");
    expect(INSPECTOR_CSP).not.toMatch(/unsafe|https?:/);
    const html = await page.text();
    const links = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!);
    for (const link of links) expect(link).toMatch(/^\/(assets|api)\//);
    const assets = links.filter((link) => link.startsWith('/assets/'));
    expect(assets).toHaveLength(2);
    for (const a of assets) {
      const res = await fetch(new URL(a, url));
      expect(res.status).toBe(200);
      const text = await res.text();
      // No request leaves the machine: nothing the page loads names another host.
      expect(text).not.toMatch(/(?:src|href)=["']?https?:|url\(\s*["']?https?:|fetch\(\s*["']https?:|@import/);
    }
    expect(html).not.toMatch(/<script>|style="/);
  });

  it('answers only to its own host names (DNS rebinding) and refuses other sites and origins', async () => {
    const { url, origin } = await start();
    // fetch() cannot set Host: a plain request can.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(new URL('/api/state', url), { headers: { Host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    expect(status).toBe(421);
    expect((await fetch(new URL('/api/state', url), { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(403);
    expect((await fetch(new URL('/api/state', url), { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    expect(
      (await fetch(new URL('/api/state', url), { headers: { Origin: origin, 'Sec-Fetch-Site': 'same-origin' } }))
        .status,
    ).toBe(200);
  });

  it('runs no action while the switch is off, and refuses read-only cards their actions', async () => {
    const { url, origin } = await start();
    const res = await post(url, 'tear', {}, { Origin: origin });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/developer actions are off/);
    await running!.close();
    const ro = await start({ actions: true, readOnly: true });
    expect((await post(ro.url, 'reset-cold', {}, { Origin: ro.origin })).status).toBe(403);
    const state = (await (await fetch(new URL('/api/state', ro.url))).json()) as InspectorState;
    expect(state).toMatchObject({ actions: false, readOnly: true });
  });

  it('needs its own Origin and a JSON body for an action; bad arguments are named', async () => {
    const { url, origin, card } = await start({ actions: true });
    expect((await post(url, 'reset-warm', {})).status).toBe(403);
    const text = await fetch(new URL('/api/actions/reset-warm', url), {
      method: 'POST',
      headers: { Origin: origin, 'Content-Type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    expect((await post(url, 'format-card', {}, { Origin: origin })).status).toBe(404);
    const edit = await post(url, 'edit-record', { path: 'MF/SSSE/EF99', record: 1, hex: '00' }, { Origin: origin });
    expect(edit.status).toBe(400);
    expect(((await edit.json()) as { error: string }).error).toBe('no EF at MF/SSSE/EF99');
    const long = await post(
      url,
      'edit-record',
      { path: 'MF/SSSE/EF05', record: 3, hex: '0304322E30303030' },
      { Origin: origin },
    );
    expect(long.status).toBe(400);
    expect((await post(url, 'remove', {}, { Origin: origin })).status).toBe(409);
    expect(card.powered).toBe(true);
    const entries = running!.inspector.trace();
    expect(entries.filter((e) => e.kind === 'event' && e.text.includes('refused'))).toHaveLength(3);
  });

  it('removes and inserts the card through its reader; each action is in the trace', async () => {
    const card = buildSscCard(samplePerson('zhang-wei'));
    const reader = new MemoryTransport(card);
    running = await inspect(card, { port: 0, actions: true, reader });
    const origin = running.url.replace(/\/$/, '');
    expect((await post(running.url, 'remove', {}, { Origin: origin })).status).toBe(200);
    expect(reader.present).toBe(false);
    expect((await post(running.url, 'remove', {}, { Origin: origin })).status).toBe(409);
    expect((await post(running.url, 'insert', {}, { Origin: origin })).status).toBe(200);
    expect(reader.present).toBe(true);
    const events = running.inspector.trace().map((e) => (e.kind === 'event' ? e.text : e.name));
    expect(events).toEqual([
      'card power off',
      'inspector: card removed from the reader',
      'inspector: remove refused: the card is not in the reader',
      'card powered (ATR)',
      'inspector: card inserted into the reader',
    ]);
    await reader.close();
  });

  it('streams the state and the trace over one event stream', async () => {
    const { url, card } = await start();
    const controller = new AbortController();
    const res = await fetch(new URL('/api/events', url), { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += Buffer.from(value).toString('utf8');
      }
    };
    await until(/event: hello\ndata: .*\n\n/);
    card.transmit(fromHex(SELECT_SSSE));
    await until(/event: trace\ndata: .*"name":"SELECT".*\n\n/);
    await until(/event: state\ndata: .*"application":"SSSE".*\n\n/);
    controller.abort();
  });

  it('exports the trace as an APDU script: commands with their answers, power words, PIN commands as comments', async () => {
    const { url, card } = await start();
    card.transmit(fromHex(SELECT_SSSE));
    card.transmit(fromHex('0020000003123456'));
    card.transmit(fromHex('0084000008'));
    card.reset('cold');
    const res = await fetch(new URL('/api/trace.apdu', url));
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="sscard-trace.apdu"/);
    const lines = (await res.text())
      .split('\n')
      .filter((l) => !l.startsWith('# sscard') && !l.startsWith('# replay') && !l.startsWith('# PIN'));
    expect(lines[0]).toMatch(
      /^00A404000F7378312E73682EC9E7BBE1B1A3D5CF00 -> 6F19.* 9000 {2}# #1 SELECT \[by DF name, return FCI\]$/,
    );
    expect(lines[1]).toBe('# 00 20 00 00 (Lc=3, PIN data **** not recorded) -> 9000  #2 VERIFY [application PIN]');
    expect(lines[2]).toMatch(/^0084000008 -> \* 9000 {2}# #3 GET CHALLENGE \(random answer: status word only\)$/);
    expect(lines[3]).toBe('reset cold  # #4 cold reset (ATR)');
    expect(lines.join('\n')).not.toContain('123456');
  });

  it('keeps the newest entries up to its limit', async () => {
    const { card } = await start({ traceLimit: 3 });
    for (let i = 0; i < 5; i++) card.transmit(fromHex('00B2012C00'));
    const trace: TraceEntry[] = running!.inspector.trace();
    expect(trace.map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('stops watching the card when closed', async () => {
    const { card } = await start();
    const inspector = running!.inspector;
    await running!.close();
    running = undefined;
    card.transmit(fromHex(SELECT_SSSE));
    expect(inspector.trace()).toEqual([]);
  });
});
