import { describe, expect, it } from 'vitest';
import { send, sw } from '../support/card-exchange.js';
import { KID, externalAuth, selectBank, selectSsse, ssseAfter, ssseCard, testCard } from './fixtures.js';

function readHealth(card: ReturnType<typeof testCard>): string {
  expect(sw(card, '00A4080C045353DF10')).toBe('9000');
  return sw(card, '00B2013C00');
}

describe('security state', () => {
  it('survives selections inside the application', () => {
    const card = ssseAfter([
      ['0020000003123456', '9000'],
      ['00A4000C02DF02', '9000'],
      ['00A4030C', '9000'],
    ]);
    expect(readHealth(card)).toBe('9000');
    selectSsse(card); // re-selecting the same application keeps it
    expect(readHealth(card)).toBe('9000');
    expect(card.securityState().verifiedPins).toEqual(['app']);
  });

  it('ends when another application is selected (bank, or leaving to the MF)', () => {
    const card = ssseCard();
    send(card, '0020000003123456');
    expect(selectBank(card).sw).toBe(0x9000);
    expect(card.securityState().verifiedPins).toEqual([]);
    expect(readHealth(card)).toBe('6982');
    send(card, '0020000003123456');
    expect(sw(card, '00A40000023F00')).toBe('9000');
    expect(readHealth(card)).toBe('6982');
  });

  it('ends on warm reset, cold reset and power-off; the try counter is kept', () => {
    for (const end of ['warm', 'cold', 'power'] as const) {
      const restart = (card: ReturnType<typeof testCard>): void => {
        if (end === 'power') {
          card.powerOff();
          card.powerOn();
        } else {
          card.reset(end);
        }
      };
      const card = ssseCard();
      expect(sw(card, '0020000003123456')).toBe('9000');
      expect(readHealth(card)).toBe('9000');
      restart(card);
      expect(card.securityState()).toMatchObject({ currentPath: [], verifiedPins: [], authenticatedKeys: [] });
      expect(readHealth(card)).toBe('6982');
      expect(sw(card, '0020000003777777')).toBe('63C2');
      restart(card);
      selectSsse(card);
      expect(sw(card, '0020000000')).toBe('63C2');
    }
  });

  it('verified state ends with a wrong try', () => {
    const card = ssseCard();
    send(card, '0020000003123456');
    send(card, '0020000003000000');
    expect(readHealth(card)).toBe('6982');
  });

  it('key authentication ends on reset and on application change; the challenge too', () => {
    const card = ssseCard();
    expect(externalAuth(card, KID.RK)).toBe(0x9000);
    expect(sw(card, '00B2013400')).toBe('9000');
    card.reset();
    selectSsse(card);
    expect(sw(card, '00B2013400')).toBe('6982');
    expect(externalAuth(card, KID.RK)).toBe(0x9000);
    selectBank(card);
    selectSsse(card);
    expect(sw(card, '00B2013400')).toBe('6982');
    send(card, '0084000008');
    card.reset();
    selectSsse(card);
    expect(sw(card, '00820001080000000000000000')).toBe('6984');
  });

  it('pin-or-key: either the PIN or UKSSSE opens the work record', () => {
    const byPin = ssseCard();
    send(byPin, '00A4000C02DF02');
    expect(sw(byPin, '00B2013C00')).toBe('6982');
    send(byPin, '0020000003123456');
    expect(sw(byPin, '00B2013C00')).toBe('9000');
    const byKey = ssseCard();
    send(byKey, '00A4000C02DF02');
    expect(externalAuth(byKey, KID.UK)).toBe(0x9000);
    expect(sw(byKey, '00B2013C00')).toBe('9000');
  });
});
