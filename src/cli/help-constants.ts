/*
 * Values the command definitions show in help texts and check options against, repeated from the
 * areas that own them so that defining a command (and so its `--help`) loads none of those areas:
 * they load with the command's action. test/cli/help-constants.test.ts checks each against its
 * source.
 */

/** office ROLES: the terminal roles an office operation may act as. */
export const ROLES = ['window', 'bank', 'hotline', 'pos', 'portal', 'admin'] as const;

/** office RESET_PIN_RULES and DEFAULT_RESET_PIN_RULE: how the window resets a forgotten PIN. */
export const RESET_PIN_RULES = ['holder-chooses', 'initial'] as const;
export const DEFAULT_RESET_PIN_RULE = 'holder-chooses';

/** office DEFAULT_SCRIPT_DAYS and MAX_SCRIPT_DAYS: how long a hotline PIN change waits for the card. */
export const DEFAULT_SCRIPT_DAYS = 30;
export const MAX_SCRIPT_DAYS = 366;

/** office DEFAULT_PORTAL_PORT: the self-service portal's port. */
export const DEFAULT_PORTAL_PORT = 12333;

/** bridge VPCD_DEFAULT_HOST and VPCD_DEFAULT_PORT: the vpcd reader of slot 0. */
export const VPCD_DEFAULT_HOST = '127.0.0.2';
export const VPCD_DEFAULT_PORT = 35963;

/** inspector DEFAULT_INSPECTOR_PORT: the inspector page's port. */
export const INSPECTOR_PORT = 7816;
