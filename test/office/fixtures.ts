import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { citizenId } from '../../src/card-sim/index.js';
import { Registry } from '../../src/office/index.js';
import type { Clock, OperationContext, RegistryOptions } from '../../src/office/index.js';
import { freshDatabase, pgLab } from './pg-lab.js';

export const WINDOW: OperationContext = { terminalId: 'window-110105-01', role: 'window', channel: 'counter' };
export const BANK: OperationContext = { terminalId: 'bank-icbc-0042', role: 'bank', channel: 'counter' };
export const POS: OperationContext = { terminalId: 'pos-pharmacy-7', role: 'pos', channel: 'terminal' };
export const HOTLINE: OperationContext = { terminalId: 'hotline-12333-3', role: 'hotline', channel: 'operator' };
export const ADMIN: OperationContext = { terminalId: 'admin-cli', role: 'admin', channel: 'cli' };
/** The 12333 voice menu: the hotline's role, the caller at the keys. */
export const IVR: OperationContext = { terminalId: 'ivr-12333-01', role: 'hotline', channel: 'ivr' };

let serial = 0;
const RUN = Math.floor(Math.random() * 900) + 100;

/** A personalization document for a new person (valid citizen ID, unique within this run). */
export function personDocument(
  opts: { financial?: boolean; spec?: '2.00' | '3.00'; name?: string; birthDate?: string } = {},
): Record<string, unknown> {
  serial += 1;
  const birthDate =
    opts.birthDate ?? `19${String(50 + (serial % 49)).padStart(2, '0')}-0${1 + (serial % 9)}-1${serial % 10}`;
  // Sequence digits: run and serial, so parallel test files do not collide within one database.
  const sequence = String((RUN * 7 + serial) % 1000).padStart(3, '0');
  const region = ['110105', '310104', '440305', '650102'][serial % 4]!;
  const idNumber = citizenId(region, birthDate, sequence);
  const sex = Number(idNumber[16]) % 2 === 1 ? '1' : '2';
  return {
    specVersion: opts.spec ?? '3.00',
    financial: opts.financial ?? false,
    pin: { initial: '123456', tryLimit: 3 },
    ...(opts.financial === true ? { bankPin: { initial: '888888' } } : {}),
    person: { name: opts.name ?? '测试人', idNumber, sex, ethnicity: '01', birthplace: region, birthDate },
    card: {
      type: '1',
      initializingOrg: '110000000001',
      ...(opts.financial === true ? { pan: '6214830105000318' } : {}),
    },
  };
}

export function idOf(doc: Record<string, unknown>): string {
  return (doc['person'] as { idNumber: string }).idNumber;
}

/** Issues a card at the window to a new person: the person's document and ID number, the card, the document as stored. */
export async function issueToNewPerson(registry: Registry, opts: Parameters<typeof personDocument>[0] = {}) {
  const doc = personDocument(opts);
  const issued = await registry.issueCard(WINDOW, { document: doc });
  return { doc, id: idOf(doc), card: issued.card, stored: issued.document };
}

export interface BackendHandle {
  /** The registry under test (open for the whole describe block). */
  registry: Registry;
  url: string;
  /** Opens another registry on the same store (postgres only; the embedded store is one process's). */
  reopen(options?: RegistryOptions): Promise<Registry>;
}

export type BackendName = 'pglite' | 'postgres';

/**
 * Runs `suite` once per backend: PGlite in a temporary directory, and the lab's PostgreSQL server
 * in a fresh database (skipped with one line when the server is missing, failing under CI=true).
 */
export function describeBackends(
  title: string,
  suite: (backend: () => BackendHandle, name: BackendName) => void,
  options: { clock?: Clock } = {},
): void {
  for (const name of ['pglite', 'postgres'] as const) {
    const lab = name === 'postgres' ? pgLab(`${title} on postgres`) : undefined;
    const run = lab === undefined || lab.run;
    // Creating an embedded store starts PostgreSQL in WebAssembly: seconds, more on a busy machine.
    describe.runIf(run)(`${title} [${name}]`, { timeout: 120_000 }, () => {
      let handle: BackendHandle | undefined;
      let cleanup: () => Promise<void> = async () => undefined;
      beforeAll(async () => {
        let url: string;
        if (lab !== undefined) {
          lab.assertReady();
          const db = await freshDatabase(lab.url, title);
          url = db.url;
          cleanup = () => db.drop();
        } else {
          const dir = mkdtempSync(join(tmpdir(), 'sscard-office-'));
          url = `file:${dir}`;
          cleanup = async () => rmSync(dir, { recursive: true, force: true });
        }
        const registry = await Registry.open(url, options.clock === undefined ? {} : { clock: options.clock });
        handle = {
          registry,
          url,
          reopen: (o) => Registry.open(url, { ...(options.clock === undefined ? {} : { clock: options.clock }), ...o }),
        };
      }, 300_000);
      afterAll(async () => {
        await handle?.registry.close();
        await cleanup();
      });
      suite(() => {
        if (handle === undefined) throw new Error('the registry did not open (see beforeAll)');
        return handle;
      }, name);
    });
  }
}

/** A clock the test moves by hand. */
export function manualClock(start: string): Clock & { set(at: string): void; advanceDays(n: number): void } {
  let now = new Date(start);
  return {
    now: () => new Date(now.getTime()),
    set(at: string) {
      now = new Date(at);
    },
    advanceDays(n: number) {
      now = new Date(now.getTime() + n * 86_400_000);
    },
  };
}
