import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { SimulatedCard } from '../../../src/card-sim/index.js';
import { buildSscCard } from '../../../src/card-sim/index.js';
import { encodePinBcd, encodePinBlockFormat2 } from '../../../src/pin/index.js';
import {
  OfficeIssuerHost,
  RegistryHotlineService,
  parseKeys,
  runScriptedCall,
  type CardStatus,
  type Registry,
} from '../../../src/office/index.js';
import { databaseOf } from '../../../src/office/registry.js';
import { MemoryTransport, PinIncorrectError, SoftwarePsam, SscCard } from '../../../src/terminal/index.js';
import { ADMIN, IVR, POS, describeBackends, idOf, manualClock, personDocument } from '../fixtures.js';

/*
 * A PIN changed by phone, on both backends: the hotline queues the enciphered script, a POS
 * online applies it through the office's IssuerHost, and every other path: a wrong current PIN
 * (failed, tries left, told on the next call), a change replaced by a newer one, one that expires
 * (told on the next call; the old PIN still works), a card never seen online, the last try. The
 * database never holds a PIN in any encoding.
 */

const office = SoftwarePsam.withTestKeys(['PIN_CHANGE']);
const clock = manualClock('2025-03-01T09:00:00+08:00');

interface Holder {
  card: CardStatus;
  sim: SimulatedCard;
  idNumber: string;
  digits: string;
}

async function issue(registry: Registry, spec: '2.00' | '3.00' = '3.00'): Promise<Holder> {
  const doc = personDocument({ spec });
  const issued = await registry.issueCard(ADMIN, { document: doc });
  const sim = buildSscCard({ ...(issued.document as object), pin: { initial: '123456', tryLimit: 3 } } as never);
  return { card: issued.card, sim, idNumber: idOf(doc), digits: issued.card.cardNumber.replace(/[^0-9]/g, '') };
}

async function phone(
  registry: Registry,
  keys: string,
  lang: 'zh' | 'en' = 'en',
): Promise<{ lines: string[]; outcome: string }> {
  const service = new RegistryHotlineService(registry, office, IVR, { scriptDays: 30 });
  const lines: string[] = [];
  const outcome = await runScriptedCall(service, parseKeys(keys), { lang }, (o) => lines.push(...o.lines));
  return { lines, outcome };
}

const change = (h: Holder, current: string, next: string): string =>
  `2 2 ${h.digits}# ${current}# ${h.idNumber}# ${next}# ${next}#`;

/** The card at a POS: online (with the office's host) or offline. */
async function atPos(registry: Registry, h: Holder, online: boolean): Promise<SscCard> {
  const host = online ? new OfficeIssuerHost(registry, office, POS) : undefined;
  return SscCard.open(new MemoryTransport(h.sim), {
    refuseInitialPin: false,
    ...(host === undefined ? {} : { issuerHost: host }),
  });
}

/**
 * A change phoned in with a wrong current PIN, then the card online at a POS: the script fails,
 * and the POS reports the tries the card has left. Gives that POS's card.
 */
async function wrongCurrentPinApplied(registry: Registry, h: Holder, triesLeft: number): Promise<SscCard> {
  await phone(registry, change(h, '111111', '246810'));
  const pos = await atPos(registry, h, true);
  expect(pos.issuerScripts?.entries[0]?.outcome).toEqual({ result: 'failed', reason: 'pin_incorrect', triesLeft });
  return pos;
}

