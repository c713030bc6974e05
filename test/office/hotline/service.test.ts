import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import {
  OfficeArgumentError,
  OfficeIssuerHost,
  Registry,
  RegistryClosedError,
  RegistryHotlineService,
  SecureModuleFailedError,
} from '../../../src/office/index.js';
import { databaseOf } from '../../../src/office/registry.js';
import { SoftwarePsam } from '../../../src/terminal/index.js';
import { ADMIN, IVR, POS, describeBackends, issueToNewPerson, manualClock } from '../fixtures.js';

/*
 * The office behind the phone menu and the online terminal, called directly (the menu and a POS
 * drive them in pin-change-lifecycle.test.ts): which card the caller's digits and ID number find,
 * what each answer carries, the refusals passed back as answers and the other failures thrown,
 * and which queued scripts the issuer host hands a terminal, MACs and takes reports for.
 */

const psam = SoftwarePsam.withTestKeys(['PIN_CHANGE']);
const clock = manualClock('2025-04-10T09:00:00+08:00');
const UNKNOWN_DIGITS = '00000000';

describeBackends(
  'hotline service and issuer host',
  (backend) => {
    const hotline = (options?: { scriptDays?: number }) =>
      new RegistryHotlineService(backend().registry, psam, IVR, options);

    /** A new holder with an active card: its number, digits, identifier and the holder's ID number. */
    async function holder() {
      const { card, id } = await issueToNewPerson(backend().registry);
      return { ...card, id, digits: card.cardNumber.replace(/[^0-9]/g, '') };
    }

    async function queued(registry: Registry, h: Awaited<ReturnType<typeof holder>>) {
      const result = await hotline().queuePinChange({
        cardNumber: h.cardNumber,
        idNumber: h.id,
        currentPin: '123456',
        newPin: '246810',
      });
      expect(result.status).toBe('queued');
      const [script] = await registry.pinChanges(h.cardNumber);
      return script!;
    }

    it('findCard: a card with the digits, and none without', async () => {
      const h = await holder();
      expect(await hotline().findCard(h.digits)).toBe(true);
      expect(await hotline().findCard(UNKNOWN_DIGITS)).toBe(false);
    });

    it('identify: the card and its last four, not found, another holder', async () => {
      const h = await holder();
      const other = await holder();
      expect(await hotline().identify('pin_change', h.digits, h.id)).toEqual({
        status: 'ok',
        cardNumber: h.cardNumber,
        last4: h.cardNumber.slice(-4),
        notices: [],
      });
      expect(await hotline().identify('pin_change', UNKNOWN_DIGITS, h.id)).toEqual({ status: 'not_found' });
      expect(await hotline().identify('loss', h.digits, other.id)).toEqual({ status: 'id_mismatch' });
    });

    it('identify: notices and the card state matter to a PIN change only, not to a loss report', async () => {
      const { registry } = backend();
      const h = await holder();
      const script = await queued(registry, h);
      const pending = [{ kind: 'pending', scriptId: script.id, date: '2025-04-10' }];
      expect(await hotline().identify('pin_change', h.digits, h.id)).toMatchObject({ status: 'ok', notices: pending });
      expect(await hotline().identify('loss', h.digits, h.id)).toMatchObject({ status: 'ok', notices: [] });
      await registry.blockCard(ADMIN, { cardNumber: h.cardNumber, side: 'ssc', reason: 'test' });
      expect(await hotline().identify('pin_change', h.digits, h.id)).toEqual({
        status: 'card_state',
        cardNumber: h.cardNumber,
        state: 'blocked',
        notices: pending,
      });
      expect(await hotline().identify('loss', h.digits, h.id)).toMatchObject({
        status: 'ok',
        cardNumber: h.cardNumber,
      });
    });

    it('queuePinChange: valid 30 days unless told otherwise; a refusal is an answer, a module failure is thrown', async () => {
      const { registry } = backend();
      const h = await holder();
      expect(hotline().scriptDays).toBe(30);
      expect(hotline({ scriptDays: 7 }).scriptDays).toBe(7);
      const request = { cardNumber: h.cardNumber, idNumber: h.id, currentPin: '123456', newPin: '246810' };
      expect(await hotline({ scriptDays: 7 }).queuePinChange(request)).toEqual({
        status: 'queued',
        validDays: 7,
        until: '2025-04-17',
      });
      const other = await holder();
      expect(await hotline().queuePinChange({ ...request, idNumber: other.id })).toEqual({
        status: 'refused',
        code: 'ID_MISMATCH',
      });
      const broken = new RegistryHotlineService(registry, SoftwarePsam.withTestKeys([]), IVR);
      await expect(broken.queuePinChange(request)).rejects.toBeInstanceOf(SecureModuleFailedError);
    });

    it('reportLoss: the bank side refused as an answer (the hotline takes the social-security side only), bad input thrown', async () => {
      const h = await holder();
      const request = { cardNumber: h.cardNumber, idNumber: h.id };
      expect(await hotline().reportLoss({ ...request, side: 'bank' })).toEqual({
        status: 'refused',
        code: 'ROLE_NOT_ALLOWED',
      });
      await expect(hotline().reportLoss({ ...request, side: 'both' as never })).rejects.toBeInstanceOf(
        OfficeArgumentError,
      );
    });

    it('the issuer host hands out a PIN change only to its card, and no other kind of script', async () => {
      const { registry } = backend();
      const h = await holder();
      const script = await queued(registry, h);
      await registry.queueScript(ADMIN, { cardNumber: h.cardNumber, kind: 'application_unblock', payload: {} });
      const host = new OfficeIssuerHost(registry, psam, POS);
      const card = { cardNumber: h.cardNumber, cardIdentifier: h.cardIdentifier };
      const [only, ...more] = await host.scriptsFor(card);
      expect(more).toEqual([]);
      expect(only).toMatchObject({
        id: String(script.id),
        kind: 'pin_change',
        application: 'ssse',
        command: { cla: 0x84, ins: 0x5e, p1: 0x01, p2: 0x00 },
      });
      expect(only?.command.data).toEqual(Uint8Array.from(Buffer.from(script.payload.cryptogram, 'hex')));
      // Another identifier under the same number, and a number the registry does not know.
      expect(await host.scriptsFor({ ...card, cardIdentifier: '0'.repeat(16) })).toEqual([]);
      expect(await host.scriptsFor({ cardNumber: 'Z99999999', cardIdentifier: h.cardIdentifier })).toEqual([]);
      // A MAC for it while the other kind is pending too.
      expect(await host.macFor(only!, new Uint8Array(8))).toHaveLength(4);
    });

    it.each([
      ['another header', { header: '845E0200' }],
      ['another card identifier', { cardIdentifier: '1'.repeat(16) }],
    ])('a PIN change row with %s is not handed out', async (_what, change) => {
      const { registry } = backend();
      const h = await holder();
      const script = await queued(registry, h);
      await databaseOf(registry).query('UPDATE issuer_scripts SET payload = payload || $1::jsonb WHERE id = $2', [
        JSON.stringify(change),
        script.id,
      ]);
      const host = new OfficeIssuerHost(registry, psam, POS);
      expect(await host.scriptsFor({ cardNumber: h.cardNumber, cardIdentifier: h.cardIdentifier })).toEqual([]);
    });

    it.each(['ABC', 'G0', 'ZZ00', '00ZZ'])('a cryptogram %s that is not hex is refused by name', async (cryptogram) => {
      const { registry } = backend();
      const h = await holder();
      const script = await queued(registry, h);
      await databaseOf(registry).query('UPDATE issuer_scripts SET payload = payload || $1::jsonb WHERE id = $2', [
        JSON.stringify({ cryptogram }),
        script.id,
      ]);
      const host = new OfficeIssuerHost(registry, psam, POS);
      await expect(host.scriptsFor({ cardNumber: h.cardNumber, cardIdentifier: h.cardIdentifier })).rejects.toThrow(
        new OfficeArgumentError('script payload: not hex'),
      );
    });

    it('a MAC or a report only for a script this host handed out and still pending', async () => {
      const { registry } = backend();
      const h = await holder();
      await queued(registry, h);
      const card = { cardNumber: h.cardNumber, cardIdentifier: h.cardIdentifier };
      const [script] = await new OfficeIssuerHost(registry, psam, POS).scriptsFor(card);
      const stranger = new OfficeIssuerHost(registry, psam, POS);
      const notMine = `script ${script!.id} was not handed out by this host`;
      await expect(stranger.macFor(script!, new Uint8Array(8))).rejects.toThrow(new OfficeArgumentError(notMine));
      await expect(stranger.report(script!, { result: 'applied' })).rejects.toThrow(new OfficeArgumentError(notMine));

      const host = new OfficeIssuerHost(registry, psam, POS);
      const [handed] = await host.scriptsFor(card);
      await queued(registry, h); // replaces it
      await expect(host.macFor(handed!, new Uint8Array(8))).rejects.toThrow(
        new OfficeArgumentError(`script ${handed!.id} is no longer pending`),
      );
    });
  },
  { clock },
);

it('a registry that cannot answer is an error of the issuer host, not a card with no scripts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sscard-host-'));
  try {
    const registry = await Registry.open(`file:${dir}`);
    await registry.close();
    const host = new OfficeIssuerHost(registry, psam, POS);
    await expect(host.scriptsFor({ cardNumber: 'A12345678', cardIdentifier: '0'.repeat(16) })).rejects.toBeInstanceOf(
      RegistryClosedError,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
