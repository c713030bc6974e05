import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from '../../src/office/index.js';
import { databaseOf } from '../../src/office/registry.js';

/*
 * kill -9 at random moments: a child process opens the embedded store and performs operations,
 * printing each one the registry acknowledged; the test kills it with SIGKILL (sometimes while it
 * is still opening or creating the store), lets the next child open the same store, and at the
 * end checks that every acknowledged operation is there, exactly once, with its history entry.
 * SSCARD_KILL_RUNS sets the number of kills (default 20; each round starts a process that opens the store, a few seconds).
 */

const CHILD = fileURLToPath(new URL('./child/registry-worker.ts', import.meta.url));
const RUNS = Number(process.env.SSCARD_KILL_RUNS ?? 20);

interface Round {
  run: number;
  card?: string;
  acked: number;
  ready: boolean;
}

function randomInt(max: number): number {
  return Math.floor(Math.random() * max);
}

/** One child, killed with SIGKILL at a random moment; what it printed before dying. */
function killRound(dir: string, run: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'ops', dir, String(run)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const round: Round = { run, acked: 0, ready: false };
    let out = '';
    let err = '';
    let killed = false;
    const kill = (): void => {
      if (killed) return;
      killed = true;
      child.kill('SIGKILL');
    };
    // One round in six dies while opening (for the first round: while creating the store).
    const early = randomInt(6) === 0;
    const afterFirstAck = randomInt(400);
    const safety = setTimeout(kill, 120_000);
    if (early) setTimeout(kill, randomInt(2500));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const [tag, , value] = line.split(' ');
        if (tag === 'READY') round.ready = true;
        if (tag === 'CARD') round.card = value;
        if (tag === 'ACK') {
          if (round.acked === 0 && !early) setTimeout(kill, afterFirstAck);
          round.acked = Number(value);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(safety);
      if (signal !== 'SIGKILL' || !killed) {
        reject(
          new Error(
            `round ${run}: the child ended by itself (exit ${code}, signal ${signal}) instead of being killed:\n${err}`,
          ),
        );
        return;
      }
      resolve(round);
    });
  });
}

describe('embedded store durability under kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sscard-office-kill-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    `keeps every acknowledged operation across ${RUNS} SIGKILLs and opens cleanly after each`,
    { timeout: 60_000 + RUNS * 30_000 },
    async () => {
      const rounds: Round[] = [];
      for (let run = 1; run <= RUNS; run++) rounds.push(await killRound(dir, run));
      const registry = await Registry.open(`file:${dir}`);
      try {
        const db = databaseOf(registry);
        let acknowledged = 0;
        for (const round of rounds) {
          if (round.card === undefined) {
            expect(round.acked).toBe(0);
            continue;
          }
          const r = await db.query<{ seq: number }>(
            "SELECT (payload->>'seq')::int AS seq FROM issuer_scripts WHERE card_number = $1 AND kind = 'marker' ORDER BY 1",
            [round.card],
          );
          const seqs = r.rows.map((x) => x.seq);
          // 1..acked are all there; one more may have committed before its ACK was printed.
          expect(seqs.slice(0, round.acked)).toEqual(Array.from({ length: round.acked }, (_, i) => i + 1));
          expect(seqs.length - round.acked).toBeGreaterThanOrEqual(0);
          expect(seqs.length - round.acked).toBeLessThanOrEqual(1);
          expect(new Set(seqs).size).toBe(seqs.length);
          // Each script committed with its history entry, in one transaction.
          const h = await db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM history WHERE card_number = $1 AND operation = 'queue_script' AND result = 'ok'",
            [round.card],
          );
          expect(h.rows[0]!.n).toBe(seqs.length);
          acknowledged += round.acked;
        }
        const opened = rounds.filter((r) => r.ready).length;
        console.log(
          `kill -9 durability: ${RUNS} kills, ${opened} after the store opened, ${acknowledged} acknowledged operations all found`,
        );
        expect(rounds.filter((r) => r.acked > 0).length).toBeGreaterThan(RUNS / 2);
      } finally {
        await registry.close();
      }
    },
  );
});
