import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { SscardError } from '../apdu/index.js';
import type { SimulatedCard } from '../card-sim/index.js';
import { allowedHost, closeServer, listen, serverUrl } from '../http/index.js';
import { ACTION_NAMES, runAction } from './actions.js';
import type { InspectedReader, Snapshot } from './actions.js';
import { inspectorAsset, inspectorAssets } from './assets.js';
import { InspectorError } from './errors.js';
import { allowedHosts, crossOriginRefusal, readJsonBody, send, sendJson, startEventStream } from './http.js';
import { cardView } from './snapshot.js';
import type { CardView } from './snapshot.js';
import { actionRecord, traceRecord, traceScript } from './trace.js';
import type { TraceEntry, TraceRecord } from './trace.js';

/*
 * The inspector's server: Node's own http server, one page, and one event stream (server-sent
 * events) that carries the trace and the card's state as they change. The card is watched through
 * SimulatedCard.observe(), which never hands over PIN data. Every request: Host checked (DNS
 * rebinding), a request from another site refused; developer actions (POST, JSON, same Origin) only
 * when the inspector was started with them switched on.
 */

/** Port of `--inspect` when none is given: 7816, after ISO/IEC 7816. */
export const DEFAULT_INSPECTOR_PORT = 7816;

export interface InspectorOptions {
  /** What the page calls the card (an image path, "card under test"). */
  label?: string;
  /** The developer actions (remove / insert, resets, tear, record edit, snapshots); default off. */
  actions?: boolean;
  /** The reader holding the card, for remove / insert. */
  reader?: InspectedReader;
  /** A card at rest (an image file): the page says so, and there are no actions. */
  readOnly?: boolean;
  /** Trace entries kept (oldest dropped first); default 5000. */
  traceLimit?: number;
  /** Host header values (host:port) answered besides the listening address's own names. */
  allowedHosts?: readonly string[];
  /** Where failures are reported; default stderr. */
  log?: (line: string) => void;
}

/** What the page receives as the state: the card, the snapshots, and what the page may offer. */
export interface InspectorState {
  card: CardView;
  snapshots: Array<Omit<Snapshot, 'state'>>;
  actions: boolean;
  readOnly: boolean;
}

const STATE_DELAY_MS = 40;
const HEARTBEAT_MS = 15_000;

export class Inspector {
  readonly card: SimulatedCard;
  readonly label: string;
  readonly actions: boolean;
  readonly readOnly: boolean;
  readonly #reader: InspectedReader | undefined;
  readonly #records: TraceRecord[] = [];
  readonly #traceLimit: number;
  readonly #streams = new Set<ServerResponse>();
  readonly #allowed = new Set<string>();
  readonly #snapshots: Snapshot[] = [];
  readonly #log: (line: string) => void;
  readonly #stopObserving: () => void;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  #seq = 0;
  #snapshotId = 0;
  #stateTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(card: SimulatedCard, options: InspectorOptions = {}) {
    this.card = card;
    this.label = options.label ?? 'simulated card';
    this.readOnly = options.readOnly === true;
    this.actions = options.actions === true && !this.readOnly;
    this.#reader = options.reader;
    this.#traceLimit = options.traceLimit ?? 5000;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    for (const h of options.allowedHosts ?? []) this.#allowed.add(h.toLowerCase());
    // Fail at start, not at the first page, when the build lost a file of the page.
    for (const name of ['index.html', 'inspector.css', 'inspector.js']) inspectorAsset(name);
    this.#stopObserving = card.observe((o) => this.#add(traceRecord(++this.#seq, o)));
    this.#heartbeat = setInterval(() => this.#broadcast(': keep-alive\n\n'), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Adds Host header values the inspector answers to. */
  allowHosts(hosts: readonly string[]): void {
    for (const h of hosts) this.#allowed.add(h.toLowerCase());
  }

  /** The trace so far (oldest first). */
  trace(): TraceEntry[] {
    return this.#records.map((r) => r.entry);
  }

