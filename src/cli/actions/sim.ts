import { SscardError, toHex } from '../../apdu/index.js';
import { VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT, VpcdConnection, formatVpcdEvent } from '../../bridge/index.js';
import type { VpcdEvent } from '../../bridge/index.js';
import { closeCardImage, openCardImage, readCardImage, saveCardImage } from '../../card-sim/index.js';
import type { SimulatedCard } from '../../card-sim/index.js';
import type { RunningInspector } from '../../inspector/index.js';
import { printLine, printNotice } from '../output.js';
import { VPCD_SLOTS } from '../commands/sim.js';
import { inspectorLine, loadInspector, untilSignal } from './inspect.js';
import { warmUpServedCard } from './sim-warm-up.js';

/*
 * `sscard sim serve`: a card image behind a real PC/SC reader. The card connects to pcscd's
 * vsmartcard vpcd driver (it listens; the card is the TCP client), which shows it in the reader
 * "Virtual PCD 00 0N" of slot N (TCP port 35963 + N). Every durable change of the card (a PIN try
 * spent, a record written) is saved to the image before the card answers. SIGINT / SIGTERM pull
 * the card out cleanly: socket closed, final save, exit 0. A lost pcscd connection is retried
 * with backoff and reported on stderr.
 */

/** A vpcd problem on the command line (bad address, no pcscd). */
export class SimServeError extends SscardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SIM_SERVE', message, options);
  }
}

export interface ServeOptions {
  card: string;
  vpcd?: { host: string; port: number };
  slot?: number;
  t0?: boolean;
  verbose?: boolean;
  connectTimeout?: number;
  inspect?: { host: string; port: number };
  inspectActions?: boolean;
}

/** Reader name pcscd gives a vpcd slot (vpcd's default configuration). */
export function vpcdReaderName(port: number): string | undefined {
  const slot = port - VPCD_DEFAULT_PORT;
  return slot >= 0 && slot < VPCD_SLOTS ? `Virtual PCD 00 0${slot}` : undefined;
}

/** The card to serve and how its changes reach the image file. */
interface ServedCard {
  card: SimulatedCard;
  /** Writes the card's current state to the image (the final save). */
  save(): void;
  /** Releases the image (its lock) once the card has left the reader. */
  close(): void;
  spec: string | null;
}

/**
 * The card of an image, bound to it (openCardImage: every change saved before the card answers,
 * the image locked while it is served). With --t0 a T=1 card runs T=0 for this run only: the
 * image keeps saying T=1.
 */
function loadServedCard(path: string, forceT0: boolean): ServedCard {
  const card = openCardImage(
    path,
    forceT0 ? { transmission: 'T=0', onNotice: printNotice } : { onNotice: printNotice },
  );
  return {
    card,
    save: () => saveCardImage(path, card),
    close: () => closeCardImage(card),
    spec: readCardImage(path).spec,
  };
}

function endpoint(opts: ServeOptions): { host: string; port: number } {
  if (opts.vpcd !== undefined && opts.slot !== undefined && opts.vpcd.port !== VPCD_DEFAULT_PORT + opts.slot) {
    throw new SimServeError(
      `--vpcd ${opts.vpcd.host}:${opts.vpcd.port} and --slot ${opts.slot} name different readers; give one of them`,
    );
  }
  if (opts.vpcd !== undefined) return opts.vpcd;
  return { host: VPCD_DEFAULT_HOST, port: VPCD_DEFAULT_PORT + (opts.slot ?? 0) };
}

/**
 * Lines for stderr about the bridge's life: connection lost / retried / back again, warnings.
 * APDUs only with --verbose. `recovering` is true after a lost connection or a failed attempt.
 */
function lifecycleLine(e: VpcdEvent, verbose: boolean, recovering: boolean): string | undefined {
  switch (e.type) {
    case 'disconnected':
    case 'connect-failed':
    case 'warning':
      return formatVpcdEvent(e);
    case 'connected':
      return recovering || verbose ? formatVpcdEvent(e) : undefined;
    case 'command':
    case 'response':
      return verbose ? formatVpcdEvent(e) : undefined;
    case 'control':
      return verbose && e.control !== 'atr-request' ? formatVpcdEvent(e) : undefined;
    default:
      return undefined;
  }
}

