/*
 * The SDK's side of the PC/SC rows: a client process of its own (as pyscard's is), bundled with the
 * sources and run with plain node by bench/pcsc/compare.ts, so it runs the code as a build ships
 * it and not through tsx in the bench's process. It sends SELECT MF to the card in one reader
 * through each layer asked for and prints one JSON object: per layer the
 * rate (1 / median round trip), p50 and p99. The layers are measured in turns (see timeInterleaved).
 *
 *   node sdk-client.mjs <reader> <count> <layer>[,<layer>...]
 *
 * The layers, from the bottom up, partition what one exchange costs:
 *   smartcard-raw    the `smartcard` binding alone: `await card.transmit(...)` (same receive buffer as the SDK's)
 *   smartcard-handle the SDK's backend handle on it (smartcard-backend.ts)
 *   transport        SmartcardTransport.transmit (PcscTransport: removal, reset and close handling)
 *   channel          CardChannel.transmit over it (locks, time limit, T=0 handling, response parse)
 *   pcsclite-raw     the `pcsclite` binding alone: `reader.transmit(..., callback)`
 *   pcsclite-transport PcscliteTransport.transmit
 *   pcscd-handle     no binding: the pcscd socket backend's handle (pcscd-socket-backend.ts), which
 *                    writes SCardTransmit to pcscd's socket from JavaScript (no thread-pool hop)
 *   pcscd-transport  PcscdSocketTransport.transmit
 *   pcscd-channel    CardChannel.transmit over it
 *   default-transport PcscTransport.connect() naming no backend: what a user gets (auto: pcscd's
 *                    socket where pcscd answers on it, else the smartcard binding); the JSON
 *                    says which it chose
 */
import { performance } from 'node:perf_hooks';
import { fromHex } from '../../src/apdu/index.js';
import {
  CardChannel,
  PcscTransport,
  PcscdSocketTransport,
  PcscliteTransport,
  SmartcardTransport,
  pcscdSocketBackend,
  smartcardBackend,
  type PcscBackend,
  type Transport,
} from '../../src/terminal/index.js';
import { MAX_RESPONSE_LENGTH, loadPcsclite, loadSmartcard, pcscBackendInUse } from '../../src/terminal/pcsc/index.js';
import type { PlCardReader } from '../../src/terminal/pcsc/binding.js';

const SELECT_MF = fromHex('00A4000C023F00');
/** What a caller of a binding would hand it: a Buffer, made once. */
const SELECT_MF_BUFFER = Buffer.from(SELECT_MF);

const sw1Of = (r: Uint8Array): number => r[r.length - 2] ?? -1;
const WARM_UP = 50;
/** Exchanges per layer before the next layer's turn. */
const BLOCK = 100;

interface Timing {
  perSecond: number;
  p50Us: number;
  p99Us: number;
}

/** One SELECT MF; answers SW1. */
type Exchange = () => Promise<number>;

/** Opens one layer: its exchange and how to close it. */
type Opener = (reader: string) => Promise<{ exchange: Exchange; close(): Promise<void> | void }>;

/** Per-exchange round trips of every layer, interleaved: blocks of BLOCK exchanges, the layers' order turning per block. */
async function timeInterleaved(exchanges: Map<string, Exchange>, n: number): Promise<Record<string, Timing>> {
  const names = [...exchanges.keys()];
  const times = new Map(names.map((name) => [name, new Float64Array(n)]));
  for (const exchange of exchanges.values()) for (let i = 0; i < WARM_UP; i++) await exchange();
  for (let done = 0, block = 0; done < n; done += BLOCK, block++) {
    const count = Math.min(BLOCK, n - done);
    const k = block % names.length;
    for (const name of [...names.slice(k), ...names.slice(0, k)]) {
      const exchange = exchanges.get(name) as Exchange;
      const into = times.get(name) as Float64Array;
      for (let i = done; i < done + count; i++) {
        const t = performance.now();
        const sw1 = await exchange();
        into[i] = performance.now() - t;
        if (sw1 !== 0x90) throw new Error(`SELECT MF failed through ${name}`);
      }
    }
  }
  const results: Record<string, Timing> = {};
  for (const [name, t] of times) {
    t.sort();
    const p50 = t[n >> 1] ?? Number.NaN;
    results[name] = { perSecond: 1000 / p50, p50Us: p50 * 1000, p99Us: (t[Math.floor(n * 0.99)] ?? Number.NaN) * 1000 };
  }
  return results;
}

/** The SDK's backend handle alone (what a PcscTransport calls). */
async function openHandle(backend: PcscBackend, reader: string): ReturnType<Opener> {
  const context = await backend.establish();
  context.listReaders();
  const handle = await context.connect(reader, { share: 'shared', protocols: ['T=0', 'T=1'] });
  return {
    exchange: () => handle.transmit(SELECT_MF, MAX_RESPONSE_LENGTH).then(sw1Of),
    async close() {
      await handle.disconnect('leave');
      context.release(false);
    },
  };
}