describeBackends(
  'PIN change by phone',
  (backend) => {
    it('queued, shown pending, applied by the next online POS, then the new PIN works offline', async () => {
      const { registry } = backend();
      const h = await issue(registry);
      const call = await phone(registry, change(h, '123456', '246810'));
      expect(call.outcome).toBe('pin_change_queued');
      expect(call.lines.join('\n')).toContain('valid for 30 days: please use the card before 2025-03-31.');
      expect((await registry.cardStatus(h.card.cardNumber)).pendingScripts).toBe(1);
      const [pending] = await registry.pinChanges(h.card.cardNumber);
      expect(pending).toMatchObject({ state: 'pending', outcome: null });
      // Until then the old PIN works at an offline POS, and the office still thinks it is the initial one.
      const offline = await atPos(registry, h, false);
      expect(offline.issuerScripts).toBeUndefined();
      await offline.verifyPin('123456');
      expect((await registry.cardStatus(h.card.cardNumber)).pinInitial).toBe(true);

      const online = await atPos(registry, h, true);
      expect(online.issuerScripts?.entries).toEqual([
        { id: String(pending!.id), kind: 'pin_change', outcome: { result: 'applied' }, reported: true },
      ]);
      const after = await registry.cardStatus(h.card.cardNumber);
      expect(after).toMatchObject({ pendingScripts: 0, pinInitial: false, ssc: 'active' });
      expect((await registry.pinChanges(h.card.cardNumber))[0]).toMatchObject({
        state: 'applied',
        outcome: { result: 'applied' },
      });
      // Nothing more to apply at the next online POS.
      expect((await atPos(registry, h, true)).issuerScripts?.entries).toEqual([]);
      const later = await atPos(registry, h, false);
      await later.verifyPin('246810');
      await expect(later.verifyPin('123456')).rejects.toBeInstanceOf(PinIncorrectError);

      const history = await registry.history(h.card.cardNumber);
      expect(history.map((e) => `${e.operation}:${e.role}/${e.channel}`)).toEqual([
        'issue_card:admin/cli',
        'queue_pin_change:hotline/ivr',
        'hotline_call:hotline/ivr',
        'pin_change_result:pos/terminal',
      ]);
      expect(history[2]?.details).toMatchObject({
        outcome: 'pin_change_queued',
        path: ['main', 'card_services', 'pin_change'],
      });
      expect(JSON.stringify(history)).not.toMatch(/123456|246810/);
    });

    it('a wrong current PIN: failed with the tries left, told on the next call (once); the old PIN still works', async () => {
      const { registry } = backend();
      const h = await issue(registry, '2.00');
      const pos = await wrongCurrentPinApplied(registry, h, 2);
      const [failed] = await registry.pinChanges(h.card.cardNumber);
      expect(failed).toMatchObject({
        state: 'failed',
        outcome: { result: 'failed', reason: 'pin_incorrect', triesLeft: 2 },
        holderToldAt: null,
      });
      await pos.verifyPin('123456');

      const next = await phone(registry, change(h, '123456', '135790'));
      expect(next.lines).toContain(
        `Your PIN change of 2025-03-01 was not applied: the current PIN you gave was wrong. The card's PIN has 2 tries left.`,
      );
      expect((await registry.pinChanges(h.card.cardNumber))[1]?.holderToldAt).not.toBeNull();
      const third = await phone(registry, `2 2 ${h.digits}# 123456# ${h.idNumber}#`);
      expect(third.lines.join('\n')).not.toContain('was not applied');
      expect(third.lines.join('\n')).toContain('has not reached your card yet; this change will replace it.');
      const calls = (await registry.history(h.card.cardNumber)).filter((e) => e.operation === 'hotline_call');
      expect(calls.map((c) => c.details['told'] ?? [])).toEqual([[], [failed!.id], []]);
    });

    it('a second change before the first is applied replaces it; only the newer one reaches the card', async () => {
      const { registry } = backend();
      const h = await issue(registry);
      await phone(registry, change(h, '123456', '246810'));
      const second = await phone(registry, change(h, '123456', '135790'));
      expect(second.lines.join('\n')).toMatch(
        /Your PIN change of 2025-03-01 has not reached your card yet; this change will replace it\./,
      );
      const [newer, older] = await registry.pinChanges(h.card.cardNumber);
      expect(older).toMatchObject({ state: 'cancelled', outcome: { result: 'replaced', by: newer!.id } });
      expect(newer?.state).toBe('pending');
      expect((await registry.cardStatus(h.card.cardNumber)).pendingScripts).toBe(1);
      const queued = (await registry.history(h.card.cardNumber)).filter((e) => e.operation === 'queue_pin_change');
      expect(queued[1]?.details).toMatchObject({ replaced: [older!.id] });
      const pos = await atPos(registry, h, true);
      expect(pos.issuerScripts?.entries.map((e) => e.id)).toEqual([String(newer!.id)]);
      await (await atPos(registry, h, false)).verifyPin('135790');
    });

    it('a script expires after its days: no POS gets it, the old PIN works, the next call says so', async () => {
      const { registry } = backend();
      const h = await issue(registry);
      clock.set('2025-03-01T09:00:00+08:00');
      await phone(registry, change(h, '123456', '246810'));
      clock.advanceDays(31);
      try {
        expect(await registry.pendingScripts(h.card.cardNumber)).toEqual([]);
        const pos = await atPos(registry, h, true);
        expect(pos.issuerScripts?.entries).toEqual([]);
        await pos.verifyPin('123456');
        const next = await phone(registry, `2 2 ${h.digits}# 123456# ${h.idNumber}#`);
        expect(next.lines).toContain(
          'Your PIN change of 2025-03-01 expired: the card was not used at an online terminal within 30 days. It was not applied; your old PIN still works.',
        );
        const [expired] = await registry.pinChanges(h.card.cardNumber);
        expect(expired).toMatchObject({ state: 'expired', outcome: { result: 'expired' } });
        expect(expired?.holderToldAt).not.toBeNull();
        expect((await phone(registry, `2 2 ${h.digits}# 123456# ${h.idNumber}#`)).lines.join('\n')).not.toContain(
          'expired',
        );
      } finally {
        clock.set('2025-03-01T09:00:00+08:00');
      }
    });

    it('a card never online: the change stays pending until it expires, nothing on the card moves', async () => {
      const { registry } = backend();
      const h = await issue(registry);
      await phone(registry, change(h, '123456', '246810'));
      const before = JSON.stringify(h.sim.exportState());
      clock.advanceDays(29);
      try {
        expect((await registry.pinChanges(h.card.cardNumber))[0]?.state).toBe('pending');
        expect(await registry.pendingScripts(h.card.cardNumber)).toHaveLength(1);
        clock.advanceDays(2);
        expect(await registry.pendingScripts(h.card.cardNumber)).toEqual([]);
        expect(await registry.expireScripts(ADMIN)).toBeGreaterThanOrEqual(1);
        expect((await registry.pinChanges(h.card.cardNumber))[0]?.state).toBe('expired');
        expect(JSON.stringify(h.sim.exportState())).toBe(before);
      } finally {
        clock.set('2025-03-01T09:00:00+08:00');
      }
    });

    it('the last try used by a wrong current PIN locks the PIN: recorded, told, and no more changes by phone', async () => {
      const { registry } = backend();
      const h = await issue(registry);
      const pos = await atPos(registry, h, false);
      await pos.verifyPin('000000').catch(() => undefined);
      await pos.verifyPin('000000').catch(() => undefined);
      await wrongCurrentPinApplied(registry, h, 0);
      expect((await registry.cardStatus(h.card.cardNumber)).ssc).toBe('pin_locked');
      const next = await phone(registry, change(h, '123456', '246810'));
      expect(next.outcome).toBe('card_not_usable');
      expect(next.lines).toContain(
        "Your PIN change of 2025-03-01 was not applied: the current PIN you gave was wrong, and the card's PIN is now locked.",
      );
      expect(next.lines).toContain(
        "Your card's PIN is locked. Please bring the card and your ID document to a service window to unlock it.",
      );
    });

    it("refusals: a stranger's ID number, a card that is not active; the queue operation itself checks both", async () => {
      const { registry } = backend();
      const h = await issue(registry);
      const other = await issue(registry);
      const encipher = async () => new Uint8Array(48);
      await expect(
        registry.queuePinChange(IVR, { cardNumber: h.card.cardNumber, idNumber: other.idNumber, encipher }),
      ).rejects.toMatchObject({ code: 'ID_MISMATCH' });
      await registry.blockCard(ADMIN, { cardNumber: other.card.cardNumber, side: 'ssc', reason: 'test' });
      await expect(
        registry.queuePinChange(IVR, { cardNumber: other.card.cardNumber, idNumber: other.idNumber, encipher }),
      ).rejects.toMatchObject({ code: 'CARD_STATE' });
      await expect(
        registry.queuePinChange(POS, { cardNumber: h.card.cardNumber, idNumber: h.idNumber, encipher }),
      ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
      const broken = registry.queuePinChange(IVR, {
        cardNumber: h.card.cardNumber,
        idNumber: h.idNumber,
        encipher: async () => Promise.reject(new Error('module gone')),
      });
      await expect(broken).rejects.toMatchObject({ code: 'SECURE_MODULE_FAILED' });
      const refused = (await registry.history(h.card.cardNumber))
        .filter((e) => e.result === 'refused')
        .map((e) => e.reason);
      expect(refused).toEqual(['ID_MISMATCH', 'ROLE_NOT_ALLOWED']);
      const call = await phone(registry, `2 2 ${h.digits}# 123456# ${other.idNumber}#`);
      expect(call.lines).toContain('That citizen ID number does not match the card number.');
    });

    it("card numbers with different letters and the same digits: the ID number picks the holder's card", async () => {
      const { registry } = backend();
      const a = personDocument();
      const b = personDocument();
      const digits = String(90_000_000 + Math.floor(Math.random() * 9_999_999));
      (a['card'] as Record<string, unknown>)['number'] = `A${digits}`;
      (a['card'] as Record<string, unknown>)['identifier'] = `1101059${digits}11`;
      (b['card'] as Record<string, unknown>)['number'] = `B${digits}`;
      (b['card'] as Record<string, unknown>)['identifier'] = `1101059${digits}22`;
      await registry.issueCard(ADMIN, { document: a, keepNumbers: true });
      await registry.issueCard(ADMIN, { document: b, keepNumbers: true });
      expect((await registry.cardsByNumberDigits(digits)).map((c) => c.cardNumber).sort()).toEqual([
        `A${digits}`,
        `B${digits}`,
      ]);
      const call = await phone(registry, `2 2 ${digits}# 123456# ${idOf(b)}# 246810# 246810#`);
      expect(call.outcome).toBe('pin_change_queued');
      expect((await registry.pinChanges(`B${digits}`))[0]?.state).toBe('pending');
      expect(await registry.pinChanges(`A${digits}`)).toEqual([]);
    });

    it('a terminal reporting twice is harmless; a report for another kind of script is refused', async () => {
      const { registry } = backend();
      const h = await issue(registry);
      await phone(registry, change(h, '123456', '246810'));
      const [s] = await registry.pinChanges(h.card.cardNumber);
      await registry.recordPinChangeResult(POS, { scriptId: s!.id, report: { result: 'applied' } });
      await registry.recordPinChangeResult(POS, { scriptId: s!.id, report: { result: 'applied' } });
      await expect(
        registry.recordPinChangeResult(POS, {
          scriptId: s!.id,
          report: { result: 'failed', reason: 'pin_incorrect', triesLeft: 1 },
        }),
      ).rejects.toMatchObject({ code: 'SCRIPT_STATE' });
      const other = await registry.queueScript(ADMIN, {
        cardNumber: h.card.cardNumber,
        kind: 'application_unblock',
        payload: {},
      });
      await expect(
        registry.recordPinChangeResult(POS, { scriptId: other.id, report: { result: 'applied' } }),
      ).rejects.toMatchObject({ code: 'SCRIPT_NOT_FOUND' });
      await expect(
        registry.recordPinChangeResult(POS, { scriptId: 0, report: { result: 'applied' } }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'scriptId must be a positive integer' });
    });

    it('the database never holds a PIN: no digits, no BCD, no PIN block, in the tables or the store files', async () => {
      const { registry, url } = backend();
      const h = await issue(registry);
      // A holder's own PIN first (changed at a POS offline), then a change by phone, applied.
      const pos = await atPos(registry, h, false);
      await pos.changePin('123456', '582064');
      await phone(registry, change(h, '582064', '719353'));
      await phone(registry, change(h, '582064', '719353'));
      await atPos(registry, h, true);
      await (await atPos(registry, h, false)).verifyPin('719353');

      const db = databaseOf(registry);
      const tables = await db.query<{ t: string }>(
        "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
      );
      let dump = '';
      for (const { t } of tables.rows) {
        const rows = await db.query<{ r: string }>(`SELECT row_to_json(x)::text AS r FROM ${t} x`);
        dump += rows.rows.map((r) => r.r).join('\n');
      }
      expect(dump).toContain('"kind":"pin_change"');
      const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
      for (const pin of ['582064', '719353']) {
        const forms = [pin, hex(encodePinBcd(pin)), hex(encodePinBlockFormat2(pin)), `06${pin}ff`];
        for (const form of forms) {
          expect(dump.toLowerCase()).not.toContain(form.toLowerCase());
        }
      }
      if (url.startsWith('file:')) {
        // The embedded store's files themselves (tables, WAL): the PINs in ASCII and their PIN blocks.
        const needles = ['582064', '719353'].flatMap((pin) => [
          Buffer.from(pin, 'ascii'),
          Buffer.from(encodePinBlockFormat2(pin)),
        ]);
        const walk = (dir: string): string[] =>
          readdirSync(dir).flatMap((n) => {
            const p = join(dir, n);
            return statSync(p).isDirectory() ? walk(p) : [p];
          });
        for (const file of walk(url.slice('file:'.length))) {
          const bytes = readFileSync(file);
          for (const needle of needles) expect(bytes.includes(needle), `${file} holds a PIN`).toBe(false);
        }
      }
    });
  },
  { clock },
);
