import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_PORTAL_PORT, Registry, defaultRegistryLocation, startPortal } from '../../office/index.js';
import { printLine } from '../output.js';
import { hostTerminalId, registryDbOption, terminalIdOption } from '../registry-options.js';

/*
 * `sscard office serve`: the self-service portal (sign-in with the query password, the card's
 * status and history, password change and reset) on the registry. Loopback only unless --host
 * says otherwise; the portal speaks plain HTTP, so anything beyond this machine belongs behind an
 * HTTPS proxy (--over-https, --trust-proxy). Runs until SIGINT or SIGTERM, then closes the server
 * and the registry.
 */

interface ServeOptions {
  db?: string;
  host: string;
  port: number;
  terminal: string;
  allowHost: string[];
  overHttps?: boolean;
  trustProxy?: boolean;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 65535)
    throw new InvalidArgumentError('must be a port number from 0 to 65535 (0: any free port)');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  if (!/^[A-Za-z0-9.\-[\]:]+:[0-9]+$/.test(value))
    throw new InvalidArgumentError('must be host:port as browsers send it in the Host header');
  return [...previous, value];
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

async function officeServe(opts: ServeOptions): Promise<void> {
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

export function registerOfficeServeCommand(office: Command): void {
  office
    .command('serve')
    .description(
      'serve the self-service portal: sign in with the query password, card status and history, change or reset the password',
    )
    .addOption(registryDbOption())
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(
      new Option('--port <n>', 'port to listen on (0: any free port)')
        .default(DEFAULT_PORTAL_PORT)
        .argParser(parsePort),
    )
    .addOption(terminalIdOption(hostTerminalId('portal')))
    .addOption(
      new Option('--allow-host <host:port>', 'another Host header value to answer (repeatable)')
        .default([])
        .argParser(collect),
    )
    .option('--over-https', 'browsers reach the portal through an HTTPS proxy (Secure cookie, HSTS)')
    .option(
      '--trust-proxy',
      'take the client address from X-Forwarded-For (rate limits; only behind a proxy that sets it)',
    )
    .action((opts: ServeOptions) => officeServe(opts));
}
