import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe as group, expect, it } from 'vitest';
import { SAMPLE_PEOPLE } from '../../src/card-sim/index.js';
import { cli } from './run-cli.js';
import { resealImage } from '../card-sim/image-fixtures.js';

/*
 * `card show --json` and `read --json` print one report, described by the JSON Schema the package
 * ships (schema/card-report.schema.json): both are validated against it, for every sample person.
 */

const SCHEMA_PATH = join(import.meta.dirname, '..', '..', 'schema', 'card-report.schema.json');
const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

function valid(report: unknown): string {
  return validate(report) ? 'valid' : JSON.stringify(validate.errors, null, 1);
}

let dir: string;
const images = new Map<string, string>();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sscard-report-'));
  for (const p of SAMPLE_PEOPLE) {
    const image = join(dir, `${p.key}.json`);
    expect((await cli('card', 'new', image, '--sample', p.key)).code).toBe(0);
    images.set(p.key, image);
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function json(...args: string[]): Promise<Record<string, unknown>> {
  const r = await cli(...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

group('the card report schema', () => {
  it('is itself a valid draft 2020-12 schema (ajv strict mode compiles it)', () => {
    expect(typeof validate).toBe('function');
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it.each(SAMPLE_PEOPLE.map((p) => p.key))('card show --json and read --json of %s both fit it', async (key) => {
    const image = images.get(key) as string;
    const shown = await json('card', 'show', image, '--json');
    const read = await json('read', '--card', image, '--json');
    expect(valid(shown)).toBe('valid');
    expect(valid(read)).toBe('valid');
    // One description of the same card: read's part is card show's part, field for field.
    for (const field of ['format', 'version', 'atr', 'algorithm', 'card', 'cardholder']) {
      expect(read[field], field).toEqual(shown[field]);
    }
    expect(read['source']).toEqual({ kind: 'image', path: image });
    expect(shown['source']).toMatchObject({ kind: 'image', path: image });
  });

  it('decodes values (blood type, insurance status) and keeps their codes beside them', async () => {
    const shown = await json('card', 'show', images.get('li-xiuying') as string, '--json');
    expect(shown['health']).toMatchObject({ basics: { abo: 'O', aboCode: '3', rh: 'positive', rhCode: '2' } });
    expect(shown['insurance']).toMatchObject({ pension: { status: 'terminated', statusCode: '3' } });
    expect(shown['cardholder']).toMatchObject({
      idNumber: '310104196211080241',
      name: '李秀英',
      sex: 'female',
      sexCode: '2',
    });
  });

  it('rejects what it does not describe: the old raw shape, an unknown field, a raw code as the blood type', async () => {
    const shown = await json('card', 'show', images.get('zhang-wei') as string, '--json');
    expect(valid({ ...shown, holder: { socialSecurityNumber: '1' } })).not.toBe('valid');
    const rawBlood = structuredClone(shown) as { health: { basics: { abo: string } } };
    rawBlood.health.basics.abo = '1';
    expect(valid(rawBlood)).not.toBe('valid');
    const { cardholder: _dropped, ...withoutHolder } = shown;
    expect(valid(withoutHolder)).not.toBe('valid');
  });

  it('is valid for an image with an unreadable record, which shows as null and a problem', async () => {
    const image = images.get('wang-yan') as string;
    interface Node {
      fid: string;
      children?: Node[];
      records?: string[];
    }
    const broken = join(dir, 'broken.json');
    copyFileSync(image, broken);
    // Sealed again by hand with the image key: a state no card writes, but one that is valid.
    resealImage(broken, (doc) => {
      const mf = doc.state.mf as Node;
      const ef05 = mf.children?.find((c) => c.fid === '5353')?.children?.find((c) => c.fid === 'EF05');
      const records = ef05?.records ?? [];
      const at = records.findIndex((r) => r.startsWith('07'));
      expect(at).toBeGreaterThanOrEqual(0);
      // The card number record (tag 07) under another tag: the image loads, the item is not found.
      records[at] = `66${records[at]?.slice(2) ?? ''}`;
    });
    const shown = await json('card', 'show', broken, '--json');
    expect(valid(shown)).toBe('valid');
    expect(shown['card']).toMatchObject({ cardNumber: null, cardIdentifier: expect.any(String) });
    expect(shown['problems']).toEqual(['SSSE/EF05: no record for tag 07 (cardNumber)']);
  });
});
