import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SscardError } from '../../../src/apdu/index.js';
import { CardRemovedError, CardResetError, TransportError } from '../../../src/terminal/index.js';
import {
  NoCardError,
  PCSC_ERROR_TABLE,
  PcscServiceError,
  PcscTransportError,
  ReaderNotFoundError,
  identifyPcscError,
  loadSmartcard,
  pcscErrorToSdk,
  type PcscErrorKind,
} from '../../../src/terminal/pcsc/index.js';
import { PcscdReturnError } from '../../../src/terminal/pcsc/pcscd-protocol.js';
import { REPO_ROOT } from '../../pcsc/lab.js';

const CLASS_OF: Record<PcscErrorKind, abstract new (...args: never[]) => SscardError> = {
  removed: CardRemovedError,
  reset: CardResetError,
  'no-card': NoCardError,
  service: PcscServiceError,
  reader: ReaderNotFoundError,
  transport: PcscTransportError,
};

/** The message pcsclite builds: "<function> error: <pcsc_stringify_error text>(0x8010xxxx)". */
function pcscliteError(fn: string, text: string, code: number): Error {
  return new Error(`${fn} error: ${text}(0x${code.toString(16).padStart(8, '0')})`);
}

describe('the PC/SC error table', () => {
  it('has one entry per code and per smartcard message', () => {
    expect(new Set(PCSC_ERROR_TABLE.map((e) => e.code)).size).toBe(PCSC_ERROR_TABLE.length);
    expect(new Set(PCSC_ERROR_TABLE.map((e) => e.smartcardMessage)).size).toBe(PCSC_ERROR_TABLE.length);
  });

  it.each(PCSC_ERROR_TABLE.map((e) => [e.name, e] as const))(
    '%s: the smartcard message, the pcsclite message and the pcscd socket code map alike',
    (_, entry) => {
      const fromSmartcard = pcscErrorToSdk(new Error(entry.smartcardMessage), {
        operation: 'transmit',
        reader: 'R 00',
      });
      const fromPcsclite = pcscErrorToSdk(pcscliteError('SCardTransmit', 'some text.', entry.code), {
        operation: 'transmit',
        reader: 'R 00',
      });
      const fromSocket = pcscErrorToSdk(new PcscdReturnError('SCardTransmit', entry.code), {
        operation: 'transmit',
        reader: 'R 00',
      });
      for (const typed of [fromSmartcard, fromPcsclite, fromSocket]) {
        expect(typed).toBeInstanceOf(CLASS_OF[entry.kind]);
        expect(typed.message).toContain(entry.name);
        expect(typed.message).toContain("'R 00'");
        expect(typed.cause).toBeInstanceOf(Error);
      }
      expect(identifyPcscError(new Error(entry.smartcardMessage)).code).toBe(entry.code);
    },
  );

  it('maps what a removed, reset or absent card and a stopped pcscd really produce', () => {
    const op = { operation: 'transmit', reader: 'Virtual PCD 00 00' };
    expect(pcscErrorToSdk(new Error('Card was removed'), op)).toBeInstanceOf(CardRemovedError);
    expect(pcscErrorToSdk(new Error('Transaction failed'), op)).toBeInstanceOf(CardRemovedError);
    expect(pcscErrorToSdk(pcscliteError('SCardTransmit', 'Card was removed.', 0x80100069), op)).toBeInstanceOf(
      CardRemovedError,
    );
    expect(pcscErrorToSdk(pcscliteError('SCardTransmit', 'Transaction failed.', 0x80100016), op)).toBeInstanceOf(
      CardRemovedError,
    );
    expect(pcscErrorToSdk(new Error('Card was reset'), op)).toBeInstanceOf(CardResetError);
    const noCard = pcscErrorToSdk(new Error('No smart card present'), {
      operation: 'connect',
      reader: 'Virtual PCD 00 01',
    });
    expect(noCard).toBeInstanceOf(NoCardError);
    expect((noCard as NoCardError).reader).toBe('Virtual PCD 00 01');
    const service = pcscErrorToSdk(new Error('PC/SC service not running'), { operation: 'establish a PC/SC context' });
    expect(service).toBeInstanceOf(PcscServiceError);
    expect(service.message).toMatch(/pcscd is not running/);
    const serviceLite = pcscErrorToSdk(pcscliteError('SCardEstablishContext', 'Service not available.', 0x8010001d), {
      operation: 'connect',
    });
    expect(serviceLite).toBeInstanceOf(PcscServiceError);
    expect((serviceLite as PcscServiceError).pcscCode).toBe(0x8010001d);
  });

  it('sharing violation, protocol mismatch and a small buffer are TransportErrors naming the code', () => {
    for (const [message, name] of [
      ['Sharing violation', 'SCARD_E_SHARING_VIOLATION'],
      ['Protocol mismatch', 'SCARD_E_PROTO_MISMATCH'],
      ['Insufficient buffer', 'SCARD_E_INSUFFICIENT_BUFFER'],
    ] as const) {
      const typed = pcscErrorToSdk(new Error(message), { operation: 'connect' });
      expect(typed).toBeInstanceOf(TransportError);
      expect(typed.code).toBe('TRANSPORT');
      expect((typed as PcscTransportError).pcscName).toBe(name);
    }
  });

  it('an unknown failure is a TransportError that keeps the original error', () => {
    const original = new Error('Unknown PC/SC error');
    const typed = pcscErrorToSdk(original, { operation: 'transmit' });
    expect(typed).toBeInstanceOf(PcscTransportError);
    expect((typed as PcscTransportError).pcscName).toBe('unknown');
    expect(typed.cause).toBe(original);
    const coded = pcscErrorToSdk(pcscliteError('SCardTransmit', 'Something new.', 0x80100099), {
      operation: 'transmit',
    });
    expect((coded as PcscTransportError).pcscCode).toBe(0x80100099);
    expect(coded.message).toContain('0x80100099');
    expect(pcscErrorToSdk('not even an Error', { operation: 'transmit' })).toBeInstanceOf(TransportError);
  });

  it('an SDK error passes through unchanged', () => {
    const removed = new CardRemovedError('already typed');
    expect(pcscErrorToSdk(removed, { operation: 'transmit' })).toBe(removed);
  });

  it("lists the smartcard binding's own texts verbatim (checked against the installed binding's source)", async () => {
    const header = path.join(REPO_ROOT, 'node_modules', 'smartcard', 'src', 'pcsc_errors.h');
    if (!fs.existsSync(header)) {
      // Without the optional binding there is nothing to compare; the SDK must then say so.
      await expect(loadSmartcard()).rejects.toMatchObject({ code: 'PCSC_BINDING_MISSING' });
      return;
    }
    const source = fs.readFileSync(header, 'utf8');
    const texts = new Map<string, string>();
    for (const m of source.matchAll(/ucode == (SCARD_\w+)\) return "([^"]+)"/g))
      texts.set(m[1] as string, m[2] as string);
    for (const entry of PCSC_ERROR_TABLE)
      expect([entry.name, texts.get(entry.name)]).toEqual([entry.name, entry.smartcardMessage]);
  });
});
