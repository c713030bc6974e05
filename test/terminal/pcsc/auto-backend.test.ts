import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../src/apdu/index.js';
import { InvalidArgumentError } from '../../../src/terminal/index.js';
import {
  PcscTransport,
  choosePcscBackend,
  listReaders,
  pcscBackendInUse,
  resetPcscBackendChoice,
  resolvePcscBackend,
  watchReaders,
  type ReaderEvent,
} from '../../../src/terminal/pcsc/index.js';
import { FakePcscd } from './fake-pcscd.js';
import { until } from '../../support/until.js';

/*
 * The default PC/SC backend: pcscd's socket where pcscd answers in a protocol the SDK speaks, the
 * `smartcard` binding otherwise, SSCARD_PCSC_BACKEND over both. Against the pcscd stand-in, so
 * every case happens on cue; readers and their events over the socket too.
 */

describe('the default PC/SC backend', () => {
  const pcscd = new FakePcscd();
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PCSCLITE_CSOCK_NAME: pcscd.path, ...extra });

  beforeAll(() => pcscd.start());
  afterEach(() => {
    pcscd.version = { major: 4, minor: 4 };
    pcscd.accepts = pcscd.acceptsOwn;
    pcscd.answersVersion = true;
    delete process.env.PCSCLITE_CSOCK_NAME;
    delete process.env.SSCARD_PCSC_BACKEND;
    resetPcscBackendChoice();
  });
  afterAll(() => pcscd.stop());

  it('pcscd answering on its socket: the socket backend, saying where and which protocol', async () => {
    const choice = await choosePcscBackend({ env: env(), platform: 'linux' });
    expect(choice).toMatchObject({ name: 'pcscd-socket', how: 'auto' });
    expect(choice.reason).toContain(pcscd.path);
    expect(choice.reason).toContain('4.4');
  });

  it('a pcscd that serves only 4.5: the socket backend at 4.5', async () => {
    pcscd.version = { major: 4, minor: 5 };
    const choice = await choosePcscBackend({ env: env(), platform: 'linux' });
    expect(choice.name).toBe('pcscd-socket');
    expect(choice.reason).toContain('message protocol 4.5');
  });

  it('no socket: the binding', async () => {
    const choice = await choosePcscBackend({ env: { PCSCLITE_CSOCK_NAME: join(pcscd.dir, 'none.comm') } });
    expect(choice).toMatchObject({ name: 'smartcard', how: 'auto' });
    expect(choice.reason).toContain('no pcscd socket');
  });

  it('another OS: the binding, without looking for a socket', async () => {
    const asked = pcscd.asked.length;
    const choice = await choosePcscBackend({ env: env(), platform: 'darwin' });
    expect(choice.name).toBe('smartcard');
    expect(pcscd.asked.length).toBe(asked);
    expect(choice.reason).toContain('not Linux');
  });

  it('a message protocol the SDK does not speak: the binding, naming both versions', async () => {
    pcscd.version = { major: 4, minor: 3 };
    const choice = await choosePcscBackend({ env: env(), platform: 'linux' });
    expect(choice.name).toBe('smartcard');
    expect(choice.reason).toMatch(/4\.3.*4\.4\/4\.5/);
  });

  it('a silent pcscd: the probe gives up within its bound and takes the binding', async () => {
    pcscd.answersVersion = false;
    const started = performance.now();
    const choice = await choosePcscBackend({ env: env(), platform: 'linux', timeoutMs: 200 });
    expect(choice.name).toBe('smartcard');
    expect(choice.reason).toContain('within 200 ms');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a socket path where nothing listens (a plain file): the binding', async () => {
    const path = join(pcscd.dir, 'plain-file.comm');
    writeFileSync(path, '');
    const choice = await choosePcscBackend({ env: { PCSCLITE_CSOCK_NAME: path }, platform: 'linux' });
    expect(choice.name).toBe('smartcard');
  });

  it('SSCARD_PCSC_BACKEND forces one, with no probe; auto probes; anything else is refused', async () => {
    const asked = pcscd.asked.length;
    expect(await choosePcscBackend({ env: env({ SSCARD_PCSC_BACKEND: 'pcsclite' }) })).toMatchObject({
      name: 'pcsclite',
      how: 'env',
    });
    expect(await choosePcscBackend({ env: env({ SSCARD_PCSC_BACKEND: 'smartcard' }) })).toMatchObject({
      name: 'smartcard',
      how: 'env',
    });
    expect(pcscd.asked.length).toBe(asked);
    expect((await choosePcscBackend({ env: env({ SSCARD_PCSC_BACKEND: 'auto' }), platform: 'linux' })).name).toBe(
      'pcscd-socket',
    );
    await expect(choosePcscBackend({ env: env({ SSCARD_PCSC_BACKEND: 'pcsc' }) })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('is chosen once per process: later uses get the same answer without probing again', async () => {
    process.env.PCSCLITE_CSOCK_NAME = pcscd.path;
    const first = await pcscBackendInUse();
    const asked = pcscd.asked.length;
    pcscd.version = { major: 4, minor: 3 };
    expect(await pcscBackendInUse()).toBe(first);
    expect(pcscd.asked.length).toBe(asked);
    expect(first.name).toBe(process.platform === 'linux' ? 'pcscd-socket' : 'smartcard');
  });

  it.runIf(process.platform === 'linux')(
    'no socket yet is not kept: once pcscd comes up, the next use takes its socket',
    async () => {
      const late = new FakePcscd();
      process.env.PCSCLITE_CSOCK_NAME = late.path;
      try {
        expect((await pcscBackendInUse()).name).toBe('smartcard');
        await late.start();
        const next = await pcscBackendInUse();
        expect(next.name).toBe('pcscd-socket');
        expect(await pcscBackendInUse()).toBe(next);
      } finally {
        late.stop();
      }
    },
  );

  it('a name given by the caller wins over the environment', async () => {
    process.env.SSCARD_PCSC_BACKEND = 'smartcard';
    expect(await resolvePcscBackend('pcscd-socket')).toMatchObject({ name: 'pcscd-socket', how: 'explicit' });
    expect((await resolvePcscBackend()).name).toBe('smartcard');
    await expect(resolvePcscBackend('winscard' as 'auto')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  describe.runIf(process.platform === 'linux')('over the chosen socket backend', () => {
    it('PcscTransport.connect() runs on it and says so', async () => {
      process.env.PCSCLITE_CSOCK_NAME = pcscd.path;
      const transport = await PcscTransport.connect({ closeDisposition: 'leave' });
      try {
        expect(transport.backendName).toBe('pcscd-socket');
        expect(transport.reader).toBe('Fake Reader 0');
        expect(toHex(await transport.transmit(Uint8Array.of(0, 0xa4, 0, 0x0c, 2, 0x3f, 0)))).toBe('9000');
      } finally {
        await transport.close();
      }
    });

    it('listReaders() and watchReaders() ask pcscd: the card, then its removal and return', async () => {
      process.env.PCSCLITE_CSOCK_NAME = pcscd.path;
      expect(await listReaders()).toEqual([
        {
          name: 'Fake Reader 0',
          cardPresent: true,
          atr: Uint8Array.of(0x3b, 0),
          exclusive: false,
          inUse: false,
          mute: false,
        },
      ]);
      const events: ReaderEvent[] = [];
      const watch = await watchReaders((e) => events.push(e));
      try {
        await until('the initial events', () => events.length >= 2);
        pcscd.setCard(false);
        await until('card-removed', () => events.some((e) => e.type === 'card-removed'));
        expect(watch.readers()[0]?.cardPresent).toBe(false);
        pcscd.setCard(true);
        await until('card-inserted again', () => events.filter((e) => e.type === 'card-inserted').length === 2);
        expect(events).toEqual([
          { type: 'reader-attached', reader: 'Fake Reader 0', cardPresent: true, atr: Uint8Array.of(0x3b, 0) },
          { type: 'card-inserted', reader: 'Fake Reader 0', atr: Uint8Array.of(0x3b, 0) },
          { type: 'card-removed', reader: 'Fake Reader 0' },
          { type: 'card-inserted', reader: 'Fake Reader 0', atr: Uint8Array.of(0x3b, 0) },
        ]);
      } finally {
        watch.close();
      }
    });

    it('a watch that loses pcscd reports an error and finds it again', async () => {
      process.env.PCSCLITE_CSOCK_NAME = pcscd.path;
      const events: ReaderEvent[] = [];
      const watch = await watchReaders((e) => events.push(e), { initial: false });
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(events).toEqual([]);
        pcscd.die();
        await until('error', () => events.some((e) => e.type === 'error'));
        pcscd.setCard(false);
        await until('card-removed after the reconnect', () => events.some((e) => e.type === 'card-removed'), 4000);
      } finally {
        watch.close();
      }
    });
  });
});
