import { Registry, defaultRegistryLocation, startPortal } from '../../office/index.js';
import { printLine } from '../output.js';

/*
 * `sscard office serve`: the self-service portal (sign-in with the query password, the card's
 * status and history, password change and reset) on the registry. Loopback only unless --host
 * says otherwise; the portal speaks plain HTTP, so anything beyond this machine belongs behind an
 * HTTPS proxy (--over-https, --trust-proxy). Runs until SIGINT or SIGTERM, then closes the server
 * and the registry.
 */

export interface ServeOptions {
  db?: string;
  host: string;
  port: number;
  terminal: string;
  allowHost: string[];
  overHttps?: boolean;
  trustProxy?: boolean;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

export async function officeServe(opts: ServeOptions): Promise<void> {
  const registry = await Registry.open(opts.db ?? defaultRegistryLocation());
  let running;
  try {
    running = await startPortal({
      registry,
      host: opts.host,
      port: opts.port,
      terminalId: opts.terminal,
      allowedHosts: opts.allowHost,
      overHttps: opts.overHttps === true,
      trustProxy: opts.trustProxy === true,
    });
  } catch (err) {
    await registry.close();
    throw err;
  }
  if (!isLoopback(opts.host) && opts.overHttps !== true) {
    process.stderr.write(
      'sscard: the portal speaks plain HTTP; beyond this machine, put it behind an HTTPS proxy and pass --over-https\n',
    );
  }
  printLine(
    `portal listening on ${running.url} (registry ${registry.location}, ${registry.backend})${running.portal.lossReporting ? '' : '; self-service loss reporting not available'}`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  await registry.close();
  printLine('portal stopped');
}
