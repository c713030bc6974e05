import { describe, expect, it } from 'vitest';
import { CardPin, CardTreeError } from '../../src/card-sim/index.js';
import { PinFormatError, PinPolicyError, PinRecordError } from '../../src/pin/index.js';
import { expectThrowsClass } from '../support/throws.js';

// CardPin's refusals keep what the PIN engine said as their cause (a caller can tell a policy
// problem from a record one without parsing the message), and its id is a string, not anything
// that happens to print as one.

const refusal = (options: ConstructorParameters<typeof CardPin>[0]): CardTreeError =>
  expectThrowsClass(() => new CardPin(options, () => {}), CardTreeError);

describe('CardPin refusals', () => {
  it('an id that is not a string is refused, even when it reads as a valid one', () => {
    expect(refusal({ id: 123 as unknown as string }).message).toBe(
      "PIN id must be 1..32 letters, digits, '_' or '-', got 123",
    );
  });

  it('keeps the engine error as the cause of a bad policy, a PIN it cannot personalize with and a bad record', () => {
    expect(refusal({ id: 'app', policy: { tryLimit: 0 } }).cause).toBeInstanceOf(PinPolicyError);
    expect(refusal({ id: 'app', initialPin: '12' }).cause).toBeInstanceOf(PinFormatError);
    const made = new CardPin({ id: 'app' }, () => {});
    const bad = refusal({ id: 'app', record: { ...made.record(), triesLeft: -1 } });
    expect(bad.cause).toBeInstanceOf(PinRecordError);
    expect(bad.message).toContain((bad.cause as Error).message);
  });
});
