/* global document, EventSource, fetch */
// The inspector page: one event stream (/api/events) brings the card's state and the trace; the
// page draws them with DOM calls only (text, never markup, so nothing the card holds can run as
// code). Developer actions POST JSON to /api/actions/NAME when the server offers them.
'use strict';

const $ = (id) => document.getElementById(id);

/** An element with text and attributes. */
function el(tag, attrs, ...children) {
  const node = document.createElementNS(
    tag === 'svg' || attrs?.svg ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml',
    tag,
  );
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (k === 'svg' || v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'class') node.setAttribute('class', v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== undefined && c !== null) node.append(c);
  return node;
}

const view = {
  state: undefined,
  previousRecords: new Map(),
  // The user's open / closed choice per path; DFs start open, files and raw bytes closed.
  open: new Map(),
  paused: false,
  held: [],
  entries: [],
  editing: undefined,
};

// ---- card state --------------------------------------------------------------------------

function facts(dl, rows) {
  dl.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v ?? '—' })]));
}

function renderCard(s) {
  const c = s.card;
  $('power').textContent = c.powered ? 'powered' : 'no power';
  $('presence').textContent = c.present === null ? '' : c.present ? 'in the reader' : 'out of the reader';
  $('presence').hidden = c.present === null;
  facts($('card-facts'), [
    ['cardholder 姓名', c.holder],
    ['card number 卡号', c.cardNumber],
    ['spec 规范版本', c.spec],
    ['protocol', c.transmission],
    ['ATR', c.atr],
    ['card blocked', c.cardBlocked ? 'yes' : 'no'],
    ...c.problems.map((p) => ['problem', p]),
  ]);
  facts($('security'), [
    ['current DF', c.security.currentDf],
    ['current EF', c.security.currentEf],
    ['application', c.security.application],
    ['verified PINs', c.security.verifiedPins.join(', ') || 'none'],
    ['authenticated keys', c.security.authenticatedKeys.join(', ') || 'none'],
  ]);
  renderPins(c.tree);
  renderTree(c.tree);
  renderSnapshots(s);
  $('actions').hidden = !s.actions;
  $('read-only').hidden = !s.readOnly;
  $('snapshots-panel').hidden = !s.actions;
  if (s.actions) {
    const present = c.present;
    document.querySelector('[data-action="remove"]').disabled = present !== true;
    document.querySelector('[data-action="insert"]').disabled = present !== false;
  }
}

function dfs(df, out = []) {
  out.push(df);
  for (const c of df.children) if (c.kind === 'df') dfs(c, out);
  return out;
}

function renderPins(tree) {
  const pins = [];
  const keys = [];
  for (const df of dfs(tree)) {
    for (const p of df.pins) pins.push([df, p]);
    for (const k of df.keys) keys.push([df, k]);
  }
  $('pins').replaceChildren(
    ...pins.map(([df, p]) =>
      el(
        'div',
        { class: 'pin', 'data-pin': `${df.label}/${p.id}` },
        el('span', { text: `${df.label} PIN ${p.id} (ref ${p.reference})` }),
        el('meter', {
          min: 0,
          max: p.tryLimit,
          low: 1.5,
          high: p.tryLimit - 0.5,
          optimum: p.tryLimit,
          value: p.triesLeft,
          title: `${p.triesLeft} of ${p.tryLimit} tries left`,
          'aria-label': `${df.label} PIN ${p.id} tries left`,
        }),
        el(
          'span',
          null,
          el('span', { class: 'tries', text: `${p.triesLeft}/${p.tryLimit} tries left ` }),
          p.blocked ? el('span', { class: 'flag bad', text: 'blocked' }) : null,
          p.verified ? el('span', { class: 'flag ok', text: 'verified' }) : null,
          p.initial ? el('span', { class: 'flag warn', text: 'initial PIN in effect' }) : null,
        ),
      ),
    ),
  );
  $('keys').replaceChildren(
    el('tr', null, ...['DF', 'key', 'usage', 'alg', 'tries', 'state'].map((h) => el('th', { text: h }))),
    ...keys.map(([df, k]) =>
      el(
        'tr',
        { 'data-key': `${df.label}/${k.id}` },
        el('td', { text: df.label }),
        el('td', { text: k.id }),
        el('td', { text: k.usage }),
        el('td', { text: k.algorithm }),
        el('td', { text: `${k.triesLeft}/${k.tryLimit}` }),
        el('td', { text: k.blocked ? 'blocked' : k.authenticated ? 'authenticated' : '' }),
      ),
    ),
  );
}

function details(path, summary, body, current, openByDefault = false) {
  const open = view.open.get(path) ?? openByDefault;
  const d = el('details', { class: current ? 'current' : undefined, 'data-path': path, open }, summary, ...body);
  d.addEventListener('toggle', () => view.open.set(path, d.open));
  return d;
}

