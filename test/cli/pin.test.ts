import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe as group, expect, it } from 'vitest';
import { cli, cliWithStdin, newCardImagePerTest, type CliRun } from './run-cli.js';

const INITIAL = '123456';
const NEW_PIN = '802417';
const WRONG = '975310';
/** Every PIN the tests type, and the BCD hex of each as a trace would show it. */
const SECRETS = [INITIAL, NEW_PIN, WRONG].flatMap((p) => [p, p.replace(/(..)(?!$)/g, '$1 ')]);

const files = newCardImagePerTest('sscard-cli-pin-');
const runs: CliRun[] = [];

/** Runs the CLI and keeps the run, so every test can check that no PIN reached stdout or stderr. */
async function pin(stdin: string | undefined, ...args: string[]): Promise<CliRun> {
  const r = stdin === undefined ? await cli('pin', ...args) : await cliWithStdin(stdin, 'pin', ...args);
  runs.push(r);
  return r;
}

function expectNoPinIn(r: CliRun): void {
  for (const secret of SECRETS) {
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
  }
}

beforeEach(() => {
  runs.length = 0;
});
afterEach(() => {
  for (const r of runs) expectNoPinIn(r);
});

group('sscard pin status', () => {
  it('shows the tries left without spending one', async () => {
    expect((await pin(undefined, 'status', '--card', files.image)).stdout).toBe('application PIN: 3 tries left\n');
    expect((await pin(undefined, 'status', '--card', files.image)).stdout).toBe('application PIN: 3 tries left\n');
  });
});

group('sscard pin verify', () => {
  it('a wrong PIN costs a try, saved in the image; the right one restores the counter', async () => {
    const wrong = await pin(`${WRONG}\n`, 'verify', '--card', files.image, '--pin-stdin');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toBe('sscard: wrong PIN: 2 tries left [PIN_INCORRECT]\n');
    expect((await pin(undefined, 'status', '--card', files.image)).stdout).toBe('application PIN: 2 tries left\n');

    const right = await pin(INITIAL, 'verify', '--card', files.image, '--pin-stdin');
    expect(right.code).toBe(0);
    expect(right.stdout).toMatch(/^PIN correct\nnote: this is still the initial PIN/);
    expect((await pin(undefined, 'status', '--card', files.image)).stdout).toBe('application PIN: 3 tries left\n');
  });

  it('blocks after three wrong PINs; then the right PIN is refused too', async () => {
    expect((await pin(WRONG, 'verify', '--card', files.image, '--pin-stdin')).stderr).toMatch(/2 tries left/);
    expect((await pin(WRONG, 'verify', '--card', files.image, '--pin-stdin')).stderr).toMatch(/1 try left/);
    const third = await pin(WRONG, 'verify', '--card', files.image, '--pin-stdin');
    expect(third.stderr).toMatch(/^sscard: wrong PIN; the PIN is now blocked: only the issuer .* \[PIN_BLOCKED\]\n$/);
    const right = await pin(INITIAL, 'verify', '--card', files.image, '--pin-stdin');
    expect(right.code).toBe(1);
    expect(right.stderr).toMatch(/^sscard: the PIN is blocked: .*service window \[PIN_BLOCKED\]\n$/);
    expect((await pin(undefined, 'status', '--card', files.image)).stdout).toMatch(/^application PIN: blocked/);
  });

  it('refuses a PIN of the wrong length like one with letters: PIN_FORMAT, nothing sent, no try spent', async () => {
    const before = readFileSync(files.image, 'utf8');
    /** The error line, after checking the trace (stderr's other lines) shows no PIN command sent. */
    const refusal = (r: CliRun): string => {
      expect(r.code).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.filter((l) => /VERIFY|CHANGE PIN/.test(l))).toEqual([]);
      expect(lines.some((l) => l.includes('SELECT'))).toBe(true);
      return lines[lines.length - 1] ?? '';
    };
    for (const typed of ['97531', '9753100', '9']) {
      const r = await pin(`${typed}\n`, 'verify', '--card', files.image, '--pin-stdin', '--trace');
      expect(refusal(r), typed).toBe('sscard: PIN must have exactly 6 digits [PIN_FORMAT]');
    }
    const letters = await pin('97a310\n', 'verify', '--card', files.image, '--pin-stdin', '--trace');
    expect(refusal(letters)).toBe('sscard: PIN must contain only the digits 0-9 [PIN_FORMAT]');
    const oldTooLong = await pin(
      `${INITIAL}0\n${NEW_PIN}\n${NEW_PIN}\n`,
      'change',
      '--card',
      files.image,
      '--pin-stdin',
      '--trace',
    );
    expect(refusal(oldTooLong)).toBe('sscard: current PIN must have exactly 6 digits [PIN_FORMAT]');
    expect(readFileSync(files.image, 'utf8')).toBe(before);
    expect((await pin(undefined, 'status', '--card', files.image)).stdout).toBe('application PIN: 3 tries left\n');
  });

  it('traces to stderr with the PIN data masked', async () => {
    const r = await pin(`${WRONG}\n`, 'verify', '--card', files.image, '--pin-stdin', '--trace');
    expect(r.stderr).toMatch(
      /VERIFY \[application PIN\] 00 20 00 00 Lc=3 data=\*\*\*\* -> 63C2 2 tries left \(wrong PIN or key, or a try counter query\)/,
    );
  });
});

