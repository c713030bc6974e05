import { describe, expect, it } from 'vitest';
import * as shown from '../../src/cli/help-constants.js';
import {
  DEFAULT_PORTAL_PORT,
  DEFAULT_RESET_PIN_RULE,
  DEFAULT_SCRIPT_DAYS,
  MAX_SCRIPT_DAYS,
  RESET_PIN_RULES,
  ROLES,
} from '../../src/office/index.js';
import { VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT } from '../../src/bridge/index.js';
import { DEFAULT_INSPECTOR_PORT } from '../../src/inspector/index.js';

// The command definitions repeat these values so that `--help` loads none of the areas: each
// must be the value its area uses.
describe('the values the command definitions show', () => {
  it('are the office values', () => {
    expect(shown.ROLES).toEqual(ROLES);
    expect(shown.RESET_PIN_RULES).toEqual(RESET_PIN_RULES);
    expect(shown.DEFAULT_RESET_PIN_RULE).toBe(DEFAULT_RESET_PIN_RULE);
    expect(shown.DEFAULT_SCRIPT_DAYS).toBe(DEFAULT_SCRIPT_DAYS);
    expect(shown.MAX_SCRIPT_DAYS).toBe(MAX_SCRIPT_DAYS);
    expect(shown.DEFAULT_PORTAL_PORT).toBe(DEFAULT_PORTAL_PORT);
  });

  it('are the bridge and inspector values', () => {
    expect(shown.VPCD_DEFAULT_HOST).toBe(VPCD_DEFAULT_HOST);
    expect(shown.VPCD_DEFAULT_PORT).toBe(VPCD_DEFAULT_PORT);
    expect(shown.INSPECTOR_PORT).toBe(DEFAULT_INSPECTOR_PORT);
  });
});
