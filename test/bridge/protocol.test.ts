import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { fromHex, isPinCommand, toHex } from '../../src/apdu/index.js';
import {
  answerVpcdMessage,
  formatVpcdEvent,
  maskedCommandHex,
  PIN_MASK,
  VPCD_CONTROL,
  VPCD_MAX_FRAME,
} from '../../src/bridge/index.js';
import type { VpcdEvent } from '../../src/bridge/index.js';
import { FixedCard } from './fixed-card.js';

function run(card: FixedCard, payload: Uint8Array, trace = true): { reply: string | undefined; events: VpcdEvent[] } {
  const events: VpcdEvent[] = [];
  const reply = answerVpcdMessage(card, payload, (e) => events.push(e), trace);
  return { reply: reply === undefined ? undefined : toHex(reply), events };
}

describe('answerVpcdMessage: control bytes', () => {
  it('answers the ATR request with the ATR, also while powered off (presence poll)', () => {
    const card = new FixedCard('3B 95 13 81 01 80 73 FF 01 00 0B');
    expect(card.powered).toBe(false);
    const { reply, events } = run(card, Uint8Array.of(VPCD_CONTROL.ATR_REQUEST));
    expect(reply).toBe('3B951381018073FF01000B');
    expect(card.powered).toBe(false);
    expect(events).toEqual([{ type: 'control', control: 'atr-request' }]);
  });

  it('powers on, resets (warm) and powers off without a reply', () => {
    const card = new FixedCard();
    expect(run(card, Uint8Array.of(VPCD_CONTROL.POWER_ON)).reply).toBeUndefined();
    expect(card.powered).toBe(true);
    expect(run(card, Uint8Array.of(VPCD_CONTROL.RESET)).reply).toBeUndefined();
    expect(run(card, Uint8Array.of(VPCD_CONTROL.POWER_OFF)).reply).toBeUndefined();
    expect(card.powered).toBe(false);
    expect(card.controls).toEqual(['power-on', 'reset-warm', 'power-off']);
  });

  it('ignores an unknown control byte and an empty frame, with a warning', () => {
    const card = new FixedCard();
    const unknown = run(card, Uint8Array.of(0x03));
    expect(unknown.reply).toBeUndefined();
    expect(unknown.events).toMatchObject([{ type: 'warning', code: 'UNKNOWN_CONTROL' }]);
    const empty = run(card, new Uint8Array(0));
    expect(empty.reply).toBeUndefined();
    expect(empty.events).toMatchObject([{ type: 'warning', code: 'EMPTY_FRAME' }]);
    expect(card.controls).toEqual([]);
    expect(card.commands).toEqual([]);
  });

  it('answers "no card" (empty reply) when the card throws on the ATR request', () => {
    const card = new FixedCard();
    Object.defineProperty(card, 'atr', {
      get: () => {
        throw new Error('broken');
      },
    });
    const { reply, events } = run(card, Uint8Array.of(0x04));
    expect(reply).toBe('');
    expect(events).toMatchObject([{ type: 'control' }, { type: 'warning', code: 'CARD_THREW' }]);
  });
});

describe('answerVpcdMessage: APDUs', () => {
  it('passes the C-APDU bytes to the card unchanged and returns its R-APDU', () => {
    const card = new FixedCard(undefined, { '00A4000C023F00': '9000', '80CA9F1700': '9F1701039000' });
    expect(run(card, fromHex('00A4000C023F00')).reply).toBe('9000');
    expect(run(card, fromHex('80CA9F1700')).reply).toBe('9F1701039000');
    expect(card.commands.map((c) => toHex(c))).toEqual(['00A4000C023F00', '80CA9F1700']);
  });

  it('treats a 2-byte message as an APDU, not as control', () => {
    const card = new FixedCard();
    expect(run(card, Uint8Array.of(0x00, 0x04)).reply).toBe('049000');
    expect(card.controls).toEqual([]);
  });

  it('answers 6700 with a warning when the R-APDU cannot fit a frame, and 65535 bytes still pass', () => {
    const card = new FixedCard();
    card.fallback = (c) => new Uint8Array(c[4] === 0x01 ? VPCD_MAX_FRAME + 1 : VPCD_MAX_FRAME).fill(0x90);
    const tooLong = run(card, fromHex('00B00000 01'));
    expect(tooLong.reply).toBe('6700');
    expect(tooLong.events.find((e) => e.type === 'warning')).toMatchObject({ code: 'RESPONSE_TOO_LONG' });
    const fits = answerVpcdMessage(card, fromHex('00B00000 02'));
    expect(fits?.length).toBe(VPCD_MAX_FRAME);
  });

  it('answers 6F00 when the card throws or answers less than SW1 SW2', () => {
    const card = new FixedCard();
    card.fallback = () => {
      throw new Error('handler bug');
    };
    const threw = run(card, fromHex('00B0000000'));
    expect(threw.reply).toBe('6F00');
    expect(threw.events.find((e) => e.type === 'warning')).toMatchObject({ code: 'CARD_THREW' });
    card.fallback = () => Uint8Array.of(0x90);
    const short = run(card, fromHex('00B0000000'));
    expect(short.reply).toBe('6F00');
    expect(short.events.find((e) => e.type === 'warning')).toMatchObject({ code: 'RESPONSE_TOO_SHORT' });
  });

  it('reports command and response events with hex and status word', () => {
    const card = new FixedCard(undefined, { '00B2010400': '41 42 90 00' });
    const { events } = run(card, fromHex('00B2010400'));
    expect(events).toMatchObject([
      { type: 'command', ins: 0xb2, length: 5, hex: '00 B2 01 04 00', masked: false },
      { type: 'response', ins: 0xb2, length: 4, sw: 0x9000, hex: '41 42 90 00' },
    ]);
  });

  it('builds no trace events with trace=false, but still reports warnings', () => {
    const card = new FixedCard();
    expect(run(card, fromHex('00B0000000'), false).events).toEqual([]);
    expect(run(card, Uint8Array.of(0x04), false).events).toEqual([]);
    card.fallback = () => new Uint8Array(1);
    expect(run(card, fromHex('00B0000000'), false).events).toMatchObject([
      { type: 'warning', code: 'RESPONSE_TOO_SHORT' },
    ]);
  });
});

