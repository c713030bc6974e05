import { describe, expect, it } from 'vitest';
import { buildSscCard, samplePerson } from '../../src/card-sim/index.js';
import type { SimulatedCard } from '../../src/card-sim/index.js';
import { blacklistTestPublicKey, blacklistTestSigningKey, ed25519PublicKey } from '../../src/keys/index.js';
import {
  ApplicationBlockedError,
  ApplicationControl,
  BlacklistFile,
  BlacklistFormatError,
  BlacklistNotYetValidError,
  BlacklistRollbackError,
  BlacklistSignatureError,
  BlacklistStaleError,
  CardBlacklistedError,
  CardChannel,
  MemoryTransport,
  SoftwarePsam,
  SscCard,
  signBlacklist,
  type ApplicationBlockReport,
  type BlacklistEntry,
  type BlacklistListing,
  type BlacklistSource,
  type SignedBlacklist,
  type TraceEvent,
} from '../../src/terminal/index.js';

const ISSUED = new Date('2027-01-05T02:00:00.000Z');
const DAY = 86_400_000;
const at = (ms: number) => () => new Date(ISSUED.getTime() + ms);

const LISTINGS: BlacklistListing[] = [
  { cardNumber: 'S00000001', cardIdentifier: '1101059000000001', side: 'ssc', reason: 'lost' },
  { cardNumber: 'S00000002', side: 'ssc', reason: 'replaced' },
  { cardIdentifier: '3101049000000003', side: 'bank', reason: 'blocked' },
];

function signed(
  entries: readonly BlacklistListing[] = LISTINGS,
  opts: { version?: number; issuedAt?: Date; key?: Uint8Array } = {},
): SignedBlacklist {
  return signBlacklist(
    { version: opts.version ?? 7, issuedAt: opts.issuedAt ?? ISSUED, entries },
    opts.key ?? blacklistTestSigningKey(),
  );
}

const trust = { publicKey: blacklistTestPublicKey(), now: at(DAY) };

