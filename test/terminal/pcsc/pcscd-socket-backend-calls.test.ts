import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { toHex } from '../../../src/apdu/index.js';
import {
  pcscdSocketBackend,
  type PcscCardHandle,
  type PcscConnectRequest,
  type PcscContext,
  type PcscReaderChange,
} from '../../../src/terminal/index.js';
import { MAX_COMMAND_BYTES, PCSCD_COMMAND, PcscdReturnError } from '../../../src/terminal/pcsc/pcscd-protocol.js';
import { rejection, thrown } from '../../support/throws.js';
import { until } from '../../support/until.js';
import { FAKE_READER, FakePcscd, transmitRequests, word } from './fake-pcscd.js';

/*
 * The pcscd socket backend call by call, against the pcscd stand-in: the fields each request
 * carries, what the backend makes of each answer and refusal, the request buffer it reuses, the
 * card's status and the reader watch from pcscd's reader states, and what it leaves behind when
 * a call fails half-way. The transport contract suite runs the same backend against the real pcscd.
 */

const SHARED: PcscConnectRequest = { share: 'shared', protocols: ['T=0', 'T=1'] };
const REMOVED = 0x80100069;
const OTHER_READER = 'Fake Reader 1';
/** transmit_struct fields as pcscd reads them: protocol of the send PCI, command length, answer room. */
const SEND_PROTOCOL = 4;
const SEND_LENGTH = 12;
const RECV_ROOM = 24;

function presentIn(context: PcscContext, reader: string): boolean | undefined {
  return context.listReaders().readers.find((r) => r.name === reader)?.cardPresent;
}

/** 'removed', 'present 3B00': a change as the tests compare it, every field of it said. */
function described(change: PcscReaderChange): string {
  if (change.type === 'card-removed' && Object.keys(change).length === 1) return 'removed';
  if (change.type === 'card-present' && change.atr !== undefined) return `present ${toHex(change.atr)}`;
  return `unexpected ${JSON.stringify(change)}`;
}

