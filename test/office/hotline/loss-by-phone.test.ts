import { expect, it } from 'vitest';
import { RegistryHotlineService, parseKeys, runScriptedCall, type Registry } from '../../../src/office/index.js';
import { SoftwarePsam } from '../../../src/terminal/index.js';
import { ADMIN, IVR, POS, describeBackends, idOf, manualClock, personDocument } from '../fixtures.js';

/*
 * A card reported lost by phone (card services, key 3): the hotline takes a temporary report of
 * the social-security side through the registry's loss operation; the bank side is the bank's
 * and is refused here, leaving the card as it was.
 */

const clock = manualClock('2025-05-12T10:00:00+08:00');

async function call(registry: Registry, keys: string): Promise<{ lines: string[]; outcome: string }> {
  const service = new RegistryHotlineService(registry, SoftwarePsam.withTestKeys(['PIN_CHANGE']), IVR);
  const lines: string[] = [];
  const outcome = await runScriptedCall(service, parseKeys(keys), { lang: 'en' }, (o) => lines.push(...o.lines));
  return { lines, outcome };
}

describeBackends(
  'loss reported by phone',
  (backend) => {
    it('the social-security side: reported, lost_temporary, one history entry by the hotline through channel self', async () => {
      const { registry } = backend();
      const doc = personDocument({ financial: true });
      const { card } = await registry.issueCard(ADMIN, { document: doc });
      const digits = card.cardNumber.replace(/[^0-9]/g, '');
      const menu = await call(registry, `2 ${digits}#`);
      expect(menu.lines.join('\n')).toContain('To report your card lost, press 3.');

      // While the PIN is the initial one, self-service is refused (the holder must have set a PIN).
      expect((await call(registry, `2 3 ${digits}# ${idOf(doc)}# 1 1`)).outcome).toBe('loss_refused');
      expect((await registry.cardStatus(card.cardNumber)).ssc).toBe('active');
      await registry.recordPinChanged(POS, { cardNumber: card.cardNumber });

      const reported = await call(registry, `2 3 ${digits}# ${idOf(doc)}# 1 1`);
      expect(reported.outcome).toBe('loss_reported');
      expect(await registry.cardStatus(card.cardNumber)).toMatchObject({ ssc: 'lost_temporary', bank: card.bank });
      const entries = (await registry.history(card.cardNumber)).filter((e) => e.operation === 'report_loss');
      expect(entries.map((e) => e.result)).toEqual(['refused', 'ok']);
      expect(entries[1]).toMatchObject({
        role: 'hotline',
        channel: 'ivr',
        details: { side: 'ssc', lossChannel: 'self', to: 'lost_temporary' },
      });
    });

    it('the bank side is refused by phone and the card is unchanged; so is a report with another ID number', async () => {
      const { registry } = backend();
      const doc = personDocument({ financial: true });
      const { card } = await registry.issueCard(ADMIN, { document: doc });
      const digits = card.cardNumber.replace(/[^0-9]/g, '');
      await registry.recordPinChanged(POS, { cardNumber: card.cardNumber });
      const bank = await call(registry, `2 3 ${digits}# ${idOf(doc)}# 2 1`);
      expect(bank.outcome).toBe('loss_refused');
      const other = await call(registry, `2 3 ${digits}# 110101199001011237# 1 1`);
      expect(other.outcome).not.toBe('loss_reported');
      expect(await registry.cardStatus(card.cardNumber)).toMatchObject({ ssc: card.ssc, bank: card.bank });
      expect(
        (await registry.history(card.cardNumber))
          .filter((e) => e.operation === 'report_loss')
          .map((e) => [e.result, e.reason]),
      ).toEqual([
        ['refused', 'ROLE_NOT_ALLOWED'], // the other ID number never reached the operation: the menu refused it first
      ]);
    });
  },
  { clock },
);
