import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CardRemovedError,
  InvalidArgumentError,
  TransportError,
  PcscBindingMissingError,
  PcscliteTransport,
  SmartcardTransport,
} from '../../../src/terminal/index.js';
import { bufferView, importOptional, plainBytes } from '../../../src/terminal/pcsc/binding.js';
import { shortAnswerError } from '../../../src/terminal/pcsc/short-answer.js';
import { REPO_ROOT, runProcess } from '../../pcsc/lab.js';
import { FakePcscd } from './fake-pcscd.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const HIDE = path.join(here, 'fixtures', 'hide-bindings.mjs');

/**
 * Runs a TypeScript file or the CLI in a node process where `smartcard` and `pcsclite` cannot be
 * found; by default with the binding forced (the default would take pcscd's socket where it answers).
 */
function runWithoutBindings(
  args: string[],
  env: NodeJS.ProcessEnv = { SSCARD_PCSC_BACKEND: 'smartcard' },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runProcess(process.execPath, ['--import', 'tsx', '--import', HIDE, ...args], 30_000, {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
}

describe('bytes to and from a binding, without copies', () => {
  it('bufferView is a Buffer over the same bytes, also for a view into a larger array', () => {
    const whole = Uint8Array.of(1, 2, 3, 4, 5);
    const part = whole.subarray(1, 4);
    const view = bufferView(part);
    expect(Buffer.isBuffer(view)).toBe(true);
    expect([...view]).toEqual([2, 3, 4]);
    whole[2] = 9;
    expect(view[1]).toBe(9);
    const buffer = Buffer.from([7, 8]);
    expect(bufferView(buffer)).toBe(buffer);
  });

  it('plainBytes is a plain Uint8Array over the answer, whose slice() copies as a Uint8Array slice does', () => {
    const answer = Buffer.from([0x6f, 0x01, 0x90, 0x00]);
    const bytes = plainBytes(answer);
    expect(Buffer.isBuffer(bytes)).toBe(false);
    expect(bytes.constructor).toBe(Uint8Array);
    expect([...bytes]).toEqual([0x6f, 0x01, 0x90, 0x00]);
    const copy = bytes.slice(0, 2);
    answer[0] = 0;
    expect(bytes[0]).toBe(0);
    expect(copy[0]).toBe(0x6f);
  });
});

describe('optional PC/SC bindings', () => {
  it('a package that is not installed is PcscBindingMissingError saying what to install', async () => {
    const error = await importOptional('sscard-no-such-pcsc-binding').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PcscBindingMissingError);
    expect((error as PcscBindingMissingError).code).toBe('PCSC_BINDING_MISSING');
    expect((error as PcscBindingMissingError).binding).toBe('sscard-no-such-pcsc-binding');
    expect((error as Error).message).toContain('npm install sscard-no-such-pcsc-binding');
    expect((error as Error).message).toContain('libpcsclite-dev');
  });

  it('without the bindings the core runs, and every PC/SC entry point says what to install', async () => {
    const r = await runWithoutBindings([path.join(here, 'fixtures', 'no-binding-child.ts')]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<
      string,
      { code: string; message: string } | string
    >;
    expect(out['core']).toBe('A10500031');
    for (const [entry, binding] of [
      ['pcscTransport', 'smartcard@3.7.0'],
      ['smartcard', 'smartcard@3.7.0'],
      ['pcsclite', 'pcsclite@1.0.1'],
      ['listReaders', 'smartcard@3.7.0'],
      ['watchReaders', 'smartcard@3.7.0'],
    ] as const) {
      const failure = out[entry] as { code: string; message: string };
      expect(failure.code, entry).toBe('PCSC_BINDING_MISSING');
      expect(failure.message).toContain(`npm install ${binding}`);
    }
  });

  it('the CLI reports a missing binding in one line and exits 1', async () => {
    const r = await runWithoutBindings([path.join(REPO_ROOT, 'src', 'cli', 'bin.ts'), 'readers']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^sscard: the PC\/SC binding 'smartcard' cannot be loaded .*npm install smartcard@3\.7\.0.*\[PCSC_BINDING_MISSING\]\n$/,
    );
    expect(r.stdout).toBe('');
  });

  it('by default, with no pcscd socket to speak to, the binding is what is missing', async () => {
    const r = await runWithoutBindings([path.join(REPO_ROOT, 'src', 'cli', 'bin.ts'), 'readers'], {
      SSCARD_PCSC_BACKEND: '',
      PCSCLITE_CSOCK_NAME: path.join(here, 'fixtures', 'no-pcscd-here.comm'),
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the PC\/SC binding 'smartcard' cannot be loaded .*\[PCSC_BINDING_MISSING\]\n$/);
  });

  it('by default, where pcscd answers on its socket, reader commands need no binding', async () => {
    const pcscd = new FakePcscd();
    await pcscd.start();
    try {
      const r = await runWithoutBindings([path.join(REPO_ROOT, 'src', 'cli', 'bin.ts'), 'readers', '--json'], {
        SSCARD_PCSC_BACKEND: '',
        PCSCLITE_CSOCK_NAME: pcscd.path,
      });
      expect(r.status, r.stderr).toBe(0);
      const readers = JSON.parse(r.stdout) as Array<{ name: string; cardPresent: boolean; atr: { hex: string } }>;
      expect(readers).toMatchObject([{ name: 'Fake Reader 0', cardPresent: true, atr: { hex: '3B00' } }]);
    } finally {
      pcscd.stop();
    }
  });

  it('bad transport options are refused before anything is loaded or opened', async () => {
    await expect(SmartcardTransport.connect({ maxRecvLength: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(SmartcardTransport.connect({ protocols: [] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(PcscliteTransport.connect({ waitForCardMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(PcscliteTransport.connect({ closeDisposition: 'eject' as 'leave' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe('an answer shorter than an R-APDU', () => {
  it('is CardRemovedError when the card turns out to have left the reader during the probe', async () => {
    let left = false;
    setTimeout(() => {
      left = true;
    }, 100);
    const started = performance.now();
    const error = await shortAnswerError(0, 'R 00', 1000, () => left);
    expect(error).toBeInstanceOf(CardRemovedError);
    expect(error.cause).toBeInstanceOf(TransportError);
    expect(performance.now() - started).toBeLessThan(900);
  });

  it('is a TransportError when the card is still there after the probe', async () => {
    const started = performance.now();
    const error = await shortAnswerError(1, 'R 00', 150, () => false);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).not.toBeInstanceOf(CardRemovedError);
    expect(error.message).toContain('1 byte(s)');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});
