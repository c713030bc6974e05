/*
 * One switch for the long runs: `npm test` runs every reliability and security test at a count
 * that takes seconds; `npm run soak` (SSCARD_SOAK=1) runs the same tests at the counts
 * docs/reliability.md and docs/security.md publish.
 */

/** True under `npm run soak`. */
export const SOAK = /^(1|true|yes)$/i.test(process.env['SSCARD_SOAK'] ?? '');

/** `normal` under `npm test`, `soak` under `npm run soak`. */
export function soakCount(normal: number, soak: number): number {
  return SOAK ? soak : normal;
}

/** A test timeout for a count: generous under soak (the runs are long by design). */
export function soakTimeout(normalMs: number, soakMs: number): number {
  return SOAK ? soakMs : normalMs;
}
