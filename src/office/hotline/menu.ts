import { DEFAULT_PIN_POLICY } from '../../pin/index.js';
import { isValidCitizenId } from '../../records/index.js';
import type { HotlineCallRecord, HotlineOutcome } from '../operations/hotline-call.js';
import { isKey, noticePrompt, promptOf } from './menu-effects.js';
import type { EffectAnswer, IdentifyResult, Key, MenuEffect, MenuOptions, MenuStep } from './menu-effects.js';
import type { Prompt, PromptId } from './prompts.js';

export { isKey } from './menu-effects.js';
export type {
  EffectAnswer,
  IdentifyResult,
  Key,
  LossResult,
  MenuEffect,
  MenuOptions,
  MenuStep,
  PinChangeNotice,
  QueueResult,
} from './menu-effects.js';

/*
 * The 12333 voice menu as a pure state machine: keys in, prompts out, no I/O. Where the menu
 * needs the office (is there such a card, is this the holder, queue the change) it hands out an
 * effect and waits for `resolve` with the answer; the driver (call.ts) performs it.
 *
 *   main             2 card services · 0 operator (ends the call) · * again
 *   card services    2 change PIN · 3 report loss (only when the office offers it) · * back
 *   change PIN       card number # · current PIN # · ID number # · new PIN # · new PIN again #
 *   loss report      card number # · ID number # · 1 social security / 2 bank · 1 confirm
 *
 * Keys: 0-9, * and # as on a phone keypad. # ends an entry; * goes back one step (from the
 * first entry to the menu above, and at the top it repeats the menu), except as the 18th
 * character of an ID number, where it stands for the check character X (a keypad has no X; the
 * prompt says so). 'X' itself is taken there too, for a computer keyboard. Card numbers are typed
 * without their letter; see docs/hotline.md for how they are matched.
 * PIN digits are echoed as '*' and kept only until the call hands them to the office's secure
 * module (the queue_pin_change effect); the call record never holds them.
 * Wrong entries: MAX_TRIES per prompt, then the call ends (too_many_errors).
 */

/** Wrong entries allowed per prompt; the next wrong one ends the call. */
export const MAX_TRIES = 3;

type Field = 'card_number' | 'current_pin' | 'id_number' | 'new_pin' | 'new_pin_again';
type Flow = 'pin_change' | 'loss';
type Node =
  | { at: 'main' }
  | { at: 'card_services' }
  | { at: 'entry'; flow: Flow; field: Field }
  | { at: 'loss_side' }
  | { at: 'loss_confirm' }
  | { at: 'waiting'; effect: MenuEffect['kind']; flow: Flow }
  | { at: 'ended'; outcome: HotlineOutcome };

const FLOWS: Readonly<Record<Flow, readonly Field[]>> = {
  pin_change: ['card_number', 'current_pin', 'id_number', 'new_pin', 'new_pin_again'],
  loss: ['card_number', 'id_number'],
};

const ASK: Readonly<Record<Field, PromptId>> = {
  card_number: 'ask_card_number',
  current_pin: 'ask_current_pin',
  id_number: 'ask_id_number',
  new_pin: 'ask_new_pin',
  new_pin_again: 'ask_new_pin_again',
};

const SECRET_FIELDS: ReadonlySet<Field> = new Set(['current_pin', 'new_pin', 'new_pin_again']);
const MAX_ENTRY = 32;
const p = promptOf;

export class HotlineMenu {
  readonly lang: 'zh' | 'en';
  readonly lossReport: boolean;
  private node: Node = { at: 'main' };
  private buffer = '';
  private readonly entries = new Map<Field, string>();
  private lossSide: 'ssc' | 'bank' = 'ssc';
  private identified: { cardNumber: string; idNumber: string; last4: string } | undefined;
  /** The last card number of the right form the caller typed (kept for the call record). */
  private typedCard: string | undefined;
  private readonly wrong = new Map<string, number>();
  private readonly path: string[] = [];
  private readonly told = new Set<number>();
  private keyCount = 0;
  private started = false;

  constructor(options: MenuOptions = {}) {
    this.lang = options.lang ?? 'zh';
    this.lossReport = options.lossReport ?? false;
  }

