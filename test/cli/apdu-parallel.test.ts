import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { inspectSscTree, loadCardImage } from '../../src/card-sim/index.js';
import { cli, newCardImagePerTest } from './run-cli.js';
import { reportFigures, soakCount, soakTimeout } from '../soak.js';

/*
 * Several `sscard` processes working on one card image at the same time must take turns (the
 * image lock): otherwise each loads the same state and saves its own copy, and PIN tries are lost.
 */

const BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'bin.ts');
const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';
const RIGHT_PIN = '123456';
const WRONG_PIN = '999999';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sscard(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The status word the card gave to the VERIFY (the second exchange printed). */
function verifySw(run: Run): string {
  const responses = run.stdout.split('\n').filter((l) => l.startsWith('< '));
  expect(responses, `${run.stdout}${run.stderr}`).toHaveLength(2);
  return /([0-9A-F]{4}) /.exec(responses[1] as string)?.[1] ?? '';
}

const files = newCardImagePerTest('sscard-cli-parallel-');

group('sscard apdu, several processes on one image', () => {
  it('five wrong PINs at once spend all three tries, and the right PIN after them is refused', async () => {
    const verify = (pin: string) => sscard('apdu', '--card', files.image, SELECT_SSSE, `0020000003${pin}`);
    let exited = 0;
    let thirdExited!: () => void;
    const afterThree = new Promise<void>((resolve) => (thirdExited = resolve));
    const wrong = Array.from({ length: 5 }, () =>
      verify(WRONG_PIN).then((run) => {
        if (++exited === 3) thirdExited();
        return run;
      }),
    );
    // The right PIN comes once three wrong tries are over (each process spends its try before it
    // exits), while the other two may still be running: with turns taken, the PIN is blocked by
    // then whatever the order; without, the wrong tries overwrite each other and it is accepted.
    const right = afterThree.then(() => verify(RIGHT_PIN));
    const runs = [...(await Promise.all(wrong)), await right];
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const wrongSws = runs.slice(0, 5).map(verifySw).sort();
    expect(wrongSws).toEqual(['63C0', '63C1', '63C2', '6983', '6983']);
    expect(verifySw(runs[5] as Run)).toBe('6983');
    expect(inspectSscTree(loadCardImage(files.image).tree).appPin).toMatchObject({ triesLeft: 0, blocked: true });
    // Every process let go of the image.
    expect(existsSync(`${files.image}.lock`)).toBe(false);
  }, 120_000);

  /*
   * Concurrent decrements: PROCESSES `sscard apdu` processes at once on one image, each spending
   * WRONG_PER_PROCESS tries with wrong PINs, on a card with 15 tries; ROUNDS rounds (1 under
   * `npm test`, 10 under soak: 120 decrements), the counter put back with `card set` between
   * them. Every decrement must land: none lost to two processes saving their own copy.
   */
  const PROCESSES = 4;
  const WRONG_PER_PROCESS = 3;
  const ROUNDS = soakCount(1, 10, 'rounds');

  it(
    `${PROCESSES} processes x ${WRONG_PER_PROCESS} wrong PINs, ${ROUNDS} round(s): every decrement lands`,
    async () => {
      expect((await cli('card', 'set', files.image, 'pin.app.try-limit', '15')).code).toBe(0);
      let decrements = 0;
      let landed = 0;
      for (let round = 0; round < ROUNDS; round++) {
        expect((await cli('card', 'set', files.image, 'pin.app.tries-left', '15')).code).toBe(0);
        const runs = await Promise.all(
          Array.from({ length: PROCESSES }, () =>
            sscard(
              'apdu',
              '--card',
              files.image,
              SELECT_SSSE,
              ...Array(WRONG_PER_PROCESS).fill(`0020000003${WRONG_PIN}`),
            ),
          ),
        );
        const answers: number[] = [];
        for (const run of runs) {
          expect(run.code, run.stderr).toBe(0);
          const sws = run.stdout
            .split('\n')
            .filter((l) => l.startsWith('< '))
            .slice(1)
            .map((l) => /63C([0-9A-F])/.exec(l)?.[1]);
          expect(sws).toHaveLength(WRONG_PER_PROCESS);
          answers.push(...sws.map((x) => parseInt(x ?? 'z', 16)));
        }
        // Each answer is a distinct count of tries left: the decrements took turns.
        expect(answers.sort((a, b) => b - a)).toEqual(
          Array.from({ length: PROCESSES * WRONG_PER_PROCESS }, (_, i) => 14 - i),
        );
        const left = inspectSscTree(loadCardImage(files.image).tree).appPin?.triesLeft as number;
        expect(left).toBe(15 - PROCESSES * WRONG_PER_PROCESS);
        decrements += PROCESSES * WRONG_PER_PROCESS;
        landed += 15 - left;
      }
      reportFigures('concurrent-decrements', {
        processes: PROCESSES,
        rounds: ROUNDS,
        decrements,
        lost: decrements - landed,
      });
    },
    soakTimeout(120_000, 1_200_000),
  );
});
