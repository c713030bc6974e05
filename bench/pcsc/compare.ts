/*
 * The PC/SC rows of `npm run bench`: one vpcd reader of the lab (pcscd + vpcd, quickack route),
 * three cards in it one after the other, two clients, interleaved rounds so load drifts hit all:
 *   cards   echo     a minimal card speaking the vpcd protocol in its own process (echo-card.ts),
 *                    answering 9000 at once (the floor: the reader stack with no card work at all)
 *           sscard   `sscard sim serve` serving a personalised card (a separate process, the build)
 *           vicc     Debian's vsmartcard-vpicc `vicc -t iso7816` (with the packaging fix of the lab
 *                    notes), the stock Python card
 *   clients pyscard  (SCardTransmit from Python, the reference client)
 *           SDK      PcscTransport.transmit as a user gets it by default (auto: the row names the
 *                    backend it chose), SmartcardTransport and PcscdSocketTransport named
 *                    explicitly, in a bundled process of its own (sdk-client.ts); on
 *                    the echo card also each layer under and over it (the binding alone, the
 *                    backend handle, CardChannel, and the same for pcsclite and for the pcscd
 *                    socket backend, which needs no binding), which partitions what the SDK adds
 *                    to the binding's round trip
 * Every client sends SELECT MF `00 A4 00 0C 02 3F 00` (9000 on all three cards, no FCI: vicc
 * cannot build one). Rates are 1 / median round trip. Every card runs in a process of its own, and
 * the order of the cards turns from round to round, so none is always measured first.
 * When the second vpcd reader is free, each round also puts the echo card and `sim serve` in the
 * two readers at once and pyscard alternates between them APDU by APDU (pyscard-paired.py): both
 * are then measured over the same seconds, where the rows above compare runs taken some seconds
 * apart, between which the load of a shared machine moves by more than the difference sought.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildSscCard, samplePerson, saveCardImage } from '../../src/card-sim/index.js';
import { CARD_HOST, REPO_ROOT, SYSTEM_PYTHON, acquireReaderSlot, pcscLab, runPyscard } from '../../test/pcsc/lab.js';
import { removeTempDirs, tempDir, waitReader } from '../../test/terminal/pcsc/rig.js';
import { bundleForBench } from '../bundle.js';
import { type Row, median } from '../table.js';

const SELECT_MF = '00A4000C023F00';
const PAIRED_CLIENT = join(REPO_ROOT, 'bench', 'pcsc', 'pyscard-paired.py');

interface Inserted {
  remove(): Promise<void>;
}

function waitExit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Starts a card process and waits for its "card inserted" line. */
async function insertProcess(what: string, args: string[]): Promise<Inserted> {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not insert its card:\n${out}`)), 20_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/card inserted/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`${what} exited:\n${out}`)));
  });
  return { remove: () => waitExit(child, 'SIGTERM') };
}

function insertSscard(port: number, image: string): Promise<Inserted> {
  // The build when there is one (what users run), else the sources through tsx.
  const bin = join(REPO_ROOT, 'dist', 'cli', 'bin.js');
  const args = existsSync(bin) ? [bin] : ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'bin.ts')];
  return insertProcess('sim serve', [...args, 'sim', 'serve', '--card', image, '--vpcd', `${CARD_HOST}:${port}`]);
}

async function insertVicc(port: number): Promise<Inserted | undefined> {
  if (!existsSync('/usr/bin/vicc')) return undefined;
  const shim = tempDir('pyshim');
  symlinkSync('/usr/lib/python3/dist-packages/Cryptodome', join(shim, 'Crypto'));
  const child = spawn(SYSTEM_PYTHON, ['/usr/bin/vicc', '-t', 'iso7816', '-H', CARD_HOST, '-P', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, PYTHONPATH: `/usr/lib/python3/site-packages/virtualsmartcard:${shim}` },
  });
  return { remove: () => waitExit(child, 'SIGTERM') };
}

async function pyscardRate(reader: string, n: number): Promise<Timing> {
  const r = await runPyscard({ reader, apdus: [SELECT_MF], repeat: n, timeoutS: 10 }, 300_000);
  if (r.error !== undefined || r.timing === undefined) throw new Error(`pyscard: ${r.error ?? 'no timing'}`);
  return { perSecond: 1000 / r.timing.medianMs, p50Us: r.timing.medianMs * 1000, p99Us: r.timing.p99Ms * 1000 };
}

interface Timing {
  perSecond: number;
  p50Us: number;
  p99Us: number;
}

/** The layers sdk-client.ts measures on the echo card, from the bottom up (see there). */
const ECHO_LAYERS = [
  'default-transport',
  'smartcard-raw',
  'smartcard-handle',
  'transport',
  'channel',
  'pcsclite-raw',
  'pcsclite-transport',
  'pcscd-handle',
  'pcscd-transport',
  'pcscd-channel',
] as const;

/** Runs the bundled SDK client (a process of its own, like pyscard's) over `layers` in that order. */
interface SdkRun {
  timings: Record<string, Timing>;
  /** The backend PcscTransport.connect() chose when it names none, and why. */
  defaultBackend?: { name: string; reason: string };
}

/** Runs a client process to its end and parses the JSON it prints (five minutes at most). */
function jsonFromChild<T>(what: string, command: string, args: readonly string[], cwd?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${what} exited ${String(code)}: ${err || out}`));
      try {
        resolve(JSON.parse(out) as T);
      } catch (error) {
        reject(new Error(`${what} printed no JSON: ${out}${err}`, { cause: error }));
      }
    });
  });
}