  get ended(): HotlineOutcome | undefined {
    return this.node.at === 'ended' ? this.node.outcome : undefined;
  }

  /** Whether the menu waits for resolve(). */
  get waiting(): boolean {
    return this.node.at === 'waiting';
  }

  /** The call's opening: welcome and the main menu. */
  start(): MenuStep {
    if (this.started) throw new Error('the call has already started');
    this.started = true;
    this.path.push('main');
    return { say: [p('welcome'), p('main_menu')], echo: '' };
  }

  /** One key press. */
  press(key: Key): MenuStep {
    if (!this.started) throw new Error('start() the call first');
    if (!isKey(key)) throw new Error('not a keypad key');
    if (this.node.at === 'ended') return { say: [], echo: '' };
    if (this.node.at === 'waiting') throw new Error('the menu is waiting for the office (resolve) before the next key');
    this.keyCount += 1;
    switch (this.node.at) {
      case 'main':
        return this.mainKey(key);
      case 'card_services':
        return this.cardServicesKey(key);
      case 'loss_side':
        return this.lossSideKey(key);
      case 'loss_confirm':
        return this.lossConfirmKey(key);
      case 'entry':
        return this.entryKey(this.node.flow, this.node.field, key);
    }
  }

  /** The record of the call for the history: no PIN, no ID number the caller typed. */
  record(outcomeIfOpen: HotlineOutcome = 'hung_up'): HotlineCallRecord {
    const outcome = this.node.at === 'ended' ? this.node.outcome : outcomeIfOpen;
    const typed = this.typedCard;
    return {
      cardNumber: this.identified?.cardNumber ?? null,
      cardDigits: this.identified === undefined && typed !== undefined ? typed : null,
      lang: this.lang,
      outcome,
      path: [...this.path],
      wrongEntries: Object.fromEntries(this.wrong),
      keys: this.keyCount,
      told: [...this.told].sort((a, b) => a - b),
    };
  }

  /** Ends the call from outside (the caller hung up, the line dropped); forgets the PINs. */
  hangUp(): void {
    if (this.node.at !== 'ended') this.end('hung_up');
  }

  /** The office's answer to the pending effect. */
  resolve(answer: EffectAnswer): MenuStep {
    const node = this.node;
    if (node.at !== 'waiting') throw new Error('the menu is not waiting for the office');
    if (answer.kind === 'failed') return this.finish('service_error', [p('service_error')]);
    if (answer.kind !== node.effect) throw new Error(`expected the answer to ${node.effect}, got ${answer.kind}`);
    switch (answer.kind) {
      case 'find_card':
        if (answer.found) return this.nextField(node.flow, 'card_number');
        return this.wrongEntry(node.flow, 'card_number', 'card_not_found');
      case 'identify':
        return this.identifiedAnswer(node.flow, answer.result);
      case 'queue_pin_change':
        this.forgetPins();
        if (answer.result.status === 'queued') {
          return this.finish('pin_change_queued', [
            p('change_queued', { days: answer.result.validDays, until: answer.result.until }),
          ]);
        }
        return this.finish('refused', [p(answer.result.code === 'CARD_STATE' ? 'card_pin_locked' : 'change_refused')]);
      case 'report_loss':
        if (answer.result.status === 'reported') return this.finish('loss_reported', [p('loss_reported')]);
        return this.finish('loss_refused', [p('loss_refused')]);
    }
  }

  // ---- menus ------------------------------------------------------------------------------

  private mainKey(key: Key): MenuStep {
    if (key === '2') return this.enterCardServices(key);
    if (key === '0') {
      this.path.push('operator');
      return this.finish('operator', [p('operator')], key);
    }
    if (key === '*') return { say: [p('main_menu')], echo: key };
    return this.wrongChoice('main', [p('main_menu')], key);
  }

  private enterCardServices(echo = ''): MenuStep {
    this.node = { at: 'card_services' };
    this.path.push('card_services');
    return { say: [this.cardMenu()], echo };
  }

  private cardMenu(): Prompt {
    return p(this.lossReport ? 'card_menu_with_loss' : 'card_menu');
  }