  /** The trace as an APDU script for `sscard script`. */
  traceScript(): string {
    return traceScript(this.#records, this.label);
  }

  state(): InspectorState {
    return {
      card: cardView(this.card, this.label, this.#reader === undefined ? null : this.#reader.present),
      snapshots: this.#snapshots.map(({ id, name, time }) => ({ id, name, time })),
      actions: this.actions,
      readOnly: this.readOnly,
    };
  }

  /** Stops watching the card and ends the event streams. */
  close(): void {
    this.#stopObserving();
    clearInterval(this.#heartbeat);
    clearTimeout(this.#stateTimer);
    for (const s of this.#streams) s.end();
    this.#streams.clear();
  }

  /** The request listener for node:http. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#dispatch(req, res).catch((err: unknown) => {
      this.#log(`sscard inspector: ${req.method ?? '?'} ${(req.url ?? '').slice(0, 100)} failed: ${describe(err)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'inspector failure' });
      else res.destroy();
    });
  };

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = allowedHost(req, this.#allowed);
    if (host === undefined) return send(res, 421, 'text/plain; charset=utf-8', 'unknown host\n');
    const refusal = crossOriginRefusal(req, `http://${host}`);
    if (refusal !== undefined) {
      this.#log(`sscard inspector: refused ${req.method ?? '?'} ${(req.url ?? '').slice(0, 100)}: ${refusal}`);
      send(res, 403, 'text/plain; charset=utf-8', `refused: ${refusal}\n`);
      return;
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const method = req.method ?? 'GET';
    if (method === 'POST' && url.pathname.startsWith('/api/actions/')) {
      await this.#action(req, res, url.pathname.slice('/api/actions/'.length));
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    switch (url.pathname) {
      case '/':
        this.#page(res);
        return;
      case '/api/state':
        sendJson(res, 200, this.state());
        return;
      case '/api/trace':
        sendJson(res, 200, this.trace());
        return;
      case '/api/trace.apdu':
        send(res, 200, 'text/plain; charset=utf-8', this.traceScript(), {
          'Content-Disposition': 'attachment; filename="sscard-trace.apdu"',
        });
        return;
      case '/api/events':
        this.#stream(req, res);
        return;
    }
    const asset = url.pathname.startsWith('/assets/') ? inspectorAssets().get(url.pathname.slice(8)) : undefined;
    if (asset === undefined || asset.name === 'index.html') {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    send(res, 200, asset.type, asset.body);
  }

  #page(res: ServerResponse): void {
    const html = inspectorAsset('index.html').body.toString('utf8');
    const href = (name: string) => `/assets/${name}?v=${inspectorAsset(name).hash}`;
    const body = html
      .replaceAll('{{css}}', href('inspector.css'))
      .replaceAll('{{js}}', href('inspector.js'))
      .replaceAll('{{title}}', escapeHtml(this.label));
    send(res, 200, 'text/html; charset=utf-8', body);
  }

  #stream(req: IncomingMessage, res: ServerResponse): void {
    startEventStream(res);
    this.#streams.add(res);
    req.on('close', () => this.#streams.delete(res));
    res.write(event('hello', { state: this.state(), trace: this.trace() }));
  }

  async #action(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (!this.actions) {
      sendJson(res, 403, { error: 'developer actions are off (start the inspector with them switched on)' });
      return;
    }
    if (!(ACTION_NAMES as readonly string[]).includes(name)) {
      sendJson(res, 404, { error: `no action ${name.slice(0, 40)}` });
      return;
    }
    const body = await readJsonBody(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      sendJson(res, 415, { error: 'an action is a JSON object sent as application/json' });
      return;
    }
    const started = Date.now();
    try {
      const line = await runAction(
        { card: this.card, reader: this.#reader, snapshots: this.#snapshots, nextSnapshotId: () => ++this.#snapshotId },
        name,
        body as Record<string, unknown>,
      );
      this.#add(actionRecord(++this.#seq, `inspector: ${line}`, started));
      sendJson(res, 200, { ok: true, message: line });
    } catch (err) {
      if (!(err instanceof SscardError)) throw err;
      this.#add(actionRecord(++this.#seq, `inspector: ${name} refused: ${err.message}`, started));
      this.#scheduleState();
      sendJson(res, err instanceof InspectorError && err.code === 'INSPECTOR_ACTION_INVALID' ? 400 : 409, {
        error: err.message,
        code: err.code,
      });
    }
  }

  #add(record: TraceRecord): void {
    this.#records.push(record);
    if (this.#records.length > this.#traceLimit) this.#records.splice(0, this.#records.length - this.#traceLimit);
    this.#broadcast(event('trace', record.entry));
    this.#scheduleState();
  }

  /** Card state after a burst of commands: at most one push per STATE_DELAY_MS. */
  #scheduleState(): void {
    if (this.#stateTimer !== undefined || this.#streams.size === 0) return;
    this.#stateTimer = setTimeout(() => {
      this.#stateTimer = undefined;
      this.#broadcast(event('state', this.state()));
    }, STATE_DELAY_MS);
  }

  #broadcast(text: string): void {
    for (const s of this.#streams) s.write(text);
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function describe(err: unknown): string {
  if (err instanceof SscardError) return `${err.name} [${err.code}]: ${err.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export interface InspectOptions extends InspectorOptions {
  /** Address to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** Port (default DEFAULT_INSPECTOR_PORT; 0 for any free one). */
  port?: number;
}

export interface RunningInspector {
  inspector: Inspector;
  server: Server;
  /** http://host:port/ as a browser on this machine reaches it. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a live inspector page for `card` (e.g. from a failing test: `await inspect(card, { port:
 * 0 })`, then open the URL it gives). Loopback only unless `host` says otherwise.
 */
export async function inspect(card: SimulatedCard, options: InspectOptions = {}): Promise<RunningInspector> {
  const host = options.host ?? '127.0.0.1';
  const inspector = new Inspector(card, options);
  const server = createServer(inspector.handle);
  server.headersTimeout = 10_000;
  server.requestTimeout = 20_000;
  let port: number;
  try {
    port = await listen(server, options.port ?? DEFAULT_INSPECTOR_PORT, host);
  } catch (err) {
    inspector.close();
    const why = err instanceof Error ? err.message : String(err);
    throw new InspectorError(
      'INSPECTOR_LISTEN',
      `cannot listen on ${host}:${options.port ?? DEFAULT_INSPECTOR_PORT}: ${why}`,
      {
        cause: err,
      },
    );
  }
  inspector.allowHosts(allowedHosts(host, port));
  return {
    inspector,
    server,
    port,
    url: serverUrl(host, port),
    close: () => {
      inspector.close();
      return closeServer(server);
    },
  };
}
