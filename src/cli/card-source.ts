// From the SDK's and the card OS's modules, not their barrels: both barrels are entry points of the
// package, and importing one would put all of its area (the PC/SC transports, the issuer terminal,
// the blacklist, personalization) into every command that opens a card. The PC/SC code is loaded
// when a reader is named.
import { CardChannel } from '../terminal/channel.js';
import { MemoryTransport } from '../terminal/transport.js';
import type { Transport } from '../terminal/transport.js';
import { SoftwarePsam } from '../terminal/psam.js';
import { SscCard } from '../terminal/ssc-card.js';
import type { SscCardOptions } from '../terminal/ssc-card.js';
import { closeCardImage, openCardImage } from '../card-sim/image.js';
import type { PcscBackendSetting } from '../terminal/pcsc-backend-names.js';
import { CliInputError } from './errors.js';
import { printNotice } from './output.js';

/*
 * The one place that turns command-line options into a card to talk to. Commands that work
 * through the terminal SDK (read, pin, ...) call openCardFromOptions and never look at where the
 * card is; a new kind of card source (a PC/SC reader) is added here only.
 */

/** The options every card-using command shares. */
export interface CardSourceOptions {
  /** Card image file (JSON), opened so that every durable change is saved back to it. */
  card?: string;
  /** PC/SC reader: its name, or its index as `sscard readers` numbers them. */
  reader?: string;
  /** Print a masked APDU trace of every exchange to stderr. */
  trace?: boolean;
  /** PC/SC backend for the reader (default auto). */
  backend?: PcscBackendSetting;
}

/** A card reached through the terminal SDK. */
export interface CardSource {
  /** What the card is, for messages ("card image card.json"). */
  readonly label: string;
  /** The image file's path or the reader's full name. */
  readonly where: { kind: 'image'; path: string } | { kind: 'reader'; name: string };
  /**
   * True for simulated cards, which are personalized with the project's published test keys: only
   * then may a command authenticate with test keys (a wrong cryptogram costs a real card a key try).
   */
  readonly simulated: boolean;
  readonly channel: CardChannel;
  /** Closes the channel (powering the card off) and lets go of a card image's lock. */
  close(): Promise<void>;
}

/**
 * A card image in a reader in memory; its changes are saved to the file as they happen. The image
 * stays locked against other processes until `release` (after the channel is closed).
 */
function imageTransport(path: string): { transport: Transport; release: () => void } {
  const card = openCardImage(path, { onNotice: printNotice });
  return { transport: new MemoryTransport(card, { name: `image ${path}` }), release: () => closeCardImage(card) };
}

/**
 * Turns `--reader <name|index>` into a reader name. An exact name wins over an index (a reader
 * could be called "0"); digits otherwise count in pcscd's order, the order `sscard readers` prints.
 * With `mustExist: false` a name pcscd does not list (yet) is returned as given, for waiting on a
 * reader to be plugged in; an index always has to match. No match is a ReaderNotFoundError that
 * lists the readers there are.
 */
export async function resolveReader(
  spec: string,
  opts: { mustExist?: boolean; backend?: PcscBackendSetting } = {},
): Promise<string> {
  const { ReaderNotFoundError, listReaders } = await import('../terminal/pcsc/index.js');
  const names = (await listReaders(opts.backend === undefined ? {} : { backend: opts.backend })).map((r) => r.name);
  if (names.includes(spec)) return spec;
  const known =
    names.length === 0 ? 'pcscd lists no reader' : `readers: ${names.map((n, i) => `${i} '${n}'`).join(', ')}`;
  if (/^\d+$/.test(spec)) {
    const name = names[Number(spec)];
    if (name !== undefined) return name;
    throw new ReaderNotFoundError(`no reader with index ${spec} (${known})`, { reader: spec, available: names });
  }
  if (opts.mustExist === false) return spec;
  throw new ReaderNotFoundError(`no reader named '${spec}' (${known})`, { reader: spec, available: names });
}

/**
 * Opens the card the options name: `--card <image>` or `--reader <name|index>` (exactly one). With
 * `trace`, every exchange is printed to stderr, PIN data masked.
 */
export async function openCardFromOptions(opts: CardSourceOptions): Promise<CardSource> {
  if (opts.card !== undefined && opts.reader !== undefined) {
    throw new CliInputError('give either --card <image> or --reader <name|index>, not both');
  }
  let transport: Transport;
  let label: string;
  let where: CardSource['where'];
  let simulated: boolean;
  let release = (): void => {};
  if (opts.card !== undefined) {
    ({ transport, release } = imageTransport(opts.card));
    label = `card image ${opts.card}`;
    where = { kind: 'image', path: opts.card };
    simulated = true;
  } else if (opts.reader !== undefined) {
    // The PC/SC code is loaded here, on first use: pcscd's socket where it answers, else the
    // binding (without it the error says what to install); --backend names one. Closing resets
    // the card (the transport's default), so a PIN verified here is not left usable.
    const backend = opts.backend === undefined ? {} : { backend: opts.backend };
    const reader = await resolveReader(opts.reader, backend);
    const { PcscTransport } = await import('../terminal/pcsc/index.js');
    transport = await PcscTransport.connect({ reader, ...backend });
    label = `reader ${reader}`;
    where = { kind: 'reader', name: reader };
    simulated = false;
  } else {
    throw new CliInputError(
      'no card: give --card <image> (a card image file from `sscard card new`) or --reader <name|index> (see `sscard readers`)',
    );
  }
  const channel = new CardChannel(transport);
  // The trace's printer loads with --trace only.
  if (opts.trace === true) channel.subscribe((await import('./trace-output.js')).printTrace);
  const close = async (): Promise<void> => {
    try {
      await channel.close();
    } finally {
      release();
    }
  };
  return { label, where, simulated, channel, close };
}

/**
 * Runs `fn` with the SSC behind the options, closing the card afterwards whatever happens. On a
 * simulated card the terminal's secure module holds the test RKSSSE master key, so spec 3.00
 * cards (which want external authentication before EF06) can be read like 2.00 cards.
 */
export async function withSscCard<T>(
  opts: CardSourceOptions,
  fn: (card: SscCard, source: CardSource) => Promise<T>,
  cardOptions: SscCardOptions = {},
): Promise<T> {
  const source = await openCardFromOptions(opts);
  try {
    const psam = source.simulated ? SoftwarePsam.withTestKeys(['RKSSSE']) : undefined;
    const card = await SscCard.open(source.channel, psam === undefined ? cardOptions : { psam, ...cardOptions });
    return await fn(card, source);
  } finally {
    await source.close();
  }
}
