import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/apdu/index.js';
import { buildSscCard, loadCardImage, readCardImage, samplePerson, saveCardImage } from '../../src/card-sim/index.js';
import { CARD_HOST, acquireReaderSlot, openscReaderIndex, pcscLab, runOpensc, runPyscard } from '../pcsc/lab.js';
import {
  removeTempDirs,
  spawnCli,
  stopChild,
  tempDir,
  useReaderSlot,
  waitReader,
  type CliChild,
} from '../terminal/pcsc/rig.js';
import { cli } from './run-cli.js';

/*
 * `sscard sim serve` as a child process behind the real pcscd, driven by PC/SC software we did not
 * write (pyscard, opensc-tool); its signal handling, image saving and reconnecting.
 */

const SSSE_NAME = '7378312E73682EC9E7BBE1B1A3D5CF';
const SELECT_SSSE = `00A404000F${SSSE_NAME}00`;
const READ_CARD_NUMBER = '00B2072C00';
const VERIFY_WRONG = '0020000003111111';
const VERIFY_INITIAL = '0020000003123456';

function image(person: string, transmission: 'T=0' | 'T=1' = 'T=1'): string {
  const file = path.join(tempDir('sim-serve'), 'card.json');
  saveCardImage(file, buildSscCard(samplePerson(person), { transmission }));
  return file;
}

function applicationPin(file: string): { triesLeft: number; blocked: boolean } {
  const card = loadCardImage(file);
  const ssse = card.tree.findByDfName(fromHex(SSSE_NAME));
  const status = ssse?.pins[0]?.pin.status();
  if (status === undefined) throw new Error(`${file} has no SSSE PIN`);
  return status;
}

afterAll(() => {
  removeTempDirs();
});

const cardNumberRecord = (number: string): string => `0709${toHex(new TextEncoder().encode(number))}9000`;

describe('sscard sim serve: argument and image errors', () => {
  it('a missing image is named, nothing is served', async () => {
    const file = path.join(tempDir('sim-serve'), 'none.json');
    const r = await cli('sim', 'serve', '--card', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`sscard: card image ${file}: file not found [CARD_IMAGE_NOT_FOUND]\n`);
  });

  it('--slot and --vpcd naming different readers, or a bad slot, are refused', async () => {
    const file = image('zhang-wei');
    const clash = await cli('sim', 'serve', '--card', file, '--slot', '0', '--vpcd', '127.0.0.2:35964');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('name different readers');
    const bad = await cli('sim', 'serve', '--card', file, '--slot', '7');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('must be a vpcd slot');
  });
});