function recordBlock(ef, index, hex) {
  const decoded = ef.decoded?.find((r) => r.record === index + 1);
  const key = `${ef.path}#${index + 1}`;
  const changed = view.previousRecords.has(key) && view.previousRecords.get(key) !== hex;
  const block = el('div', { class: changed ? 'record changed' : 'record', 'data-record': key });
  block.append(el('div', { class: 'muted', text: `record ${index + 1} (${hex.length / 2} bytes)` }));
  if (decoded?.fields) {
    block.append(
      el(
        'table',
        null,
        ...decoded.fields.map(([k, v]) => el('tr', null, el('td', { text: k }), el('td', { text: v }))),
      ),
    );
  } else if (decoded?.problem) {
    block.append(el('div', { class: 'problem', text: decoded.problem }));
  }
  block.append(
    details(`${key}/raw`, el('summary', { class: 'muted', text: 'raw bytes' }), [
      el('div', { class: 'hex', text: hex }),
    ]),
  );
  if (view.state?.actions) block.append(editor(ef, index + 1, hex));
  return block;
}

function editor(ef, record, hex) {
  const input = el('input', { value: hex, 'aria-label': `new bytes of ${ef.path} record ${record}` });
  const save = el('button', { type: 'button', text: 'Save record' });
  save.addEventListener('click', () => act('edit-record', { path: ef.path, record, hex: input.value }));
  return details(`${ef.path}#${record}/edit`, el('summary', { class: 'muted', text: 'edit' }), [
    el('div', { class: 'edit' }, input, save),
  ]);
}

function efNode(ef, currentEf, inCurrentDf) {
  const meta = `FID ${ef.fid}${ef.sfi === null ? '' : `, SFI ${ef.sfi}`}, ${ef.structure}, read ${ef.read}, write ${ef.write}`;
  const count =
    ef.records === undefined
      ? `${ef.data.length / 2} bytes`
      : `${ef.records.length}${ef.maxRecords ? `/${ef.maxRecords}` : ''} records`;
  const summary = el('summary', null, `${ef.label} `, el('span', { class: 'meta', text: `${meta}, ${count}` }));
  const body = [];
  if (ef.records !== undefined) {
    const whole = ef.decoded?.find((r) => r.record === 0);
    if (whole?.fields)
      body.push(
        el(
          'table',
          { class: 'record' },
          ...whole.fields.map(([k, v]) => el('tr', null, el('td', { text: k }), el('td', { text: v }))),
        ),
      );
    body.push(el('div', { class: 'records' }, ...ef.records.map((hex, i) => recordBlock(ef, i, hex))));
  } else {
    body.push(
      details(`${ef.path}/raw`, el('summary', { class: 'muted', text: 'raw bytes' }), [
        el('div', { class: 'hex', text: ef.data }),
      ]),
    );
  }
  return details(ef.path, summary, body, inCurrentDf && currentEf === ef.label);
}

function dfNode(df, security) {
  const meta = [
    `FID ${df.fid}`,
    df.name,
    df.application && df.application !== 'usable' ? `application blocked (${df.application})` : null,
  ]
    .filter(Boolean)
    .join(', ');
  const summary = el('summary', null, `${df.label} `, el('span', { class: 'meta', text: meta }));
  const children = df.children.map((c) =>
    c.kind === 'df' ? dfNode(c, security) : efNode(c, security.currentEf, df.current),
  );
  return details(df.path, summary, children, df.current, true);
}

function renderTree(tree) {
  const security = view.state.card.security;
  $('tree').replaceChildren(dfNode(tree, security));
  const records = new Map();
  const walk = (df) => {
    for (const c of df.children) {
      if (c.kind === 'df') walk(c);
      else (c.records ?? []).forEach((hex, i) => records.set(`${c.path}#${i + 1}`, hex));
    }
  };
  walk(tree);
  view.previousRecords = records;
}

function renderSnapshots(s) {
  $('snapshots').replaceChildren(
    ...s.snapshots.map((snap) => {
      const restore = el('button', { type: 'button', text: 'Restore' });
      restore.addEventListener('click', () => act('restore', { id: snap.id }));
      return el('li', null, `${snap.name} (${snap.time.slice(11, 19)}) `, restore);
    }),
  );
}

// ---- trace -------------------------------------------------------------------------------