  private cardServicesKey(key: Key): MenuStep {
    if (key === '2') return this.startFlow('pin_change', key);
    if (key === '3' && this.lossReport) return this.startFlow('loss', key);
    if (key === '*') {
      this.node = { at: 'main' };
      this.path.push('main');
      return { say: [p('main_menu')], echo: key };
    }
    return this.wrongChoice('card_services', [this.cardMenu()], key);
  }

  private startFlow(flow: Flow, echo: string): MenuStep {
    this.path.push(flow === 'pin_change' ? 'pin_change' : 'loss_report');
    this.entries.clear();
    this.identified = undefined;
    return this.ask(flow, 'card_number', echo);
  }

  private lossSideKey(key: Key): MenuStep {
    if (key === '1' || key === '2') {
      this.lossSide = key === '1' ? 'ssc' : 'bank';
      this.node = { at: 'loss_confirm' };
      return { say: [p('ask_loss_confirm', { last4: this.identified?.last4 ?? '', side: this.lossSide })], echo: key };
    }
    if (key === '*') return this.ask('loss', 'id_number', key);
    return this.wrongChoice('loss_side', [p('ask_loss_side')], key);
  }

  private lossConfirmKey(key: Key): MenuStep {
    const who = this.identified;
    if (key === '1' && who !== undefined) {
      return this.wait(
        'loss',
        { kind: 'report_loss', cardNumber: who.cardNumber, idNumber: who.idNumber, side: this.lossSide },
        key,
      );
    }
    if (key === '*') {
      this.node = { at: 'loss_side' };
      return { say: [p('ask_loss_side')], echo: key };
    }
    return this.wrongChoice(
      'loss_confirm',
      [p('ask_loss_confirm', { last4: who?.last4 ?? '', side: this.lossSide })],
      key,
    );
  }

  // ---- entries ----------------------------------------------------------------------------

  private ask(flow: Flow, field: Field, echo = ''): MenuStep {
    this.node = { at: 'entry', flow, field };
    this.buffer = '';
    this.entries.delete(field);
    return { say: [p(ASK[field])], echo };
  }

  private entryKey(flow: Flow, field: Field, key: Key): MenuStep {
    const secret = SECRET_FIELDS.has(field);
    const idCheckPosition = field === 'id_number' && this.buffer.length === 17;
    if (idCheckPosition && (key === '*' || key === 'X')) {
      this.buffer += 'X';
      return { say: [], echo: 'X' };
    }
    if (key === '*') return this.back(flow, field);
    if (key === 'X') return { say: [], echo: '' };
    if (key === '#') {
      const entry = this.buffer;
      this.buffer = '';
      return { ...this.submit(flow, field, entry), echo: '#' };
    }
    if (this.buffer.length < MAX_ENTRY) this.buffer += key;
    return { say: [], echo: secret ? '*' : key };
  }

  private back(flow: Flow, field: Field): MenuStep {
    this.buffer = '';
    const fields = FLOWS[flow];
    const i = fields.indexOf(field);
    if (field === 'new_pin') this.entries.delete('new_pin');
    if (i <= 0) {
      this.entries.clear();
      return this.enterCardServices('*');
    }
    return this.ask(flow, fields[i - 1] as Field, '*');
  }