group('sscard pin change', () => {
  it('changes the PIN: old, new, new again; the old PIN stops working', async () => {
    const r = await pin(
      `${INITIAL}\n${NEW_PIN}\n${NEW_PIN}\n`,
      'change',
      '--card',
      files.image,
      '--pin-stdin',
      '--trace',
    );
    expect(r).toMatchObject({ code: 0, stdout: 'PIN changed\n' });
    expect(r.stderr).toMatch(/CHANGE PIN \[change\] 80 5E 01 00 Lc=7 data=\*\*\*\* -> 9000/);
    const verified = await pin(NEW_PIN, 'verify', '--card', files.image, '--pin-stdin');
    expect(verified).toMatchObject({ code: 0, stdout: 'PIN correct\n' });
    expect((await pin(INITIAL, 'verify', '--card', files.image, '--pin-stdin')).stderr).toMatch(
      /wrong PIN: 2 tries left/,
    );
    expect(readFileSync(files.image, 'utf8')).not.toContain(NEW_PIN);
  });

  it('refuses a new PIN typed differently twice, or the initial PIN, before the card sees anything', async () => {
    const before = readFileSync(files.image, 'utf8');
    const mismatch = await pin(`${INITIAL}\n${NEW_PIN}\n802471\n`, 'change', '--card', files.image, '--pin-stdin');
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toBe('sscard: the two entries of the new PIN differ [NEW_PIN_REJECTED]\n');
    const initial = await pin(`${INITIAL}\n${INITIAL}\n${INITIAL}\n`, 'change', '--card', files.image, '--pin-stdin');
    expect(initial.stderr).toMatch(/may not be the initial PIN \[NEW_PIN_REJECTED\]/);
    const short = await pin(`${INITIAL}\n1234\n1234\n`, 'change', '--card', files.image, '--pin-stdin');
    expect(short.stderr).toMatch(/^sscard: new PIN refused: .*\[NEW_PIN_REJECTED\]\n$/);
    expect(short.stderr).not.toContain('1234');
    expect(readFileSync(files.image, 'utf8')).toBe(before);
  });

  it('a wrong current PIN costs a try', async () => {
    const r = await pin(`${WRONG}\n${NEW_PIN}\n${NEW_PIN}\n`, 'change', '--card', files.image, '--pin-stdin');
    expect(r.stderr).toBe('sscard: wrong current PIN: 2 tries left [PIN_INCORRECT]\n');
  });
});

