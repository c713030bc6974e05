import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` listening on `host`:`port` (0: any free port); resolves with the port it got. */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** The URL a browser on this machine opens for a server listening on `host`:`port`. */
export function serverUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}

/** Closes `server`, dropping the connections still open (event streams, keep-alive). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err === undefined ? resolve() : reject(err)));
    server.closeAllConnections();
  });
}

/**
 * Host header values (host:port) a server listening on `host`:`port` answers to (the Host check
 * keeps DNS rebinding out). A loopback or wildcard address answers on this machine's loopback
 * names; `wildcardItself` adds the wildcard address too (0.0.0.0:port).
 */
export function hostHeaders(host: string, port: number, wildcardItself: boolean): string[] {
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  const wildcard = host === '0.0.0.0' || host === '::';
  const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
  const names =
    loopback || wildcard
      ? ['localhost', '127.0.0.1', '[::1]', ...(wildcard && !wildcardItself ? [] : [bracket(host)])]
      : [bracket(host)];
  return [...new Set(names)].map((h) => `${h}:${port}`);
}
