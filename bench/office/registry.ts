/*
 * Registry operations per second, on the embedded store (PGlite, fsync on every commit) and on the
 * lab's PostgreSQL server, with one client and with 8 concurrent clients:
 *   lookup   cardStatus (a read; nothing recorded)
 *   write    recordPinChanged (a row lock, an update and a history entry, one transaction)
 * Clients on the server are separate registries (own connection each, like separate processes);
 * on the embedded store, which is one process's, they are concurrent callers of one registry.
 *
 *   npx tsx bench/office/registry.ts [--runs 3] [--n 300]
 *
 * Prints the median of the runs per case, and the ratios 8 clients : 1 client and server : embedded.
 * The server part is skipped (one line) when scripts/pg-lab is not up.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Registry } from '../../src/office/index.js';
import type { OperationContext } from '../../src/office/index.js';
import { loadPg } from '../../src/office/storage/drivers.js';
import { crowdPersonDocument } from '../../test/support/crowd-person.js';
import { arg } from '../args.js';

const runs = arg('runs', 3);
const n = arg('n', 300);
const CLIENT_COUNTS = [1, 8] as const;
const WINDOW: OperationContext = { terminalId: 'bench-window', role: 'window', channel: 'counter' };
const POS: OperationContext = { terminalId: 'bench-pos', role: 'pos', channel: 'terminal' };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function issueCards(registry: Registry, count: number): Promise<string[]> {
  const numbers: string[] = [];
  for (let i = 0; i < count; i++) {
    const document = crowdPersonDocument(i, {
      region: '110105',
      birthYear: 1980 + (i % 10),
      namePrefix: '压测',
      initializingOrg: '11',
    });
    const issued = await registry.issueCard(WINDOW, { document });
    numbers.push(issued.card.cardNumber);
  }
  return numbers;
}

type Case = 'lookup' | 'write';

/** Operations per second for `clients` concurrent callers doing n operations in all. */
async function measure(registries: Registry[], cards: string[], what: Case): Promise<number> {
  const perClient = Math.ceil(n / registries.length);
  const start = performance.now();
  await Promise.all(
    registries.map(async (registry, c) => {
      for (let i = 0; i < perClient; i++) {
        // Each client keeps to its own card: the figure is throughput, not lock contention.
        const card = cards[c % cards.length]!;
        if (what === 'lookup') await registry.cardStatus(card);
        else await registry.recordPinChanged(POS, { cardNumber: card });
      }
    }),
  );
  return (perClient * registries.length) / ((performance.now() - start) / 1000);
}

interface Backend {
  name: 'embedded' | 'server';
  open(): Promise<Registry>;
  /** Opens the registries of `clients` concurrent clients (shares one where it must). */
  clients(main: Registry, count: number): Promise<Registry[]>;
  cleanup(): Promise<void>;
}

async function embedded(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'sscard-bench-office-'));
  return {
    name: 'embedded',
    open: () => Registry.open(`file:${dir}`),
    clients: async (main, count) => Array.from({ length: count }, () => main),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function server(): Promise<Backend | string> {
  const url = spawnSync('bash', [join(import.meta.dirname ?? '.', '../../scripts/pg-lab'), 'url'], {
    encoding: 'utf8',
  }).stdout.trim();
  const { Pool } = await loadPg();
  const admin = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 3000 });
  const name = `sscard_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end();
    return `server part skipped: no PostgreSQL lab (${(err as Error).message}); start it with scripts/pg-lab up`;
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  const extra: Registry[] = [];
  return {
    name: 'server',
    open: () => Registry.open(u.toString(), { poolSize: 1 }),
    clients: async (main, count) => {
      const list = [main];
      while (list.length < count) {
        const r = await Registry.open(u.toString(), { poolSize: 1 });
        extra.push(r);
        list.push(r);
      }
      return list;
    },
    cleanup: async () => {
      await Promise.all(extra.map((r) => r.close()));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function main(): Promise<void> {
  console.log(
    `registry operations per second: median of ${runs} runs of ${n} operations (${new Date().toISOString()})`,
  );
  const results = new Map<string, number>();
  const backends: Backend[] = [await embedded()];
  const s = await server();
  if (typeof s === 'string') console.log(s);
  else backends.push(s);
  for (const backend of backends) {
    const main = await backend.open();
    try {
      const cards = await issueCards(main, Math.max(...CLIENT_COUNTS));
      for (const what of ['lookup', 'write'] as const) {
        for (const count of CLIENT_COUNTS) {
          const registries = await backend.clients(main, count);
          await measure(registries, cards, what); // warm-up
          const samples: number[] = [];
          for (let r = 0; r < runs; r++) samples.push(await measure(registries, cards, what));
          const ops = median(samples);
          results.set(`${backend.name}/${what}/${count}`, ops);
          console.log(
            `  ${backend.name.padEnd(8)} ${what.padEnd(6)} ${String(count).padStart(2)} client${count === 1 ? ' ' : 's'}  ${ops.toFixed(0).padStart(7)} ops/s`,
          );
        }
      }
    } finally {
      await main.close();
      await backend.cleanup();
    }
  }
  console.log('ratios:');
  for (const b of backends) {
    for (const what of ['lookup', 'write'] as const) {
      const one = results.get(`${b.name}/${what}/1`)!;
      const eight = results.get(`${b.name}/${what}/8`)!;
      console.log(`  ${b.name.padEnd(8)} ${what.padEnd(6)} 8 clients : 1 client = ${(eight / one).toFixed(2)}`);
    }
  }
  if (backends.length === 2) {
    for (const what of ['lookup', 'write'] as const) {
      for (const count of CLIENT_COUNTS) {
        const ratio = results.get(`server/${what}/${count}`)! / results.get(`embedded/${what}/${count}`)!;
        console.log(
          `  ${what.padEnd(6)} ${count} client${count === 1 ? '' : 's'}: server : embedded = ${ratio.toFixed(2)}`,
        );
      }
    }
  }
}

await main();