function sdkRates(client: string, reader: string, n: number, layers: readonly string[]): Promise<SdkRun> {
  return jsonFromChild('SDK client', process.execPath, [client, reader, String(n), layers.join(',')], REPO_ROOT);
}

interface PairedTiming {
  first: { medianMs: number; p99Ms: number };
  second: { medianMs: number; p99Ms: number };
  diffMedianMs: number;
}

/** pyscard alternating SELECT MF between two readers (pyscard-paired.py). */
function pyscardPaired(first: string, second: string, n: number): Promise<PairedTiming> {
  return jsonFromChild('paired pyscard', SYSTEM_PYTHON, [PAIRED_CLIENT, first, second, String(n)]);
}

const timingOf = (t: { medianMs: number; p99Ms: number }): Timing => ({
  perSecond: 1000 / t.medianMs,
  p50Us: t.medianMs * 1000,
  p99Us: t.p99Ms * 1000,
});

/** `list` rotated left by `by`. */
function turn<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

export async function measurePcsc(opts: { quick: boolean }): Promise<Row[]> {
  const layer = 'PC/SC (pcscd + vpcd)';
  const lab = pcscLab('PC/SC bench');
  if (!lab.ready)
    return [
      {
        layer,
        workload: 'skipped',
        perSecond: Number.NaN,
        p50Us: Number.NaN,
        p99Us: Number.NaN,
        note: 'lab not up: bash scripts/pcsc-lab up',
      },
    ];
  const rounds = opts.quick ? 1 : 5;
  const n = opts.quick ? 200 : 2000;
  const echo = await bundleForBench('bench/pcsc/echo-card.ts', 'echo-card');
  const client = await bundleForBench('bench/pcsc/sdk-client.ts', 'sdk-client', {
    external: ['smartcard', 'pcsclite'],
  });
  const slot = await acquireReaderSlot({ timeoutMs: 120_000 });
  // The paired rows need the other reader too; when another run holds it they are left out.
  const other = await acquireReaderSlot({ timeoutMs: 20_000, exclude: [slot.slot] }).catch(() => undefined);
  const image = join(tempDir('bench-pcsc'), 'card.json');
  saveCardImage(image, buildSscCard(samplePerson('zhang-wei'), { transmission: 'T=1' }));
  const samples = new Map<string, Timing[]>();
  const chosen = new Set<string>();
  const add = (key: string, s: Timing): void => {
    samples.set(key, [...(samples.get(key) ?? []), s]);
  };
  // Echo card and sim serve in the two readers at once. Which card takes which reader, is inserted
  // first and is connected and asked first turns from round to round: the card connected first
  // came out some us slower in trials.
  const pairedRound = async (round: number, second: { port: number; reader: string }): Promise<void> => {
    const echoFirst = round % 2 === 0;
    const [echoSlot, sscardSlot] = echoFirst ? [slot, second] : [second, slot];
    const echoCard = {
      slot: echoSlot,
      insert: () => insertProcess('echo card', [echo, CARD_HOST, String(echoSlot.port)]),
    };
    const sscardCard = { slot: sscardSlot, insert: () => insertSscard(sscardSlot.port, image) };
    const order = echoFirst ? [echoCard, sscardCard] : [sscardCard, echoCard];
    const inserted: Inserted[] = [];
    try {
      for (const card of order) inserted.push(await card.insert());
      for (const card of order) await waitReader(card.slot.reader, true, 10_000);
      const t = await pyscardPaired(order[0]!.slot.reader, order[1]!.slot.reader, n);
      const [echoT, sscardT] = echoFirst ? [t.first, t.second] : [t.second, t.first];
      add('paired-echo|pyscard', timingOf(echoT));
      add('paired-sscard|pyscard', timingOf(sscardT));
    } finally {
      for (const card of inserted) await card.remove();
      for (const card of order) await waitReader(card.slot.reader, false, 10_000).catch(() => undefined);
    }
  };
  try {
    for (let round = 0; round < rounds; round++) {
      const cards: Array<{ name: string; insert: () => Promise<Inserted | undefined> }> = [
        { name: 'echo', insert: () => insertProcess('echo card', [echo, CARD_HOST, String(slot.port)]) },
        { name: 'sscard', insert: () => insertSscard(slot.port, image) },
        { name: 'vicc', insert: () => insertVicc(slot.port) },
      ];
      for (const card of turn(cards, round)) {
        const inserted = await card.insert();
        if (inserted === undefined) continue;
        try {
          await waitReader(slot.reader, true, 10_000);
          // Which client goes first turns from round to round too (the SDK's layers take turns in its process).
          const layers =
            card.name === 'echo'
              ? ECHO_LAYERS
              : card.name === 'sscard'
                ? ['default-transport', 'transport', 'pcscd-transport']
                : [];
          const sdk = async (): Promise<void> => {
            if (layers.length === 0) return;
            const run = await sdkRates(client, slot.reader, n, layers);
            for (const [layer, timing] of Object.entries(run.timings)) add(`${card.name}|${layer}`, timing);
            if (run.defaultBackend !== undefined) chosen.add(run.defaultBackend.name);
          };
          if (round % 2 === 1) await sdk();
          add(`${card.name}|pyscard`, await pyscardRate(slot.reader, n));
          if (round % 2 === 0) await sdk();
        } finally {
          await inserted.remove();
          await waitReader(slot.reader, false, 10_000).catch(() => undefined);
        }
      }
      if (other !== undefined) await pairedRound(round, other);
    }
  } finally {
    other?.release();
    slot.release();
    removeTempDirs();
  }
  const row = (
    card: string,
    client: string,
    label: string,
    base?: { key: string; name: string },
    extra: Partial<Row> = {},
  ): Row => {
    const s = samples.get(`${card}|${client}`) ?? [];
    const perSecond = median(s.map((x) => x.perSecond));
    const b = base === undefined ? undefined : median((samples.get(base.key) ?? []).map((x) => x.perSecond));
    return {
      layer,
      workload: label,
      perSecond,
      runs: s.map((x) => Math.round(x.perSecond)),
      p50Us: median(s.map((x) => x.p50Us)),
      p99Us: median(s.map((x) => x.p99Us)),
      ...(b === undefined ? {} : { baseline: base?.name, ratio: perSecond / b }),
      ...extra,
    };
  };
  // Per-round ratios too: the absolute rates swing with machine load, the ratio within a round less.
  const perRound = (a: string, b: string): number[] => {
    const x = samples.get(a) ?? [];
    const y = samples.get(b) ?? [];
    return x.map((s, i) => s.perSecond / (y[i]?.perSecond ?? Number.NaN)).filter((r) => !Number.isNaN(r));
  };
  const ratios = (a: string, b: string): string =>
    `per round ${perRound(a, b)
      .map((r) => r.toFixed(2))
      .join(' / ')}`;
  const pyscard = { key: 'echo|pyscard', name: 'pyscard' };
  const raw = { key: 'echo|smartcard-raw', name: 'smartcard binding' };
  // What a layer adds to the one under it: the difference of their median p50s.
  const adds = (layer: string, under: string): string => {
    const p50 = (key: string): number => median((samples.get(key) ?? []).map((x) => x.p50Us));
    const d = p50(`echo|${layer}`) - p50(`echo|${under}`);
    return `${d >= 0 ? '+' : ''}${d.toFixed(1)} us p50 over ${under}`;
  };
  // sim serve's target, against the echo card in the same run: both through pyscard.
  const simServeRow = (card: string, echoCard: string, label: string, echoName: string): Row =>
    row(
      card,
      'pyscard',
      label,
      { key: `${echoCard}|pyscard`, name: echoName },
      { note: `target >= 0.95x echo; ${ratios(`${card}|pyscard`, `${echoCard}|pyscard`)}` },
    );
  const defaultName = [...chosen].join('/') || 'none';
  return [
    row('echo', 'pyscard', 'pyscard -> echo card (floor)'),
    row('echo', 'default-transport', `SDK default PcscTransport (auto: ${defaultName}) -> echo card`, pyscard, {
      note: `target >= 0.9x pyscard; the SDK as shipped; ${ratios('echo|default-transport', 'echo|pyscard')}`,
    }),
    row('echo', 'transport', 'SDK SmartcardTransport -> echo card', pyscard, {
      note: `target >= 0.9x pyscard; ${ratios('echo|transport', 'echo|pyscard')}`,
    }),
    row('echo', 'smartcard-raw', '  partition: smartcard binding alone, await card.transmit()', pyscard, {
      note: ratios('echo|smartcard-raw', 'echo|pyscard'),
    }),
    row('echo', 'smartcard-handle', '  partition: SDK backend handle (smartcard)', raw, {
      note: adds('smartcard-handle', 'smartcard-raw'),
    }),
    row('echo', 'transport', '  partition: SDK SmartcardTransport', raw, {
      note: adds('transport', 'smartcard-handle'),
    }),
    row('echo', 'channel', '  partition: SDK CardChannel over SmartcardTransport', raw, {
      note: `${adds('channel', 'transport')}; vs pyscard ${ratios('echo|channel', 'echo|pyscard')}`,
    }),
    row('echo', 'pcsclite-raw', '  partition: pcsclite binding alone, reader.transmit()', raw, {
      note: `vs pyscard ${ratios('echo|pcsclite-raw', 'echo|pyscard')}`,
    }),
    row('echo', 'pcsclite-transport', '  partition: SDK PcscliteTransport', raw, {
      note: adds('pcsclite-transport', 'pcsclite-raw'),
    }),
    row('echo', 'pcscd-transport', 'SDK PcscdSocketTransport (no binding) -> echo card', pyscard, {
      note: `target >= 0.9x pyscard; ${ratios('echo|pcscd-transport', 'echo|pyscard')}`,
    }),
    row('echo', 'pcscd-handle', '  partition: pcscd socket backend handle alone', pyscard, {
      note: `no thread-pool hop; vs pyscard ${ratios('echo|pcscd-handle', 'echo|pyscard')}`,
    }),
    row('echo', 'pcscd-transport', '  partition: SDK PcscdSocketTransport', pyscard, {
      note: adds('pcscd-transport', 'pcscd-handle'),
    }),
    row('echo', 'pcscd-channel', '  partition: SDK CardChannel over PcscdSocketTransport', pyscard, {
      note: `${adds('pcscd-channel', 'pcscd-transport')}; vs pyscard ${ratios('echo|pcscd-channel', 'echo|pyscard')}`,
    }),
    simServeRow('sscard', 'echo', 'pyscard -> sscard sim serve', 'echo card'),
    row(
      'vicc',
      'pyscard',
      'pyscard -> vicc -t iso7816',
      { key: 'echo|pyscard', name: 'echo card' },
      { note: `sscard/vicc ${ratios('sscard|pyscard', 'vicc|pyscard')}` },
    ),
    ...(other === undefined
      ? []
      : [
          row('paired-echo', 'pyscard', 'pyscard -> echo card, paired (both inserted, APDUs alternating)'),
          simServeRow(
            'paired-sscard',
            'paired-echo',
            'pyscard -> sscard sim serve, paired with the echo card',
            'echo card (paired)',
          ),
        ]),
    row('sscard', 'default-transport', `SDK default PcscTransport (auto: ${defaultName}) -> sscard sim serve`, {
      key: 'sscard|pyscard',
      name: 'pyscard',
    }),
    row('sscard', 'transport', 'SDK SmartcardTransport -> sscard sim serve', {
      key: 'sscard|pyscard',
      name: 'pyscard',
    }),
    row('sscard', 'pcscd-transport', 'SDK PcscdSocketTransport -> sscard sim serve', {
      key: 'sscard|pyscard',
      name: 'pyscard',
    }),
  ];
}
