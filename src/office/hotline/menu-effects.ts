import type { HotlineOutcome } from '../operations/hotline-call.js';
import type { Prompt } from './prompts.js';

/*
 * What the voice menu and its driver exchange: the keys pressed, the menu's options, the effects
 * the menu hands out (ask the office), the office's answers, and each step's prompts. The menu
 * itself is menu.ts.
 */

/** A key of the phone's keypad ('X' only from a computer keyboard, as an ID number's check character). */
export type Key = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'X';

const KEY_SET: ReadonlySet<string> = new Set('0123456789*#X');

export function isKey(k: string): k is Key {
  return KEY_SET.has(k);
}

/** How the menu speaks, and what it offers. */
export interface MenuOptions {
  lang?: 'zh' | 'en';
  /** Whether the office offers the self-service loss report (card services key 3). */
  lossReport?: boolean;
}

/** What the office tells a caller about earlier PIN changes, once the caller is identified. */
export type PinChangeNotice =
  | { kind: 'pending'; scriptId: number; date: string }
  | { kind: 'failed_pin'; scriptId: number; date: string; triesLeft: number }
  | { kind: 'failed'; scriptId: number; date: string }
  | { kind: 'expired'; scriptId: number; date: string; days: number };

export type IdentifyResult =
  | { status: 'ok'; cardNumber: string; last4: string; notices: PinChangeNotice[] }
  | { status: 'id_mismatch' }
  | { status: 'not_found' }
  /** The card's social-security side is not active (`state`): no PIN change by phone. */
  | { status: 'card_state'; cardNumber: string; state: string; notices: PinChangeNotice[] };

export type QueueResult = { status: 'queued'; validDays: number; until: string } | { status: 'refused'; code: string };
export type LossResult = { status: 'reported' } | { status: 'refused'; code: string };

export type MenuEffect =
  | { kind: 'find_card'; digits: string }
  | { kind: 'identify'; purpose: 'pin_change' | 'loss'; digits: string; idNumber: string }
  | { kind: 'queue_pin_change'; cardNumber: string; idNumber: string; currentPin: string; newPin: string }
  | { kind: 'report_loss'; cardNumber: string; idNumber: string; side: 'ssc' | 'bank' };

export type EffectAnswer =
  | { kind: 'find_card'; found: boolean }
  | { kind: 'identify'; result: IdentifyResult }
  | { kind: 'queue_pin_change'; result: QueueResult }
  | { kind: 'report_loss'; result: LossResult }
  /** The office could not answer: the call ends with service_error. */
  | { kind: 'failed' };

export interface MenuStep {
  /** What the menu says now, in order. */
  say: Prompt[];
  /** What the key press shows on a screen ('*' for a PIN digit); '' when nothing. */
  echo: string;
  /** Set when the driver must ask the office and call resolve() with the answer. */
  effect?: MenuEffect;
  /** Set when the call is over. */
  ended?: HotlineOutcome;
}

/** A prompt, with its parameters when it has any. */
export const promptOf = (id: Prompt['id'], params?: Prompt['params']): Prompt =>
  params === undefined ? { id } : { id, params };
const p = promptOf;

/** What the menu says about an earlier PIN change, once the caller is identified. */
export function noticePrompt(n: PinChangeNotice): Prompt {
  switch (n.kind) {
    case 'pending':
      return p('notice_pending', { date: n.date });
    case 'failed_pin':
      return n.triesLeft === 0
        ? p('notice_failed_locked', { date: n.date })
        : p('notice_failed_pin', { date: n.date, tries: n.triesLeft });
    case 'failed':
      return p('notice_failed', { date: n.date });
    case 'expired':
      return p('notice_expired', { date: n.date, days: n.days });
  }
}
