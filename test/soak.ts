import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * One switch for the long runs: `npm test` runs every reliability and security test at a count
 * that takes seconds; `npm run soak` (SSCARD_SOAK=1) runs the same tests at the counts
 * docs/reliability.md and docs/security.md publish.
 */

/** True under `npm run soak`. */
export const SOAK = /^(1|true|yes)$/i.test(process.env['SSCARD_SOAK'] ?? '');

/**
 * `normal` under `npm test`, `soak` under `npm run soak`. Under soak, SSCARD_SOAK_<NAME> (a whole
 * number) runs that test at another count, e.g. the kills at what fits in the time there is; the
 * figures it reports carry the count really run.
 */
export function soakCount(normal: number, soak: number, name: string): number {
  if (!SOAK) return normal;
  const given = process.env[`SSCARD_SOAK_${name.toUpperCase()}`];
  return given !== undefined && /^\d+$/.test(given) ? Number(given) : soak;
}

/** A test timeout for a count: generous under soak (the runs are long by design). */
export function soakTimeout(normalMs: number, soakMs: number): number {
  return SOAK ? soakMs : normalMs;
}

/**
 * Keeps the figures a reliability or security test measured (counts, not secrets) in
 * .tmp/figures/<name>.json, where `npm run soak` reads them to print its summary.
 */
export function reportFigures(name: string, figures: Record<string, number | string>): void {
  const dir = join(import.meta.dirname, '..', '.tmp', 'figures');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ soak: SOAK, ...figures }, null, 2)}\n`);
}