describe('sscard sim serve without pcscd at the address', () => {
  it('reports each failed attempt on stderr and gives up after --connect-timeout with exit 1', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, CARD_HOST, resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const served = spawnCli([
      'sim',
      'serve',
      '--card',
      image('zhang-wei'),
      '--vpcd',
      `${CARD_HOST}:${port}`,
      '--connect-timeout',
      '1',
    ]);
    const code = await Promise.race([
      served.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    if (code === 'still running') await stopChild(served, 'SIGKILL');
    expect(code).toBe(1);
    expect(served.stderr()).toMatch(
      /sscard sim: vpcd: connect attempt 1 failed \(.*ECONNREFUSED.*\); retrying in \d+ ms\n/,
    );
    expect(served.stderr()).toMatch(
      new RegExp(
        `sscard: cannot put the card into the vpcd reader at ${CARD_HOST.replace(/\./g, '\\.')}:${port}: .*\\[SIM_SERVE\\]`,
      ),
    );
  });

  it('a lost connection is retried with backoff and reported, not a crash; SIGTERM then exits 0', async () => {
    // A stand-in for pcscd's vpcd listener that drops the first connection after the card's ATR.
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.write(Uint8Array.of(0x00, 0x01, 0x04)); // frame: ATR request
      socket.once('data', () => {
        if (sockets.length === 1) setTimeout(() => socket.destroy(), 100);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, CARD_HOST, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const served = spawnCli(['sim', 'serve', '--card', image('zhang-wei'), '--vpcd', `${CARD_HOST}:${port}`]);
    try {
      await served.waitFor(/card inserted[\s\S]*card out of the reader[\s\S]*card inserted/, 15_000);
      expect(served.stderr()).toMatch(
        /sscard sim: vpcd: disconnected \(connection closed by pcscd\); retrying in \d+ ms\n/,
      );
      expect(served.stderr()).toContain(`sscard sim: vpcd: connected to ${CARD_HOST}:${port}\n`);
      expect(sockets.length).toBe(2);
      expect(await stopChild(served, 'SIGTERM')).toBe(0);
      expect(served.stdout()).toContain('card removed (SIGTERM)');
    } finally {
      await stopChild(served, 'SIGKILL');
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

const lab = pcscLab('sscard sim serve PC/SC suite');

describe.runIf(lab.run)('sscard sim serve behind the real pcscd', () => {
  const children: CliChild[] = [];
  const slot = useReaderSlot(lab, async () => {
    for (const c of children.splice(0)) await stopChild(c, 'SIGKILL');
  });

  function serve(args: string[]): CliChild {
    const c = spawnCli(['sim', 'serve', ...args]);
    children.push(c);
    return c;
  }

  it('pyscard: SELECT SSSE 9000 with FCI, EF05 record, 63C2 63C1 63C0 then 6983 for the right PIN; SIGTERM saves and exits 0', async () => {
    const file = image('zhang-wei');
    const served = serve(['--card', file, '--vpcd', `${CARD_HOST}:${slot.port}`]);
    await served.waitFor(/card inserted/);
    expect(served.stdout()).toContain(`on vpcd ${CARD_HOST}:${slot.port} (reader '${slot.reader}')`);
    const r = await runPyscard({
      reader: slot.reader,
      apdus: [SELECT_SSSE, READ_CARD_NUMBER, VERIFY_WRONG, VERIFY_WRONG, VERIFY_WRONG, VERIFY_INITIAL],
    });
    expect(r.error).toBeUndefined();
    expect(r.protocol).toBe('T=1');
    const [fci, record, ...verifies] = r.responses ?? [];
    expect(fci).toMatch(new RegExp(`^6F..840F${SSSE_NAME}A5069F0C03860101.*9000$`));
    expect(record).toBe(cardNumberRecord('A10500031'));
    expect(verifies).toEqual(['63C2', '63C1', '63C0', '6983']);
    // Every try was saved as it was spent.
    expect(applicationPin(file)).toMatchObject({ triesLeft: 0, blocked: true });
    const saved = readCardImage(file).saved;
    expect(await stopChild(served, 'SIGTERM')).toBe(0);
    expect(served.stdout()).toContain(`card removed (SIGTERM); image saved to ${file}`);
    expect(readCardImage(file).saved >= saved).toBe(true);
    await waitReader(slot.reader, false, 2000);
  });

  it('opensc-tool against the card served as T=0 (--t0); SIGINT exits 0 and the image stays T=1', async () => {
    const file = image('li-xiuying');
    const served = serve(['--card', file, '--slot', String(slot.slot), '--t0']);
    await served.waitFor(/card inserted/);
    const index = String(openscReaderIndex(slot.reader));
    const atr = await runOpensc(['-r', index, '-a']);
    expect(atr.status).toBe(0);
    // The T=0 ATR: no TD1, so no TCK.
    expect(atr.stdout.trim().split('\n').pop()).toMatch(/^3b:1f:13:80:31:c0:62:53:43:58/);
    const r = await runOpensc([
      '-r',
      index,
      '-s',
      SELECT_SSSE,
      '-s',
      READ_CARD_NUMBER,
      '-s',
      VERIFY_WRONG,
      '-s',
      VERIFY_WRONG,
    ]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // opensc fetched the 61xx answer with GET RESPONSE itself and shows the FCI with 9000.
    expect(r.stdout).toMatch(/Received \(SW1=0x90, SW2=0x00\):\s*\n6F 19 84 0F 73 78 31 2E/);
    expect(r.stdout).toMatch(
      /Sending: 00 B2 07 2C 00 \nReceived \(SW1=0x90, SW2=0x00\):\s*\n07 09 53 33 31 30 34 30 30 32 34/,
    );
    // li-xiuying's PIN has 6 tries.
    expect(r.stdout).toContain('Received (SW1=0x63, SW2=0xC5)');
    expect(r.stdout).toContain('Received (SW1=0x63, SW2=0xC4)');
    const raw = await runPyscard({ reader: slot.reader, apdus: [SELECT_SSSE] });
    expect(raw.protocol).toBe('T=0');
    expect(raw.responses?.[0]).toMatch(/^61[0-9A-F]{2}$/);
    expect(await stopChild(served, 'SIGINT')).toBe(0);
    expect(served.stdout()).toContain('card removed (SIGINT)');
    expect(readCardImage(file).transmission).toBe('T=1');
    expect(applicationPin(file)).toMatchObject({ triesLeft: 4, blocked: false });
  });

  it('two cards in the two slots at once (--slot and --vpcd), each answering for itself', async () => {
    // Other suites may hold the second slot for a while.
    const other = await acquireReaderSlot({ timeoutMs: 100_000, exclude: [slot.slot] });
    try {
      await waitReader(other.reader, false, 3000);
      const first = serve(['--card', image('zhang-wei'), '--slot', String(slot.slot)]);
      const second = serve(['--card', image('wang-yan'), '--vpcd', `${CARD_HOST}:${other.port}`]);
      await Promise.all([first.waitFor(/card inserted/), second.waitFor(/card inserted/)]);
      const [a, b] = await Promise.all([
        runPyscard({ reader: slot.reader, apdus: [SELECT_SSSE, READ_CARD_NUMBER] }),
        runPyscard({ reader: other.reader, apdus: [SELECT_SSSE, READ_CARD_NUMBER] }),
      ]);
      expect(a.responses?.[1]).toBe(cardNumberRecord('A10500031'));
      expect(b.responses?.[1]).toBe(cardNumberRecord(samplePerson('wang-yan').card.number));
      expect(a.atr).not.toBe(b.atr);
      expect(await stopChild(second, 'SIGTERM')).toBe(0);
      await waitReader(other.reader, false, 3000);
    } finally {
      other.release();
    }
  }, 150_000);
});