/** An SDK transport's transmit alone (what a channel calls). */
function overTransport(transport: Transport): Awaited<ReturnType<Opener>> {
  return { exchange: () => transport.transmit(SELECT_MF).then(sw1Of), close: () => transport.close() };
}

/** CardChannel.transmit over an SDK transport (what SscCard calls). */
function overChannel(transport: Transport): Awaited<ReturnType<Opener>> {
  const channel = new CardChannel(transport);
  return { exchange: () => channel.transmit(SELECT_MF).then((r) => r.sw1), close: () => channel.close() };
}

/** The SDK transports' connect options here: a shared connection to `reader`, left as it is on close. */
const shared = (reader: string) => ({ reader, closeDisposition: 'leave' as const });

const openers: Record<string, Opener> = {
  async 'smartcard-raw'(reader) {
    const binding = await loadSmartcard();
    const context = new binding.Context();
    const found = context.listReaders().find((r) => r.name === reader);
    if (found === undefined) throw new Error(`no reader ${reader}`);
    const card = await found.connect(binding.SCARD_SHARE_SHARED, binding.SCARD_PROTOCOL_T0 | binding.SCARD_PROTOCOL_T1);
    const options = { maxRecvLength: MAX_RESPONSE_LENGTH, autoGetResponse: false };
    return {
      exchange: () => card.transmit(SELECT_MF_BUFFER, options).then(sw1Of),
      close() {
        card.disconnect(binding.SCARD_LEAVE_CARD);
        context.close();
      },
    };
  },
  'smartcard-handle': (reader) => openHandle(smartcardBackend, reader),
  'pcscd-handle': (reader) => openHandle(pcscdSocketBackend, reader),
  'pcscd-transport': async (reader) => overTransport(await PcscdSocketTransport.connect(shared(reader))),
  'pcscd-channel': async (reader) => overChannel(await PcscdSocketTransport.connect(shared(reader))),
  'default-transport': async (reader) => overTransport(await PcscTransport.connect(shared(reader))),
  transport: async (reader) => overTransport(await SmartcardTransport.connect(shared(reader))),
  channel: async (reader) => overChannel(await SmartcardTransport.connect(shared(reader))),
  async 'pcsclite-raw'(reader) {
    const pcsc = (await loadPcsclite())();
    pcsc.on('error', () => {});
    const found = await new Promise<PlCardReader>((resolve) => {
      pcsc.on('reader', (r) => {
        r.on('error', () => {});
        if (r.name === reader) resolve(r);
      });
    });
    const protocol = await new Promise<number>((resolve, reject) => {
      found.connect(
        { share_mode: found.SCARD_SHARE_SHARED, protocol: found.SCARD_PROTOCOL_T0 | found.SCARD_PROTOCOL_T1 },
        (err, p) => (err ? reject(err as Error) : resolve(p)),
      );
    });
    return {
      exchange: () =>
        new Promise((resolve, reject) => {
          found.transmit(SELECT_MF_BUFFER, MAX_RESPONSE_LENGTH, protocol, (err, data) =>
            err ? reject(err as Error) : resolve(sw1Of(data)),
          );
        }),
      async close() {
        await new Promise<void>((resolve) => found.disconnect(found.SCARD_LEAVE_CARD, () => resolve()));
        found.close();
        pcsc.close();
      },
    };
  },
  'pcsclite-transport': async (reader) => overTransport(await PcscliteTransport.connect(shared(reader))),
};

const [reader, count, layers] = process.argv.slice(2);
if (reader === undefined || count === undefined || layers === undefined) {
  process.stderr.write('usage: sdk-client <reader> <count> <layer>[,<layer>...]\n');
  process.exit(2);
}
// Every layer is open at once (shared connections to the same card) and measured in turns, so a
// change of machine load hits them all alike: their differences are the layers' own costs.
const opened: Array<{ close(): Promise<void> | void }> = [];
const exchanges = new Map<string, Exchange>();
try {
  for (const layer of layers.split(',')) {
    const open = openers[layer];
    if (open === undefined) throw new Error(`unknown layer ${layer}`);
    const { exchange, close } = await open(reader);
    opened.push({ close });
    exchanges.set(layer, exchange);
  }
  const timings = await timeInterleaved(exchanges, Number(count));
  const chosen = exchanges.has('default-transport') ? await pcscBackendInUse() : undefined;
  const defaultBackend = chosen === undefined ? undefined : { name: chosen.name, reason: chosen.reason };
  process.stdout.write(`${JSON.stringify({ timings, defaultBackend })}\n`);
} finally {
  for (const { close } of opened.reverse()) await close();
}
process.exit(0);