describe('blacklist file', () => {
  it('verifies under the issuer public key and finds cards by number or identifier', async () => {
    const file = BlacklistFile.parse(JSON.stringify(signed(), null, 2), trust);
    expect(file).toMatchObject({ version: 7, issuedAt: ISSUED });
    expect(file.description).toBe('blacklist file version 7 of 2027-01-05T02:00:00.000Z');
    expect(await file.lookup({ cardNumber: 'S00000001', cardIdentifier: '0000000000000000' })).toEqual([
      { side: 'ssc', reason: 'lost' },
    ]);
    expect(await file.lookup({ cardNumber: 'S00000001', cardIdentifier: '1101059000000001' })).toEqual([
      { side: 'ssc', reason: 'lost' },
    ]);
    expect(await file.lookup({ cardNumber: 'X00000003', cardIdentifier: '3101049000000003' })).toEqual([
      { side: 'bank', reason: 'blocked' },
    ]);
    expect(await file.lookup({ cardNumber: 'S00000009', cardIdentifier: '1101059000000009' })).toEqual([]);
    expect(file.listings).toHaveLength(3);
    // Whitespace and key order in the file do not matter; the signed values do.
    const doc = signed();
    const reordered = {
      signature: doc.signature,
      entries: doc.entries,
      keyId: doc.keyId,
      issuedAt: doc.issuedAt,
      version: doc.version,
      formatVersion: 1,
      format: doc.format,
    };
    expect(BlacklistFile.verify(reordered, trust).version).toBe(7);
    expect(BlacklistFile.parse(new TextEncoder().encode(JSON.stringify(doc)), trust).version).toBe(7);
  });

  it('refuses a tampered file: a changed reason, a removed entry, a changed version or time', () => {
    const cases: Array<(d: SignedBlacklist) => void> = [
      (d) => void (d.entries[0]!.reason = 'replaced'),
      (d) => void d.entries.splice(0, 1),
      (d) => void (d.version = 8),
      (d) => void (d.issuedAt = new Date(ISSUED.getTime() + 60_000).toISOString()),
      (d) => void (d.entries[1]!.cardNumber = 'S00000003'),
    ];
    for (const change of cases) {
      const d = structuredClone(signed());
      change(d);
      const e = (() => {
        try {
          BlacklistFile.verify(d, trust);
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(BlacklistSignatureError);
      expect(e).toMatchObject({ code: 'BLACKLIST_SIGNATURE' });
      expect((e as Error).message).toBe(
        'blacklist file: the signature does not verify; the file was altered after it was signed',
      );
    }
  });

  it('refuses a file signed with another key, also one that claims the trusted key id', () => {
    const otherKey = new Uint8Array(32).fill(7);
    const other = signed(LISTINGS, { key: otherKey });
    expect(() => BlacklistFile.verify(other, trust)).toThrow(
      /signed with key [0-9a-f]{16}, but this terminal trusts key [0-9a-f]{16}/,
    );
    const claiming = { ...other, keyId: signed().keyId };
    expect(() => BlacklistFile.verify(claiming, trust)).toThrow(BlacklistSignatureError);
    // The other key's own terminals accept it.
    expect(BlacklistFile.verify(other, { publicKey: ed25519PublicKey(otherKey), now: at(0) }).version).toBe(7);
  });

  it('refuses what is not a blacklist file, naming the field', () => {
    const bad = (change: (d: Record<string, unknown>) => void) => {
      const d = structuredClone(signed()) as unknown as Record<string, unknown>;
      change(d);
      return () => BlacklistFile.verify(d, trust);
    };
    expect(() => BlacklistFile.parse('{"format": ', trust)).toThrow(new BlacklistFormatError('', 'is not valid JSON'));
    expect(() => BlacklistFile.verify([], trust)).toThrow(BlacklistFormatError);
    expect(bad((d) => void (d['note'] = 'unsigned'))).toThrow(
      /blacklist file note: unknown field \(not covered by the signature\)/,
    );
    expect(bad((d) => void (d['formatVersion'] = 2))).toThrow(/formatVersion/);
    expect(bad((d) => void (d['issuedAt'] = '2027-01-05'))).toThrow(/issuedAt: must be an ISO instant/);
    expect(bad((d) => void ((d['entries'] as Record<string, unknown>[])[0]!['side'] = 'both'))).toThrow(
      /entries\[0\]\.side/,
    );
    expect(bad((d) => void ((d['entries'] as Record<string, unknown>[])[2] = { side: 'ssc', reason: 'lost' }))).toThrow(
      /entries\[2\]: names neither/,
    );
    expect(bad((d) => void (d['signature'] = 'AAAA'))).toThrow(/signature: must be the base64 of a 64-byte/);
    expect(() => BlacklistFile.verify(signed(), { publicKey: new Uint8Array(31) })).toThrow(
      /32-byte Ed25519 public key/,
    );
  });

  it('refuses a stale file (default 7 days, configurable), one from the future, and a rollback', async () => {
    expect(BlacklistFile.verify(signed(), { ...trust, now: at(7 * DAY) }).version).toBe(7);
    const stale = () => BlacklistFile.verify(signed(), { ...trust, now: at(7 * DAY + 1) });
    expect(stale).toThrow(BlacklistStaleError);
    expect(stale).toThrow(
      'blacklist file issued 2027-01-05T02:00:00.000Z is 7.0 days old; this terminal accepts at most 7 days: fetch a new one',
    );
    expect(() => BlacklistFile.verify(signed(), { ...trust, maxAgeMs: DAY / 2 })).toThrow(/at most 0.5 days/);
    expect(BlacklistFile.verify(signed(), { ...trust, now: at(-4 * 60_000) }).version).toBe(7);
    expect(() => BlacklistFile.verify(signed(), { ...trust, now: at(-6 * 60_000) })).toThrow(BlacklistNotYetValidError);
    expect(() => BlacklistFile.verify(signed(), { ...trust, minVersion: 8 })).toThrow(BlacklistRollbackError);
    expect(BlacklistFile.verify(signed(), { ...trust, minVersion: 7 }).version).toBe(7);
    // A terminal left running with the file starts refusing once it is stale.
    let now = ISSUED.getTime();
    const file = BlacklistFile.verify(signed(), { ...trust, now: () => new Date(now) });
    now += 8 * DAY;
    await expect(file.lookup({ cardNumber: 'S00000009', cardIdentifier: '1101059000000009' })).rejects.toBeInstanceOf(
      BlacklistStaleError,
    );
  });

  it('signs only well-formed listings', () => {
    expect(() => signed([{ cardNumber: 's1', side: 'ssc', reason: 'lost' }])).toThrow(/entries\[0\]\.cardNumber/);
    expect(() => signBlacklist({ version: 0, issuedAt: ISSUED, entries: [] }, blacklistTestSigningKey())).toThrow(
      /version/,
    );
  });
});

// ---- SscCard.open with a blacklist ------------------------------------------------------------

interface Card {
  sim: SimulatedCard;
  number: string;
  identifier: string;
}

function simulatedCard(key: 'zhang-wei' | 'li-xiuying' = 'li-xiuying'): Card {
  const doc = samplePerson(key);
  return { sim: buildSscCard(doc), number: doc.card.number, identifier: doc.card.identifier };
}

function fileListing(
  card: Card,
  entries: readonly BlacklistEntry[],
  by: 'number' | 'identifier' = 'number',
): BlacklistFile {
  const listings = entries.map((e) =>
    by === 'number' ? { cardNumber: card.number, ...e } : { cardIdentifier: card.identifier, ...e },
  );
  return BlacklistFile.verify(signed(listings), trust);
}

/** A source that records the blocks reported to it (an online registry's role). */
class RecordingSource implements BlacklistSource {
  readonly reports: ApplicationBlockReport[] = [];
  readonly description = 'test registry';
  constructor(private readonly entries: readonly BlacklistEntry[]) {}
  async lookup(): Promise<readonly BlacklistEntry[]> {
    return this.entries;
  }
  async reportBlocked(report: ApplicationBlockReport): Promise<void> {
    this.reports.push(report);
  }
}

async function openError(card: Card, opts: Parameters<typeof SscCard.open>[1]): Promise<unknown> {
  return SscCard.open(new MemoryTransport(card.sim), opts).then(
    async (c) => {
      await c.close();
      return undefined;
    },
    (e: unknown) => e,
  );
}

describe('SscCard.open with a blacklist', () => {
  it('refuses a listed card with the reason, before any PIN can be taken, and powers it off', async () => {
    const card = simulatedCard();
    const trace: TraceEvent[] = [];
    const e = await openError(card, {
      blacklist: fileListing(card, [{ side: 'ssc', reason: 'lost' }]),
      trace: (t) => void trace.push(t),
    });
    expect(e).toBeInstanceOf(CardBlacklistedError);
    expect(e).toMatchObject({
      code: 'CARD_BLACKLISTED',
      cardNumber: card.number,
      side: 'ssc',
      reason: 'lost',
      applicationBlocked: false,
      reported: false,
    });
    expect((e as Error).message).toBe(
      `card ${card.number} is on the blacklist (social security side lost; blacklist file version 7 of 2027-01-05T02:00:00.000Z)`,
    );
    const names = trace.map((t) => t.command.name);
    expect(names).toEqual(['SELECT', 'READ RECORD', 'READ RECORD', 'READ RECORD']);
    expect(card.sim.powered).toBe(false);
    // Listed by identifier only, as replaced.
    const replaced = simulatedCard();
    expect(
      await openError(replaced, {
        blacklist: fileListing(replaced, [{ side: 'ssc', reason: 'replaced' }], 'identifier'),
      }),
    ).toMatchObject({ reason: 'replaced' });
    // A card not listed opens as usual.
    const clear = await SscCard.open(new MemoryTransport(simulatedCard('zhang-wei').sim), {
      blacklist: fileListing(card, [{ side: 'ssc', reason: 'lost' }]),
    });
    expect((await clear.readCardInfo()).cardNumber).not.toBe(card.number);
    await clear.close();
  });

  it('a terminal that cannot check (stale file) does not take the card', async () => {
    const card = simulatedCard();
    let now = ISSUED.getTime();
    const file = BlacklistFile.verify(signed([]), { ...trust, now: () => new Date(now) });
    now += 10 * DAY;
    expect(await openError(card, { blacklist: file })).toBeInstanceOf(BlacklistStaleError);
  });

  it('blocks the application on the spot and reports it: from then on the card answers as a blocked application', async () => {
    const card = simulatedCard();
    const source = new RecordingSource([{ side: 'ssc', reason: 'lost' }]);
    const pharmacy = SoftwarePsam.withTestKeys(['RKSSSE', 'APP_CONTROL']);
    const e = await openError(card, { blacklist: source, blockBlacklisted: true, psam: pharmacy });
    expect(e).toMatchObject({ code: 'CARD_BLACKLISTED', applicationBlocked: true, reported: true });
    expect((e as Error).message).toMatch(/; the application was blocked and the issuer told$/);
    expect(source.reports).toEqual([
      { cardNumber: card.number, cardIdentifier: card.identifier, side: 'ssc', reason: 'lost' },
    ]);
    // Any terminal, with no blacklist at all, now finds the SSSE blocked.
    const anywhere = await openError(card, {});
    expect(anywhere).toBeInstanceOf(ApplicationBlockedError);
    expect(anywhere).toMatchObject({ permanent: false, sw: 0x6a81 });

    // The window, with the card and the registry's identifier, lifts the block.
    const window = SoftwarePsam.withTestKeys(['APP_CONTROL']);
    const channel = new CardChannel(new MemoryTransport(card.sim));
    const control = ApplicationControl.forChannel(channel, window, {
      cardIdentifier: card.identifier,
      algorithm: 'sm4',
    });
    expect(await control.unblock('ssse')).toBe('unblocked');
    expect(await control.unblock('ssse')).toBe('not_blocked');
    await channel.close();
    const back = await SscCard.open(new MemoryTransport(card.sim));
    expect((await back.readCardInfo()).cardNumber).toBe(card.number);
    await back.close();
  });

  it('without the control key the card is refused but not blocked', async () => {
    const card = simulatedCard();
    const source = new RecordingSource([{ side: 'ssc', reason: 'blocked' }]);
    const e = await openError(card, {
      blacklist: source,
      blockBlacklisted: true,
      psam: SoftwarePsam.withTestKeys(['RKSSSE']),
    });
    expect(e).toMatchObject({ reason: 'blocked', applicationBlocked: false, reported: false });
    expect(source.reports).toEqual([]);
    const again = await SscCard.open(new MemoryTransport(card.sim));
    await again.close();
  });

  it('a listed bank side: the card opens for the social-security side, the bank PIN is refused before it is sent', async () => {
    const card = simulatedCard('zhang-wei');
    const opened = await SscCard.open(new MemoryTransport(card.sim), {
      blacklist: fileListing(card, [{ side: 'bank', reason: 'lost' }]),
    });
    expect((await opened.readCardInfo()).cardNumber).toBe(card.number);
    const e = await opened.bank.verifyPin('888888').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(CardBlacklistedError);
    expect(e).toMatchObject({ side: 'bank', reason: 'lost' });
    expect(await opened.bank.pinTriesLeft()).toBe(3);
    await opened.close();
  });

  it('a bank branch blocks a listed bank side with its own key; a pharmacy without it leaves the bank side alone', async () => {
    const card = simulatedCard('zhang-wei');
    const source = new RecordingSource([{ side: 'bank', reason: 'lost' }]);
    const pharmacy = await SscCard.open(new MemoryTransport(card.sim), {
      blacklist: source,
      blockBlacklisted: true,
      psam: SoftwarePsam.withTestKeys(['APP_CONTROL']),
    });
    await pharmacy.close();
    expect(source.reports).toEqual([]);
    const branch = await SscCard.open(new MemoryTransport(card.sim), {
      blacklist: source,
      blockBlacklisted: true,
      psam: SoftwarePsam.withTestKeys(['BANK_APP_CONTROL']),
    });
    expect(source.reports).toMatchObject([{ side: 'bank', reason: 'lost' }]);
    await expect(branch.bank.verifyPin('888888')).rejects.toMatchObject({
      code: 'CARD_BLACKLISTED',
      applicationBlocked: true,
    });
    await branch.close();
    const atm = await SscCard.open(new MemoryTransport(card.sim));
    await expect(atm.bank.verifyPin('888888')).rejects.toBeInstanceOf(ApplicationBlockedError);
    await atm.close();
  });
});
