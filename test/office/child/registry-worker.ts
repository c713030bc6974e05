/*
 * A registry client in its own process, for the durability and lock tests.
 *   registry-worker.ts ops DIR RUN    open file:DIR, print READY, then perform operations forever,
 *                                     printing "ACK RUN SEQ" after each one the registry acknowledged
 *   registry-worker.ts hold DIR       open file:DIR, print READY, and wait to be killed
 */
import { Registry } from '../../../src/office/index.js';
import { citizenId } from '../../../src/card-sim/index.js';

const [mode, dir, run] = process.argv.slice(2) as [string, string, string | undefined];
const ctx = { terminalId: `durability-${process.pid}`, role: 'admin', channel: 'batch' } as const;

function write(line: string): void {
  // Synchronous: the line must be out before the next operation starts.
  process.stdout.write(`${line}\n`);
}

const registry = await Registry.open(`file:${dir}`);
if (mode === 'hold') {
  write('READY');
  setInterval(() => undefined, 1 << 30);
} else {
  // One card per run, then a script queued per operation: each carries (run, seq) to be found later.
  const r = Number(run);
  const birth = `19${String(60 + (r % 40)).padStart(2, '0')}-01-15`;
  const doc = {
    person: {
      name: '耐久',
      idNumber: citizenId('110105', birth, String(r % 1000).padStart(3, '0')),
      sex: '1',
      ethnicity: '01',
      birthplace: '110105',
      birthDate: birth,
    },
    card: { type: '1', initializingOrg: '1' },
  };
  doc.person.sex = Number(doc.person.idNumber[16]) % 2 === 1 ? '1' : '2';
  write('READY');
  const issued = await registry.issueCard(ctx, { document: doc });
  write(`CARD ${r} ${issued.card.cardNumber}`);
  for (let seq = 1; ; seq++) {
    await registry.queueScript(ctx, { cardNumber: issued.card.cardNumber, kind: 'marker', payload: { run: r, seq } });
    write(`ACK ${r} ${seq}`);
  }
}
