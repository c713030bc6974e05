import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { wholeNumberOption } from '../../src/cli/number-option.js';
import { expectThrowsClass } from '../support/throws.js';

describe('wholeNumberOption', () => {
  it('takes the whole numbers from min to max, bounds included', () => {
    const tries = wholeNumberOption(1, 15);
    expect(tries('1')).toBe(1);
    expect(tries('15')).toBe(15);
    expect(tries('007')).toBe(7);
    expect(wholeNumberOption(0, 1)('0')).toBe(0);
  });

  it('refuses what Number would read but is not digits, and numbers outside the bounds', () => {
    const tries = wholeNumberOption(1, 15);
    for (const bad of ['0', '16', '-1', '+3', '1.0', '1e1', '0x5', ' 5', '5 ', '', 'five'])
      expectThrowsClass(() => tries(bad), InvalidArgumentError, /^must be a whole number from 1 to 15$/);
  });

  it('says what the option is in its own words when given them', () => {
    const port = wholeNumberOption(0, 65535, 'must be a port number from 0 to 65535');
    expect(port('65535')).toBe(65535);
    expectThrowsClass(() => port('65536'), InvalidArgumentError, /^must be a port number from 0 to 65535$/);
  });
});
