import { describe, expect, it } from 'vitest';
import { BANK_STATES, CardStateError, IdMismatchError, SSC_STATES } from '../../../src/office/index.js';
import type { CardStatus } from '../../../src/office/index.js';
import { CardIdentityMismatchError } from '../../../src/office/window/index.js';
import { checkActivation, checkVisit, rolesFor } from '../../../src/office/window/pin-operations.js';
import { expectThrowsClass } from '../../support/throws.js';

/*
 * The registry's rules for a PIN act at the counter and for a bank activation, called directly:
 * who may act on which side, and what a visit must show before the window sends anything to the
 * card. The window suites
 * (service-window.test.ts) go through the same rules with a registry and a chip.
 */

const HOLDER_ID = '11010519491231002X';

function card(states: Partial<Pick<CardStatus, 'ssc' | 'bank'>> = {}): CardStatus {
  return {
    cardNumber: 'A00000001',
    cardIdentifier: '110105900000000001',
    idNumber: HOLDER_ID,
    holderName: '张伟',
    specVersion: '3.00',
    financial: true,
    issueDate: '2025-03-03',
    expiryDate: '2035-03-03',
    ssc: 'active',
    bank: 'active',
    pinInitial: true,
    replaces: null,
    personalizationVersion: 1,
    pendingScripts: 0,
    updatedAt: new Date('2025-03-03T01:00:00Z'),
    ...states,
  };
}

const visit = (over: Partial<{ side: 'ssc' | 'bank'; cardIdentifier: string; idNumber: unknown }> = {}) =>
  ({ side: 'ssc', cardIdentifier: card().cardIdentifier, idNumber: HOLDER_ID, ...over }) as Parameters<
    typeof checkVisit
  >[1];

/** Every state of each side, as [side, state]. */
const SIDE_STATES: ReadonlyArray<readonly ['ssc' | 'bank', string]> = [
  ...SSC_STATES.map((state) => ['ssc', state] as const),
  ...BANK_STATES.map((state) => ['bank', state] as const),
];

describe('window PIN acts: who acts on which side', () => {
  it('the social-security side at a service window, the bank side at a bank; an administrator on both', () => {
    expect(rolesFor('ssc')).toEqual(['window', 'admin']);
    expect(rolesFor('bank')).toEqual(['bank', 'admin']);
  });
});

describe('window PIN acts: what a visit must show', () => {
  it("accepts the holder's ID number as typed at a counter: blanks around it, the X in either case", () => {
    for (const idNumber of [HOLDER_ID, ` ${HOLDER_ID}\t`, HOLDER_ID.toLowerCase(), `\n${HOLDER_ID.toLowerCase()} `]) {
      expect(() => checkVisit(card(), visit({ idNumber }), 'pin_unlock')).not.toThrow();
    }
  });

  it.each([
    ['another holder', '110105198001010012'],
    ['a blank', ''],
    ['one character short', HOLDER_ID.slice(0, 17)],
    ['no ID number', undefined],
    ['a number', 11010519491231],
    ['null', null],
  ])("refuses %s as the holder's ID number (ID_MISMATCH, never a TypeError)", (_, idNumber) => {
    const error = expectThrowsClass(() => checkVisit(card(), visit({ idNumber }), 'pin_unlock'), IdMismatchError);
    expect(error.message).toContain('A00000001');
  });

  it('refuses a chip that is not the card the registry knows before it looks at the ID number', () => {
    expectThrowsClass(
      () => checkVisit(card(), visit({ cardIdentifier: '110105900000000002', idNumber: 'wrong' }), 'pin_reset'),
      CardIdentityMismatchError,
    );
  });

  it.each(SIDE_STATES)('%s side %s: a PIN act only while active or pin_locked', (side, state) => {
    const known = { ...card(), [side]: state } as CardStatus;
    const check = () => checkVisit(known, visit({ side }), 'pin_reset');
    if (state === 'active' || state === 'pin_locked') {
      expect(check).not.toThrow();
    } else {
      const error = expectThrowsClass(check, CardStateError);
      expect({ side: error.side, state: error.state }).toEqual({ side, state });
      expect(error.message).toContain('pin_reset');
    }
  });

  it('a card without a bank side: CARD_STATE naming the missing side', () => {
    const error = expectThrowsClass(
      () => checkVisit(card({ bank: null }), visit({ side: 'bank' }), 'pin_unlock'),
      CardStateError,
    );
    expect(error.state).toBeNull();
    expect(error.message).toContain('has no bank side');
  });
});

describe('bank activation: what the visit must show', () => {
  const identifier = card().cardIdentifier;

  it('refuses a chip that is not the card the registry knows, then an ID number that is not the holder’s', () => {
    expectThrowsClass(
      () => checkActivation(card({ bank: 'inactive' }), { cardIdentifier: '110105900000000002', idNumber: 'wrong' }),
      CardIdentityMismatchError,
    );
    // The window has already put the number in its one form (presentedId): compared as it is.
    expectThrowsClass(
      () =>
        checkActivation(card({ bank: 'inactive' }), { cardIdentifier: identifier, idNumber: HOLDER_ID.toLowerCase() }),
      IdMismatchError,
    );
  });

  it.each(BANK_STATES)('bank side %s: only an inactive side is activated, and it becomes active', (state) => {
    const activate = () => checkActivation(card({ bank: state }), { cardIdentifier: identifier, idNumber: HOLDER_ID });
    if (state === 'inactive') {
      expect(activate()).toBe('active');
    } else {
      const error = expectThrowsClass(activate, CardStateError);
      expect({ side: error.side, state: error.state }).toEqual({ side: 'bank', state });
      expect(error.message).toContain('activate_bank');
    }
  });

  it('a card without a bank side has nothing to activate', () => {
    const error = expectThrowsClass(
      () => checkActivation(card({ bank: null }), { cardIdentifier: identifier, idNumber: HOLDER_ID }),
      CardStateError,
    );
    expect(error.state).toBeNull();
    expect(error.message).toContain('activate_bank is not possible');
  });
});
