import { SscardError } from '../../apdu/index.js';
import type { HotlineOutcome } from '../operations/hotline-call.js';
import { HotlineMenu, isKey } from './menu.js';
import type { EffectAnswer, Key, MenuEffect, MenuStep } from './menu.js';
import { renderPrompt } from './prompts.js';
import type { Lang } from './prompts.js';
import type { HotlineService } from './service.js';

/*
 * One call: the menu (a pure state machine) driven by key presses, its effects performed on the
 * office through a HotlineService, the call recorded in the history when it ends. The same driver
 * serves a script of keys (`--keys`, tests) and a person at a terminal (one key at a time).
 */

/** What the caller hears and sees after an action: spoken lines and the key's echo. */
export interface CallOutput {
  lines: string[];
  echo: string;
  ended?: HotlineOutcome;
}

/** A --keys script that is not keypad keys. */
export class HotlineKeysError extends SscardError {
  constructor(message: string) {
    super('HOTLINE_KEYS', message);
  }
}

/**
 * The keys of a script as a caller presses them: digits, * and #; spaces only separate. For
 * pasting numbers as printed: letters are left out (callers type card numbers without their
 * letter) except X, which is the ID number's check character (the menu takes it where * would
 * stand for X). Anything else is refused, naming its position, never the script itself.
 */
export function parseKeys(script: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  for (const ch of script) {
    i += 1;
    if (/\s/.test(ch)) continue;
    const up = ch.toUpperCase();
    if (isKey(up)) keys.push(up);
    else if (/^[A-Z]$/.test(up)) continue;
    else throw new HotlineKeysError(`--keys: character ${i} is not a keypad key (0-9, *, #)`);
  }
  return keys;
}

export interface HotlineCallOptions {
  lang?: Lang;
}

export class HotlineCall {
  readonly menu: HotlineMenu;
  /** The office's last failure (the caller only hears that the system is busy). */
  lastError: unknown;
  private recorded = false;

  constructor(
    private readonly service: HotlineService,
    options: HotlineCallOptions = {},
  ) {
    this.menu = new HotlineMenu({ lang: options.lang ?? 'zh', lossReport: typeof service.reportLoss === 'function' });
  }

  get ended(): HotlineOutcome | undefined {
    return this.menu.ended;
  }

  /** The greeting and the main menu. */
  async start(): Promise<CallOutput> {
    return this.settle(this.menu.start());
  }

  /** One key press, with whatever the office has to answer before the menu goes on. */
  async press(key: Key): Promise<CallOutput> {
    return this.settle(this.menu.press(key));
  }

  /**
   * Ends the call (the caller hangs up, or the script of keys ran out) and records it, once.
   * Returns how it ended.
   */
  async hangUp(): Promise<HotlineOutcome> {
    this.menu.hangUp();
    const record = this.menu.record();
    if (!this.recorded) {
      this.recorded = true;
      await this.service.recordCall(record);
    }
    return record.outcome;
  }

  private async settle(first: MenuStep): Promise<CallOutput> {
    const lines: string[] = [];
    let step = first;
    const echo = step.echo;
    for (;;) {
      for (const prompt of step.say) lines.push(renderPrompt(prompt, this.menu.lang));
      if (step.effect === undefined) break;
      step = this.menu.resolve(await this.perform(step.effect));
    }
    if (step.ended !== undefined) await this.hangUp();
    return step.ended === undefined ? { lines, echo } : { lines, echo, ended: step.ended };
  }

  private async perform(effect: MenuEffect): Promise<EffectAnswer> {
    try {
      switch (effect.kind) {
        case 'find_card':
          return { kind: 'find_card', found: await this.service.findCard(effect.digits) };
        case 'identify':
          return {
            kind: 'identify',
            result: await this.service.identify(effect.purpose, effect.digits, effect.idNumber),
          };
        case 'queue_pin_change':
          return { kind: 'queue_pin_change', result: await this.service.queuePinChange(effect) };
        case 'report_loss': {
          if (this.service.reportLoss === undefined) return { kind: 'failed' };
          return { kind: 'report_loss', result: await this.service.reportLoss(effect) };
        }
      }
    } catch (err) {
      // The office's failure ends the call politely; what failed is not the caller's to hear.
      this.lastError = err;
      return { kind: 'failed' };
    }
  }
}

/** Runs a whole call from a script of keys; `out` gets every output. Returns how it ended. */
export async function runScriptedCall(
  service: HotlineService,
  keys: readonly Key[],
  options: HotlineCallOptions,
  out: (output: CallOutput, key: Key | undefined) => void,
): Promise<HotlineOutcome> {
  const call = new HotlineCall(service, options);
  out(await call.start(), undefined);
  for (const key of keys) {
    if (call.ended !== undefined) break;
    out(await call.press(key), key);
  }
  return call.hangUp();
}
