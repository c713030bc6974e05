import { DEFAULT_PIN_POLICY } from '../../pin/index.js';
import type { PinLengthRules, PinPolicy } from '../../pin/index.js';
import { OfficeArgumentError } from '../errors.js';

/*
 * The settings of a service window. Regions differ in one rule of the forgotten-PIN reset: most
 * let the holder choose the new PIN at the counter (typed twice on the window's PIN pad), some
 * set the initial PIN 123456 again and let the holder change it at a terminal afterwards.
 */

/** How a forgotten application PIN is reset: to a PIN the holder chooses, or to the initial PIN. */
export type ResetPinRule = 'holder-chooses' | 'initial';

export const RESET_PIN_RULES: readonly ResetPinRule[] = ['holder-chooses', 'initial'];

/**
 * Default: the holder chooses the new PIN. The chip then holds a PIN nobody else has seen, and the
 * registry records that the PIN is no longer the initial one (so the holder may use the
 * self-service channels that initial-PIN cards may not).
 */
export const DEFAULT_RESET_PIN_RULE: ResetPinRule = 'holder-chooses';

export interface ServiceWindowOptions {
  /** Forgotten-PIN reset rule (default DEFAULT_RESET_PIN_RULE, 'holder-chooses'). */
  resetPinRule?: ResetPinRule;
  /**
   * The application PIN's rules, as the cards are personalized (default DEFAULT_PIN_POLICY: six
   * digits, initial 123456). A holder-chosen PIN must have this format and may not be the initial PIN.
   */
  pinPolicy?: PinPolicy;
  /** The bank PIN's format (default: DEFAULT_PIN_POLICY's lengths, six digits). */
  bankPinPolicy?: PinLengthRules;
}

export interface WindowSettings {
  resetPinRule: ResetPinRule;
  pinPolicy: PinPolicy;
  bankPinPolicy: PinLengthRules;
}

/** The options with their defaults; throws OfficeArgumentError on an unknown rule. */
export function windowSettings(options: ServiceWindowOptions = {}): WindowSettings {
  const resetPinRule = options.resetPinRule ?? DEFAULT_RESET_PIN_RULE;
  if (!RESET_PIN_RULES.includes(resetPinRule)) {
    throw new OfficeArgumentError(
      `resetPinRule must be one of ${RESET_PIN_RULES.join(', ')}, got ${JSON.stringify(resetPinRule)}`,
    );
  }
  const pinPolicy = options.pinPolicy ?? DEFAULT_PIN_POLICY;
  const bankPinPolicy = options.bankPinPolicy ?? {
    minLength: DEFAULT_PIN_POLICY.minLength,
    maxLength: DEFAULT_PIN_POLICY.maxLength,
  };
  return { resetPinRule, pinPolicy, bankPinPolicy };
}