describe('PIN masking', () => {
  it('masks VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, CHANGE/RELOAD PIN', () => {
    for (const ins of [0x20, 0x21, 0x24, 0x2c, 0x5e]) expect(isPinCommand(ins)).toBe(true);
    for (const ins of [0xa4, 0xb0, 0xb2, 0x84, 0x82, 0xca, 0xc0]) expect(isPinCommand(ins)).toBe(false);
    expect(maskedCommandHex(fromHex('0020000003123456'))).toBe(`00 20 00 00 ${PIN_MASK}`);
    expect(maskedCommandHex(fromHex('805E0100 07 123456 FF 654321'))).toBe(`80 5E 01 00 ${PIN_MASK}`);
    expect(maskedCommandHex(fromHex('00A4000C023F00'))).toBe('00 A4 00 0C 02 3F 00');
    // Not one APDU (a SELECT with a VERIFY joined to it): the header only, whatever the first INS.
    expect(maskedCommandHex(fromHex('00A4000C023F000020000003730519'))).toBe(`00 A4 00 0C ${PIN_MASK}`);
    const { events } = run(new FixedCard(), fromHex('00A4000C023F000020000003730519'));
    expect(events.find((e) => e.type === 'command')).toMatchObject({ masked: true, hex: `00 A4 00 0C ${PIN_MASK}` });
  });

  test.prop([
    fc.constantFrom(0x20, 0x21, 0x24, 0x2c, 0x5e),
    fc.integer({ min: 0, max: 255 }),
    fc.uint8Array({ minLength: 0, maxLength: 40 }),
  ])('no event or log line of a PIN command carries anything past its header', (ins, cla, tail) => {
    const command = Uint8Array.of(cla, ins, 0x00, 0x00, ...tail);
    const card = new FixedCard();
    const { events } = run(card, command);
    const header = toHex(command.subarray(0, 4), { spaces: true });
    const commandEvent = events.find((e) => e.type === 'command');
    expect(commandEvent).toMatchObject({ masked: true, hex: `${header} ${PIN_MASK}`, length: command.length });
    // No other event or log line repeats the data, spaced or not (responses carry the card's
    // answer and a timing, never command data, so they are left out of this search).
    const shown = events
      .filter((e) => e.type !== 'response')
      .map((e) => JSON.stringify(e) + formatVpcdEvent(e))
      .join('\n');
    if (tail.length >= 3) {
      expect(shown).not.toContain(toHex(tail));
      expect(shown).not.toContain(toHex(tail, { spaces: true }));
    }
    // The card still gets the real bytes: masking is for observers only.
    expect(toHex(card.commands[0]!)).toBe(toHex(command));
  });
});

describe('formatVpcdEvent', () => {
  it('renders one line per event', () => {
    expect(formatVpcdEvent({ type: 'connected', host: '127.0.0.2', port: 35963, attempt: 1 })).toBe(
      'vpcd: connected to 127.0.0.2:35963',
    );
    expect(formatVpcdEvent({ type: 'disconnected', reason: 'peer', willRetry: true, retryInMs: 100 })).toBe(
      'vpcd: disconnected (connection closed by pcscd); retrying in 100 ms',
    );
    expect(
      formatVpcdEvent({ type: 'connect-failed', attempt: 3, error: new Error('ECONNREFUSED'), willRetry: false }),
    ).toBe('vpcd: connect attempt 3 failed (ECONNREFUSED); giving up');
  });
});