function traceRow(e) {
  if (e.kind === 'event') {
    return el(
      'tr',
      { class: 'event', 'data-seq': e.seq },
      el('td', { text: e.seq }),
      el('td', { text: e.time.slice(11, 23) }),
      el('td', { colspan: 6, text: e.text }),
    );
  }
  const cmd = [e.header, e.data === null ? null : `Lc=${e.lc} ${e.data}`, e.le === undefined ? null : `Le=${e.le}`]
    .filter(Boolean)
    .join(' ');
  return el(
    'tr',
    { 'data-seq': e.seq, class: e.masked ? 'masked' : undefined },
    el('td', { text: e.seq }),
    el('td', { text: e.time.slice(11, 23) }),
    el('td', { class: 'name', text: e.name + (e.malformed ? ' (malformed)' : '') }),
    el('td', { text: e.p1p2 ?? '' }),
    el('td', { class: 'hex', text: cmd }),
    el('td', { class: 'hex', text: e.response.data ?? '' }),
    el('td', { class: e.response.ok ? 'sw sw-ok' : 'sw sw-bad', text: e.response.status }),
    el('td', { text: e.elapsedMs.toFixed(2) }),
  );
}

function matches(row) {
  const q = $('filter').value.trim().toLowerCase();
  return q === '' || row.textContent.toLowerCase().includes(q);
}

function addEntries(entries) {
  const body = document.querySelector('#trace tbody');
  for (const e of entries) {
    view.entries.push(e);
    const row = traceRow(e);
    if (!matches(row)) row.classList.add('hidden');
    body.prepend(row);
  }
  while (body.children.length > 2000) body.lastElementChild.remove();
  if (view.entries.length > 5000) view.entries.splice(0, view.entries.length - 5000);
  renderTimeline();
  updateCount();
}

function updateCount() {
  const held = view.held.length;
  $('trace-count').textContent = `${view.entries.length} entries${held > 0 ? `, ${held} new while paused` : ''}`;
}

function renderTimeline() {
  const svg = $('timeline');
  const apdus = view.entries.filter((e) => e.kind === 'apdu').slice(-200);
  const max = Math.max(1, ...apdus.map((e) => e.elapsedMs));
  const w = 800 / Math.max(apdus.length, 50);
  const bars = apdus.map((e, i) => {
    const h = Math.max(1, (e.elapsedMs / max) * 100);
    const rect = el('rect', {
      svg: true,
      x: i * w,
      y: 110 - h,
      width: Math.max(1, w - 1),
      height: h,
      class: e.response.ok ? undefined : 'bad',
      'data-seq': e.seq,
    });
    rect.append(el('title', { svg: true, text: `#${e.seq} ${e.name} ${e.response.sw}: ${e.elapsedMs.toFixed(3)} ms` }));
    return rect;
  });
  svg.replaceChildren(
    el('line', { svg: true, x1: 0, y1: 110, x2: 800, y2: 110 }),
    el('text', { svg: true, x: 4, y: 12, text: `max ${max.toFixed(2)} ms (last ${apdus.length} APDUs)` }),
    ...bars,
  );
}

// ---- actions and wiring ------------------------------------------------------------------

async function act(name, body = {}) {
  const out = $('action-result');
  out.textContent = `${name}…`;
  try {
    const res = await fetch(`/api/actions/${name}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await res.json();
    out.textContent = res.ok ? answer.message : `refused: ${answer.error}`;
  } catch (err) {
    out.textContent = `failed: ${err}`;
  }
}

function setState(s) {
  view.state = s;
  renderCard(s);
}

function connect() {
  const source = new EventSource('/api/events');
  source.addEventListener('hello', (m) => {
    const hello = JSON.parse(m.data);
    view.entries = [];
    view.held = [];
    document.querySelector('#trace tbody').replaceChildren();
    setState(hello.state);
    addEntries(hello.trace);
    $('connection').textContent = 'live';
    $('connection').classList.remove('off');
  });
  source.addEventListener('state', (m) => setState(JSON.parse(m.data)));
  source.addEventListener('trace', (m) => {
    const entry = JSON.parse(m.data);
    if (view.paused) {
      view.held.push(entry);
      updateCount();
    } else addEntries([entry]);
  });
  source.addEventListener('error', () => {
    $('connection').textContent = 'disconnected: retrying';
    $('connection').classList.add('off');
  });
}

function start() {
  for (const b of document.querySelectorAll('[data-action]')) {
    b.addEventListener('click', () =>
      act(
        b.dataset.action,
        b.dataset.action === 'snapshot' ? { name: `snapshot at ${new Date().toLocaleTimeString()}` } : {},
      ),
    );
  }
  $('filter').addEventListener('input', () => {
    for (const row of document.querySelectorAll('#trace tbody tr')) row.classList.toggle('hidden', !matches(row));
  });
  $('pause').addEventListener('click', () => {
    view.paused = !view.paused;
    $('pause').textContent = view.paused ? 'Resume' : 'Pause';
    if (!view.paused) {
      const held = view.held;
      view.held = [];
      addEntries(held);
    }
    updateCount();
  });
  connect();
}

start();