describe('pcscd socket backend, call by call', () => {
  const pcscd = new FakePcscd();
  const contexts: PcscContext[] = [];
  const establish = async (): Promise<PcscContext> => {
    const context = await pcscdSocketBackend.establish();
    contexts.push(context);
    return context;
  };
  const connect = async (request = SHARED, reader = FAKE_READER): Promise<PcscCardHandle> =>
    (await establish()).connect(reader, request);
  const watched = (context: PcscContext, reader = FAKE_READER): string[] => {
    const seen: string[] = [];
    context.watch(reader, (change) => seen.push(described(change)));
    return seen;
  };

  beforeAll(async () => {
    await pcscd.start();
    process.env.PCSCLITE_CSOCK_NAME = pcscd.path;
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const context of contexts.splice(0)) context.release(false);
    // Each test's requests start from an empty log: the last ones read, the connections gone.
    await until('the connections closed', () => pcscd.connections === 0);
    pcscd.reset();
  });
  afterAll(() => {
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd.stop();
  });

  describe('the fields each request carries', () => {
    it.each([
      { share: 'shared', protocols: ['T=0', 'T=1'], shareCode: 2, protocolCode: 3 },
      { share: 'exclusive', protocols: ['T=1'], shareCode: 1, protocolCode: 2 },
      { share: 'shared', protocols: ['T=0'], shareCode: 2, protocolCode: 1 },
    ] as const)(
      'connect and reconnect ask for $share use of $protocols ($shareCode, $protocolCode)',
      async ({ share, protocols, shareCode, protocolCode }) => {
        const card = await connect({ share, protocols });
        await card.reconnect('leave');
        const [connected] = pcscd.sent(PCSCD_COMMAND.connect);
        const [reconnected] = pcscd.sent(PCSCD_COMMAND.reconnect);
        expect(connected?.subarray(4, 4 + FAKE_READER.length).toString()).toBe(FAKE_READER);
        expect([word(connected!, 132), word(connected!, 136)]).toEqual([shareCode, protocolCode]);
        expect([word(reconnected!, 0), word(reconnected!, 4), word(reconnected!, 8)]).toEqual([
          42,
          shareCode,
          protocolCode,
        ]);
      },
    );

    it.each([
      ['leave', 0],
      ['reset', 1],
      ['unpower', 2],
    ] as const)('%s is disposition %i, in a reconnect and in a disconnect', async (disposition, code) => {
      const card = await connect();
      await card.reconnect(disposition);
      await card.disconnect(disposition);
      expect(word(pcscd.sent(PCSCD_COMMAND.reconnect)[0]!, 12)).toBe(code);
      const [disconnected] = pcscd.sent(PCSCD_COMMAND.disconnect);
      expect([word(disconnected!, 0), word(disconnected!, 4)]).toEqual([42, code]);
    });
  });

  describe('reconnect', () => {
    it.each([
      [1, 'T=0'],
      [2, 'T=1'],
    ] as const)(
      'takes the protocol pcscd answers (%i: %s) and the card now in the reader, and transmits with it',
      async (protocol, name) => {
        const card = await connect();
        await card.transmit(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x04), 258);
        pcscd.swapCard('3B8F8001');
        pcscd.reconnectReply = { protocol, rv: 0 };
        await card.reconnect('reset');
        expect(card.protocol).toBe(name);
        expect(toHex(card.atr())).toBe('3B8F8001');
        expect(card.status()).toEqual({ atr: card.atr(), protocol: name });
        await card.transmit(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x04), 258);
        expect(pcscd.sent(PCSCD_COMMAND.transmit).map((t) => word(t, SEND_PROTOCOL))).toEqual([2, protocol]);
      },
    );
  });

  describe("pcscd's refusals and silences, named by the call", () => {
    it.each([
      ['SCardEstablishContext', () => (pcscd.establishRv = REMOVED), () => establish()],
      ['SCardConnect', () => (pcscd.connectReply = { protocol: 2, rv: REMOVED }), () => connect()],
      [
        'SCardReconnect',
        () => (pcscd.reconnectReply = { protocol: 2, rv: REMOVED }),
        async () => (await connect()).reconnect('leave'),
      ],
      ['SCardDisconnect', () => (pcscd.disconnectRv = REMOVED), async () => (await connect()).disconnect('leave')],
    ])('%s: the return code pcscd gave', async (operation, refuse, call) => {
      refuse();
      const error = await rejection(call());
      expect(error).toBeInstanceOf(PcscdReturnError);
      expect(error).toMatchObject({ pcscCode: REMOVED, message: `${operation} returned 0x80100069` });
    });

    it.each([
      [PCSCD_COMMAND.establishContext, 'SCardEstablishContext', () => establish()],
      [PCSCD_COMMAND.connect, 'SCardConnect', () => connect()],
      [PCSCD_COMMAND.getReadersState, 'CMD_GET_READERS_STATE', () => connect()],
      [PCSCD_COMMAND.reconnect, 'SCardReconnect', async () => (await connect()).reconnect('leave')],
      [PCSCD_COMMAND.disconnect, 'SCardDisconnect', async () => (await connect()).disconnect('leave')],
    ])('command %i left unanswered: %s fails when its 10 s are up', async (command, operation, call) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      pcscd.silentOn.add(command);
      let settled = false;
      const error = rejection(call()).finally(() => (settled = true));
      await until('pcscd reading the request', () => pcscd.sent(command).length > 0);
      vi.advanceTimersByTime(9_999);
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      vi.advanceTimersByTime(1);
      expect(await error).toMatchObject({
        pcscName: 'timeout',
        message: `${operation}: no answer from pcscd within 10000 ms`,
      });
    });

    it('a refused context closes both connections, and so does pcscd hanging up on the reader watch', async () => {
      pcscd.establishRv = REMOVED;
      await rejection(establish());
      await until('both connections closed', () => pcscd.connections === 0);
      pcscd.establishRv = 0;
      pcscd.hangUpOn.add(PCSCD_COMMAND.waitReaderStateChange);
      expect(await rejection(establish())).toBeInstanceOf(PcscdReturnError);
      await until('both connections closed', () => pcscd.connections === 0);
      expect(pcscd.sent(PCSCD_COMMAND.establishContext)).toHaveLength(2);
    });
  });

  describe('a connect that fails after pcscd connected the card', () => {
    it('to a reader no longer in the table: the card is let go, and the reader named', async () => {
      const error = await rejection(connect(SHARED, 'Gone Reader'));
      expect(error).toMatchObject({
        pcscCode: 0x80100009,
        message: "SCardConnect returned 0x80100009: reader 'Gone Reader' is gone",
      });
      const [disconnected] = pcscd.sent(PCSCD_COMMAND.disconnect);
      expect([word(disconnected!, 0), word(disconnected!, 4)]).toEqual([42, 0]);
    });

    it('to a card on neither T=0 nor T=1: unsupported-protocol, the card let go', async () => {
      pcscd.connectReply = { protocol: 4, rv: 0 };
      const error = await rejection(connect());
      expect(error).toMatchObject({
        pcscName: 'unsupported-protocol',
        message: `the card in '${FAKE_READER}' runs protocol 4, neither T=0 nor T=1`,
      });
      expect(pcscd.sent(PCSCD_COMMAND.disconnect).map((d) => word(d, 4))).toEqual([0]);
    });
  });

  describe('transmit requests', () => {
    it('one request buffer serves commands up to 255 data bytes and Le; a longer one gets its own, reused after', async () => {
      const card = await connect();
      const command = (length: number) => new Uint8Array(length).fill(0x11);
      const sent = await transmitRequests(async () => {
        for (const length of [5, 261, 262, 5]) await card.transmit(command(length), 258);
      });
      expect(sent.map((r) => r.length)).toEqual([45, 301, 302, 45]);
      expect(sent[1]?.buffer).toBe(sent[0]?.buffer);
      expect(sent[2]?.buffer).not.toBe(sent[0]?.buffer);
      expect(sent[3]?.buffer).toBe(sent[2]?.buffer);
      expect(pcscd.sent(PCSCD_COMMAND.transmit).map((t) => word(t, SEND_LENGTH))).toEqual([5, 261, 262, 5]);
    });

    it('each request asks for the answer room its caller gave', async () => {
      const card = await connect();
      for (const room of [258, 65538, 258]) await card.transmit(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x00), room);
      expect(pcscd.sent(PCSCD_COMMAND.transmit).map((t) => word(t, RECV_ROOM))).toEqual([258, 65538, 258]);
    });

    it('a request pcscd has not answered yet is never rewritten: the next one gets a buffer of its own', async () => {
      // The first is answered when the second has come; from then on each as it comes.
      let first: (() => void) | undefined;
      let count = 0;
      pcscd.transmit = (command, socket) => {
        if (++count === 1) {
          first = () => pcscd.answer9000(command, socket);
          return;
        }
        first?.();
        first = undefined;
        pcscd.answer9000(command, socket);
      };
      const card = await connect();
      const read = (n: number) => card.transmit(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, n), 258);
      const sent = await transmitRequests(async () => {
        await Promise.all([read(1), read(2)]);
        await read(3);
      });
      expect(sent[1]?.buffer).not.toBe(sent[0]?.buffer);
      expect(sent[2]?.buffer).toBe(sent[0]?.buffer);
      expect(toHex(sent[1]?.subarray(40) ?? new Uint8Array(0))).toBe('00B0000002');
    });

    it('a command over the protocol limit is refused here, not sent (pcscd would drop the connection)', async () => {
      const card = await connect();
      const error = await rejection(card.transmit(new Uint8Array(MAX_COMMAND_BYTES + 1), 258));
      expect(error).toMatchObject({
        pcscCode: 0x80100008,
        message: 'SCardTransmit returned 0x80100008: command too long',
      });
      expect(pcscd.sent(PCSCD_COMMAND.transmit)).toHaveLength(0);
      expect(toHex(await card.transmit(new Uint8Array(MAX_COMMAND_BYTES), 258))).toBe('9000');
      expect(word(pcscd.sent(PCSCD_COMMAND.transmit)[0]!, SEND_LENGTH)).toBe(MAX_COMMAND_BYTES);
    });
  });

  describe("the card's status, from pcscd's reader states", () => {
    it.each([
      ['taken out', () => pcscd.setCard(false)],
      ['swapped for another between two signals', () => pcscd.swapCard('3B01')],
      ['gone with its reader', () => pcscd.detachReader(FAKE_READER)],
    ])('a card %s is removed', async (_what, change) => {
      const context = await establish();
      const card = await context.connect(FAKE_READER, SHARED);
      expect(card.status()).toEqual({ atr: Uint8Array.of(0x3b, 0x00), protocol: 'T=1' });
      const seen = watched(context);
      change();
      await until('the removal', () => seen.includes('removed'));
      const error = thrown(() => card.status());
      expect(error).toBeInstanceOf(PcscdReturnError);
      expect(error).toMatchObject({ pcscCode: REMOVED, message: 'SCardStatus returned 0x80100069' });
    });

    it("another reader's card coming and going leaves a card alone", async () => {
      pcscd.attachReader(OTHER_READER);
      pcscd.setCard(true, OTHER_READER);
      const context = await establish();
      const card = await context.connect(OTHER_READER, SHARED);
      pcscd.setCard(false);
      await until('the card out, as the context sees it', () => presentIn(context, FAKE_READER) === false);
      expect(card.status().protocol).toBe('T=1');
    });
  });

  describe('the reader list and the watch', () => {
    it('lists every reader with whether a card is in it', async () => {
      pcscd.attachReader(OTHER_READER);
      const context = await establish();
      expect(context.listReaders()).toEqual({
        readers: [
          { name: FAKE_READER, cardPresent: true },
          { name: OTHER_READER, cardPresent: false },
        ],
        complete: true,
      });
    });

    it('a card out, then in; pulled and put back between two signals; another reader changing is not news', async () => {
      pcscd.attachReader(OTHER_READER);
      const context = await establish();
      const seen = watched(context);
      pcscd.setCard(false);
      await until('the first event', () => seen.length === 1);
      pcscd.setCard(true);
      await until('the second event', () => seen.length === 2);
      pcscd.setCard(true, OTHER_READER);
      await until("the other reader's card in", () => presentIn(context, OTHER_READER) === true);
      pcscd.swapCard('3B02');
      await until('the fourth event', () => seen.length === 4);
      expect(seen).toEqual(['removed', 'present 3B00', 'removed', 'present 3B02']);
    });

    it('a reader whose card has already left is reported removed at once, and only once', async () => {
      const context = await establish();
      pcscd.setCard(false);
      await until('the card out, as the context sees it', () => presentIn(context, FAKE_READER) === false);
      const seen = watched(context);
      const missing = watched(context, 'No Such Reader');
      expect([seen, missing]).toEqual([['removed'], ['removed']]);
      pcscd.attachReader(OTHER_READER);
      await until('the other reader, empty', () => presentIn(context, OTHER_READER) === false);
      expect([seen, missing]).toEqual([['removed'], ['removed']]);
    });

    it('a watch stopped hears nothing more', async () => {
      const context = await establish();
      const seen: string[] = [];
      const stop = context.watch(FAKE_READER, (change) => seen.push(described(change)));
      stop();
      pcscd.setCard(false);
      await until('the card out, as the context sees it', () => presentIn(context, FAKE_READER) === false);
      expect(seen).toEqual([]);
    });

    it('release: pcscd is told, both connections close, and the watch hears nothing more', async () => {
      const context = await establish();
      const seen = watched(context);
      context.release(false);
      await until('both connections closed', () => pcscd.connections === 0);
      expect(pcscd.sent(PCSCD_COMMAND.releaseContext).map((r) => word(r, 0))).toEqual([7]);
      pcscd.setCard(false);
      expect(seen).toEqual([]);
    });

    it('pcscd gone: every card removed, the list fails, a disconnect has nothing left to say', async () => {
      const context = await establish();
      const card = await context.connect(FAKE_READER, SHARED);
      const seen = watched(context);
      pcscd.die();
      await until('the first event', () => seen.length === 1);
      expect(seen).toEqual(['removed']);
      expect(thrown(() => context.listReaders())).toMatchObject({
        pcscCode: 0x8010001d,
        message: expect.stringContaining('pcscd closed the connection'),
      });
      await card.disconnect('reset');
      expect(pcscd.sent(PCSCD_COMMAND.disconnect)).toHaveLength(0);
    });
  });

  describe('the process stays up while a call is under way, not for the reader watch', () => {
    const CHILD = join(import.meta.dirname, 'fixtures', 'pcscd-socket-child.ts');
    const run = (mode: string): Promise<{ status: number | null; stdout: string }> =>
      new Promise((resolve, reject) => {
        // Asynchronous: this process is the child's pcscd.
        const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], {
          env: { ...process.env, PCSCLITE_CSOCK_NAME: pcscd.path },
          stdio: ['ignore', 'pipe', 'inherit'],
          timeout: 20_000,
        });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout }));
      });

    it('a transmit pcscd answers late is waited for', async () => {
      pcscd.transmit = (command, socket) => setTimeout(() => pcscd.answer9000(command, socket), 500);
      expect(await run('transmit')).toEqual({ status: 0, stdout: 'answered 9000\n' });
    }, 30_000);

    it('a context left open does not keep the process alive', async () => {
      expect(await run('leave-open')).toEqual({ status: 0, stdout: 'connected\n' });
    }, 30_000);
  });
});