group('where PINs may come from', () => {
  it('refuses a PIN as an argument or option, without repeating it and without touching the card', async () => {
    const before = readFileSync(files.image, 'utf8');
    for (const args of [
      ['verify', '--card', files.image, INITIAL],
      ['verify', '--card', files.image, '--pin', INITIAL],
      ['verify', `--pin=${INITIAL}`, '--card', files.image],
      ['verify', '--card', files.image, `--pin-stdin=${INITIAL}`],
      ['change', '--card', files.image, INITIAL, NEW_PIN, NEW_PIN],
      ['status', '--card', files.image, INITIAL],
    ]) {
      const r = await pin('', ...args);
      expect(r.code).toBe(1);
      if (args.includes(`--pin-stdin=${INITIAL}`)) expect(r.stderr).toBe("sscard: unknown option '--pin-stdin'\n");
      else
        expect(r.stderr).toMatch(/^sscard: a PIN is never taken from the command line .*--pin-stdin \[CLI_INPUT\]\n$/);
    }
    expect(readFileSync(files.image, 'utf8')).toBe(before);
  });

  it('asks for --pin-stdin when stdin is not a terminal', async () => {
    const r = await pin('', 'verify', '--card', files.image);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stdin is not a terminal.*--pin-stdin \[CLI_INPUT\]/);
  });

  it('wants exactly the lines the command needs on stdin', async () => {
    const few = await pin(`${INITIAL}\n${NEW_PIN}\n`, 'change', '--card', files.image, '--pin-stdin');
    expect(few.stderr).toBe(
      'sscard: --pin-stdin: expected 3 lines (current PIN, new PIN, new PIN again), got 2 [CLI_INPUT]\n',
    );
    const many = await pin(`${INITIAL}\n${WRONG}\n`, 'verify', '--card', files.image, '--pin-stdin');
    expect(many.stderr).toBe('sscard: --pin-stdin: expected 1 line (PIN), got 2 [CLI_INPUT]\n');
    expect((await pin(undefined, 'status', '--card', files.image)).stdout).toBe('application PIN: 3 tries left\n');
  });
});

/*
 * The hidden prompt on a real terminal: a pseudo-terminal (Python's pty module) runs the real
 * executable, waits for the prompt like a person would, then types the PIN.
 */
const PTY_DRIVER = String.raw`
import os, pty, sys, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
def read_until(marker, limit):
    global out
    end = time.time() + limit
    while marker not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
# One entry per prompt (prompts end with ': '), typed only once its prompt is on the screen.
for n, entry in enumerate(os.environ['TYPED'].split(',')):
    end = time.time() + 60
    while out.count(b': ') <= n and time.time() < end:
        read_until(b'\x00never\x00', 0.2)
    os.write(fd, entry.encode() + b'\r')
read_until(b'\x00never\x00', 20)
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;

group('hidden prompt', () => {
  const bin = join(import.meta.dirname, '..', '..', 'src', 'cli', 'bin.ts');
  /** Runs `sscard pin <args>` on a pseudo-terminal, typing `typed` one entry per prompt. */
  function onTerminal(typed: string[], ...args: string[]) {
    const r = spawnSync('python3', ['-c', PTY_DRIVER, process.execPath, '--import', 'tsx', bin, 'pin', ...args], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, TYPED: typed.join(','), NO_COLOR: '1' },
    });
    return { code: r.status, screen: r.stdout, stderr: r.stderr };
  }

  it('reads the PIN from a terminal without echoing it', () => {
    const r = onTerminal([INITIAL], 'verify', '--card', files.image);
    expect(r.stderr).toBe('');
    expect(r.screen).toMatch(/^PIN: \r?\n/);
    expect(r.screen).toContain('PIN correct');
    expect(r.screen).not.toContain(INITIAL);
    expect(r.code).toBe(0);
  });

  it('asks three times for a change, echoing none of them', () => {
    const r = onTerminal([INITIAL, NEW_PIN, NEW_PIN], 'change', '--card', files.image);
    expect(r.screen).toMatch(/^current PIN: \r?\nnew PIN: \r?\nnew PIN again: \r?\nPIN changed/);
    for (const secret of SECRETS) expect(r.screen).not.toContain(secret);
    expect(r.code).toBe(0);
  });
});
