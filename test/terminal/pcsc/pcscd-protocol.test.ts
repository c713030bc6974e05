import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/apdu/index.js';
import {
  IO_REQUEST_BYTES,
  MAX_READERS,
  PCSCD_COMMAND,
  READER_STATE_BYTES,
  READER_STATES_BYTES,
  PcscdReturnError,
  TRANSMIT_HEAD_BYTES,
  decodeConnect,
  decodeEstablish,
  decodeReaderStates,
  decodeReconnect,
  decodeTransmit,
  decodeVersion,
  encodeBare,
  encodeConnect,
  encodeDisconnect,
  encodeEstablish,
  encodeReconnect,
  encodeRelease,
  encodeStatus,
  encodeVersion,
  lastWordRv,
  pcscdSocketPath,
  writeTransmitHead,
  writeTransmitLength,
} from '../../../src/terminal/pcsc/pcscd-protocol.js';

/* pcsc-lite's socket messages, byte for byte (32-bit fields in host byte order). */

/** 32-bit words in host byte order, as hex. */
function words(...values: number[]): string {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) =>
    endianness() === 'LE' ? out.writeUInt32LE(v >>> 0, i * 4) : out.writeUInt32BE(v >>> 0, i * 4),
  );
  return toHex(out);
}

function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

describe('pcscd message encoding', () => {
  it('CMD_VERSION: header (12 bytes of body, command 0x11), major, minor, rv; the reply read back', () => {
    expect(toHex(encodeVersion(4, 4))).toBe(words(12, 0x11, 4, 4, 0));
    expect(decodeVersion(bytesOf(words(4, 5, 0x8010001e)))).toEqual({ major: 4, minor: 5, rv: 0x8010001e });
  });

  it('establish, release, status, disconnect, bare commands', () => {
    expect(toHex(encodeEstablish(2))).toBe(words(12, 0x01, 2, 0, 0));
    expect(decodeEstablish(bytesOf(words(2, 0x1234abcd, 0)))).toEqual({ context: 0x1234abcd, rv: 0 });
    expect(toHex(encodeRelease(0x1234abcd))).toBe(words(8, 0x02, 0x1234abcd, 0));
    expect(toHex(encodeStatus(77))).toBe(words(8, 0x0b, 77, 0));
    expect(toHex(encodeDisconnect(77, 1))).toBe(words(12, 0x06, 77, 1, 0));
    expect(toHex(encodeBare(PCSCD_COMMAND.getReadersState))).toBe(words(0, 0x12));
    expect(toHex(encodeBare(PCSCD_COMMAND.waitReaderStateChange))).toBe(words(0, 0x13));
    expect(lastWordRv(bytesOf(words(77, 1, 0x80100069)))).toBe(0x80100069);
  });

  it('SCardConnect: context, the reader name NUL-padded to 128 bytes, share mode, protocols; the reply read back', () => {
    const out = encodeConnect(9, 'Virtual PCD 00 00', 2, 3);
    expect(out.length).toBe(8 + 4 + 128 + 20);
    expect(toHex(out.subarray(0, 12))).toBe(words(152, 0x04, 9));
    expect(Buffer.from(out.subarray(12, 12 + 17)).toString('latin1')).toBe('Virtual PCD 00 00');
    expect(out.subarray(12 + 17, 12 + 128).every((b) => b === 0)).toBe(true);
    expect(toHex(out.subarray(140))).toBe(words(2, 3, 0, 0, 0));
    const reply = new Uint8Array(152);
    reply.set(bytesOf(words(-5 >>> 0, 2, 0)), 4 + 128 + 8);
    expect(decodeConnect(reply)).toEqual({ card: -5, protocol: 2, rv: 0 });
  });

  it('a reader name that does not fit is SCARD_E_UNKNOWN_READER, before anything is sent', () => {
    const error = (() => {
      try {
        encodeConnect(9, 'x'.repeat(128), 2, 3);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PcscdReturnError);
    expect((error as PcscdReturnError).pcscCode).toBe(0x80100009);
  });

  it('SCardReconnect: card, share, protocols, initialization; the new protocol and rv read back', () => {
    expect(toHex(encodeReconnect(77, 2, 3, 1))).toBe(words(24, 0x05, 77, 2, 3, 1, 0, 0));
    expect(decodeReconnect(bytesOf(words(77, 2, 3, 1, 2, 0x80100068)))).toEqual({ protocol: 2, rv: 0x80100068 });
  });

  it('SCardTransmit: the head written once, the command length per exchange; the reply struct read at an offset', () => {
    const out = Buffer.alloc(TRANSMIT_HEAD_BYTES + 7);
    writeTransmitHead(out, 77, 2, 65538);
    writeTransmitLength(out, 7);
    expect(toHex(out.subarray(0, TRANSMIT_HEAD_BYTES))).toBe(
      words(32, 0x09, 77, 2, IO_REQUEST_BYTES, 7, 2, IO_REQUEST_BYTES, 65538, 0),
    );
    const reply = bytesOf(`AABB${words(77, 2, 16, 7, 2, 16, 4, 0)}`);
    expect(decodeTransmit(reply, 2)).toEqual({ recvLength: 4, rv: 0 });
  });

  it('reader states: 16 records of 184 bytes; empty slots skipped, the name read up to its NUL, the ATR to its length', () => {
    const states = new Uint8Array(READER_STATES_BYTES);
    const put = (
      slot: number,
      name: string,
      counter: number,
      state: number,
      atr: string,
      atrLength: number,
      protocol: number,
      sharing = 0,
    ): void => {
      const at = slot * READER_STATE_BYTES;
      states.set(Buffer.from(name, 'utf8'), at);
      states.set(bytesOf(words(counter, state, sharing)), at + 128);
      states.set(bytesOf(atr), at + 140);
      states.set(bytesOf(words(atrLength, protocol)), at + 176);
    };
    put(0, 'Virtual PCD 00 00', 3, 0x34, '3B80800101', 5, 2, -1);
    // A slot used before by a longer name: the bytes after the NUL are left over.
    put(1, 'Virtual PCD 00 01\u0000stale name', 1, 0x02, '', 0, 0);
    // An ATR length past 33 is cut to the field.
    put(MAX_READERS - 1, '读卡器', 9, 0x04, '3B'.repeat(33), 200, 1);
    const readers = decodeReaderStates(states);
    expect(readers.map((r) => r.name)).toEqual(['Virtual PCD 00 00', 'Virtual PCD 00 01', '读卡器']);
    expect(readers[0]).toEqual({
      name: 'Virtual PCD 00 00',
      eventCounter: 3,
      state: 0x34,
      // PCSCLITE_SHARING_EXCLUSIVE_CONTEXT, read signed.
      sharing: -1,
      atr: bytesOf('3B80800101'),
      protocol: 2,
    });
    expect(readers[1]?.atr).toEqual(new Uint8Array(0));
    expect(readers[1]?.sharing).toBe(0);
    expect(readers[2]?.atr.length).toBe(33);
  });

  it('the socket is PCSCLITE_CSOCK_NAME when set, else /run/pcscd/pcscd.comm', () => {
    expect(pcscdSocketPath({ PCSCLITE_CSOCK_NAME: '/tmp/x.comm' })).toBe('/tmp/x.comm');
    expect(pcscdSocketPath({ PCSCLITE_CSOCK_NAME: '' })).toBe('/run/pcscd/pcscd.comm');
    expect(pcscdSocketPath({})).toBe('/run/pcscd/pcscd.comm');
  });
});
