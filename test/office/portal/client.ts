import { request } from 'node:http';

/*
 * A small HTTP client for the portal suites: node:http (so Host, Origin and Sec-Fetch-Site are
 * exactly what the test says), a cookie jar of one session cookie, the CSRF token read from the
 * last form.
 */

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SendOptions {
  headers?: Record<string, string>;
  form?: Record<string, string>;
  /** A raw body (with its own content-type header). */
  body?: string | Buffer;
  /** Leave the jar's cookie out. */
  noCookie?: boolean;
}

export class Browser {
  readonly base: URL;
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(base: string) {
    this.base = new URL(base);
  }

  get origin(): string {
    return this.base.origin;
  }

  async send(method: string, path: string, options: SendOptions = {}): Promise<Reply> {
    const body = options.form !== undefined ? new URLSearchParams(options.form).toString() : options.body;
    const headers: Record<string, string> = {
      Host: this.base.host,
      ...(options.form !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      ...(this.cookie !== undefined && options.noCookie !== true ? { Cookie: this.cookie } : {}),
      ...options.headers,
    };
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request({ host: this.base.hostname, port: this.base.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
    const set = reply.headers['set-cookie'];
    for (const c of set ?? []) {
      const pair = c.split(';')[0]!;
      this.cookie = /Max-Age=0/.test(c) ? undefined : pair;
    }
    const token = /name="_csrf" value="([^"]*)"/.exec(reply.body);
    if (token !== null) this.csrf = token[1];
    return reply;
  }

  get(path: string, options: SendOptions = {}): Promise<Reply> {
    return this.send('GET', path, options);
  }

  /** A POST from the portal's own page: Origin and Sec-Fetch-Site as a browser sends them, the form's token. */
  post(path: string, form: Record<string, string>, options: SendOptions = {}): Promise<Reply> {
    return this.send('POST', path, {
      ...options,
      form: { _csrf: this.csrf ?? '', ...form },
      headers: { Origin: this.origin, 'Sec-Fetch-Site': 'same-origin', ...options.headers },
    });
  }
}