  private submit(flow: Flow, field: Field, entry: string): MenuStep {
    switch (field) {
      case 'card_number':
        if (!/^[0-9]{8,9}$/.test(entry)) return this.wrongEntry(flow, field, 'card_number_invalid');
        this.entries.set(field, entry);
        this.typedCard = entry;
        return this.wait(flow, { kind: 'find_card', digits: entry });
      case 'current_pin':
        if (!/^[0-9]{6}$/.test(entry)) return this.wrongEntry(flow, field, 'pin_format');
        this.entries.set(field, entry);
        return this.nextField(flow, field);
      case 'id_number': {
        if (!isValidCitizenId(entry)) return this.wrongEntry(flow, field, 'id_invalid');
        this.entries.set(field, entry);
        return this.wait(flow, {
          kind: 'identify',
          purpose: flow,
          digits: this.entries.get('card_number') ?? '',
          idNumber: entry,
        });
      }
      case 'new_pin':
        if (!/^[0-9]{6}$/.test(entry)) return this.wrongEntry(flow, field, 'pin_format');
        if (entry === DEFAULT_PIN_POLICY.initialPin) return this.wrongEntry(flow, field, 'new_pin_initial');
        if (entry === this.entries.get('current_pin')) return this.wrongEntry(flow, field, 'new_pin_same');
        this.entries.set(field, entry);
        return this.nextField(flow, field);
      case 'new_pin_again': {
        const newPin = this.entries.get('new_pin');
        const who = this.identified;
        const currentPin = this.entries.get('current_pin');
        if (entry !== newPin || newPin === undefined) {
          this.entries.delete('new_pin');
          // The pair is what was wrong: counted on the new PIN, which is asked again.
          return this.wrongEntry(flow, 'new_pin', 'new_pin_mismatch');
        }
        if (who === undefined || currentPin === undefined) throw new Error('PIN change without an identified card');
        return this.wait(flow, {
          kind: 'queue_pin_change',
          cardNumber: who.cardNumber,
          idNumber: who.idNumber,
          currentPin,
          newPin,
        });
      }
    }
  }

  private identifiedAnswer(flow: Flow, result: IdentifyResult): MenuStep {
    if (result.status === 'id_mismatch') return this.wrongEntry(flow, 'id_number', 'id_mismatch');
    if (result.status === 'not_found') return this.wrongEntry(flow, 'card_number', 'card_not_found');
    const notices = result.notices.map((n) => noticePrompt(n));
    for (const n of result.notices) if (n.kind !== 'pending') this.told.add(n.scriptId);
    const idNumber = this.entries.get('id_number') ?? '';
    if (result.status === 'card_state') {
      this.identified = { cardNumber: result.cardNumber, idNumber, last4: result.cardNumber.slice(-4) };
      const why = result.state === 'pin_locked' ? p('card_pin_locked') : p('card_not_usable', { state: result.state });
      return this.finish('card_not_usable', [...notices, why]);
    }
    this.identified = { cardNumber: result.cardNumber, idNumber, last4: result.last4 };
    const next = this.nextField(flow, 'id_number');
    return { ...next, say: [...notices, ...next.say] };
  }

  private nextField(flow: Flow, field: Field): MenuStep {
    const fields = FLOWS[flow];
    const next = fields[fields.indexOf(field) + 1];
    if (next !== undefined) return this.ask(flow, next);
    // The loss report's entries are done: which side, then confirm.
    this.node = { at: 'loss_side' };
    return { say: [p('ask_loss_side')], echo: '' };
  }

  private wait(flow: Flow, effect: MenuEffect, echo = ''): MenuStep {
    this.node = { at: 'waiting', effect: effect.kind, flow };
    return { say: [], echo, effect };
  }

  /** A wrong entry: counted; the prompt again, or the end of the call at MAX_TRIES. */
  private wrongEntry(flow: Flow, field: Field, why: PromptId): MenuStep {
    const count = (this.wrong.get(field) ?? 0) + 1;
    this.wrong.set(field, count);
    if (count >= MAX_TRIES) return this.finish('too_many_errors', [p(why), p('too_many_errors')]);
    const again = this.ask(flow, field);
    return { say: [p(why), ...again.say], echo: '' };
  }

  private wrongChoice(where: string, menu: Prompt[], echo: string): MenuStep {
    const count = (this.wrong.get(where) ?? 0) + 1;
    this.wrong.set(where, count);
    if (count >= MAX_TRIES) return this.finish('too_many_errors', [p('invalid_key'), p('too_many_errors')], echo);
    return { say: [p('invalid_key'), ...menu], echo };
  }

  private finish(outcome: HotlineOutcome, say: Prompt[], echo = ''): MenuStep {
    this.end(outcome);
    return { say: [...say, p('goodbye')], echo, ended: outcome };
  }

  private end(outcome: HotlineOutcome): void {
    this.node = { at: 'ended', outcome };
    this.forgetPins();
    this.buffer = '';
  }

  private forgetPins(): void {
    for (const f of SECRET_FIELDS) this.entries.delete(f);
  }
}