export async function serve(opts: ServeOptions): Promise<void> {
  if (opts.inspectActions === true && opts.inspect === undefined) {
    throw new SimServeError('--inspect-actions needs --inspect [host:]port (the actions are on the inspector page)');
  }
  const { host, port } = endpoint(opts);
  const served = loadServedCard(opts.card, opts.t0 === true);
  const { card } = served;
  const reader = vpcdReaderName(port);
  const verbose = opts.verbose === true;
  let stopping = false;
  let recovering = false;
  // The inspector's remove / insert end this connection and open a new one (vpcd sees a card only
  // while its socket is connected).
  const connectBridge = (): VpcdConnection => {
    const connection = new VpcdConnection({
      card,
      host,
      port,
      // Retry for ever: pcscd may be restarted under a running card.
      reconnect: { initialDelayMs: 200, maxDelayMs: 5000, factor: 2 },
      connectTimeoutMs: Math.round((opts.connectTimeout ?? 10) * 1000),
    });
    connection.onEvent(
      (e) => {
        if (stopping || connection !== bridge) return;
        const line = lifecycleLine(e, verbose, recovering);
        if (e.type === 'disconnected' || e.type === 'connect-failed') recovering = true;
        if (e.type === 'connected') recovering = false;
        if (line !== undefined) process.stderr.write(`sscard sim: ${line}\n`);
        if (e.type === 'attached')
          printLine(`card inserted${reader === undefined ? '' : ` into '${reader}'`}: pcscd is talking to it`);
        if (e.type === 'disconnected') printLine('card out of the reader: connection to pcscd lost; reconnecting');
        // The APDUs are traced only with --verbose: otherwise the bridge makes no event per APDU.
      },
      { exchanges: verbose },
    );
    return connection;
  };
  let bridge = connectBridge();
  let present = true;
  let inspector: RunningInspector | undefined;
  // Runs in turns of the event loop while pcscd takes the card up; it never touches `card`.
  const warmUp = warmUpServedCard(card);

  const { stopped, dispose } = untilSignal();
  try {
    if (opts.inspect !== undefined) {
      const { inspect } = await loadInspector();
      inspector = await inspect(card, {
        ...opts.inspect,
        label: opts.card,
        actions: opts.inspectActions === true,
        reader: {
          get present() {
            return present;
          },
          remove: async () => {
            present = false;
            await bridge.close();
            printLine('card removed from the reader (inspector)');
          },
          insert: async () => {
            bridge = connectBridge();
            present = true;
            await bridge.start();
            printLine('card put back into the reader (inspector)');
          },
        },
      });
      printLine(inspectorLine(inspector, opts.card));
    }
    // A signal while pcscd has not accepted the card yet ends the wait too.
    const started = bridge.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    const first = await Promise.race([started, stopped.then(() => 'signal' as const)]);
    if (first !== 'signal') {
      if (first !== undefined) {
        const why = first instanceof Error ? first.message : String(first);
        throw new SimServeError(`cannot put the card into the vpcd reader at ${host}:${port}: ${why}`, {
          cause: first,
        });
      }
      printLine(
        `serving ${opts.card} (spec ${served.spec ?? 'none'}, ${card.transmission}, ATR ${toHex(card.atr, { spaces: true })}) ` +
          `on vpcd ${host}:${port}${reader === undefined ? '' : ` (reader '${reader}')`}; Ctrl-C removes the card`,
      );
    }
    const signal = await stopped;
    stopping = true;
    await bridge.close();
    served.save();
    printLine(`card removed (${signal}); image saved to ${opts.card}`);
  } finally {
    warmUp.stop();
    dispose();
    await inspector?.close();
    if (bridge.state !== 'closed') await bridge.close();
    served.close();
  }
}
