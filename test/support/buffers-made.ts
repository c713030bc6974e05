import { vi } from 'vitest';

/**
 * Runs `run` with Buffer.from watched, and returns every Buffer it made that way: how a test finds
 * the copies the PIN code makes of PIN digits, to check that each was wiped. The watch ends when
 * `run` returns or throws (what it throws goes on to the caller).
 */
export function buffersMadeBy(run: () => void): Buffer[] {
  const made: Buffer[] = [];
  const original = Buffer.from.bind(Buffer) as (...args: unknown[]) => Buffer;
  const spy = vi.spyOn(Buffer, 'from').mockImplementation(((...args: unknown[]) => {
    const buf = original(...args);
    made.push(buf);
    return buf;
  }) as typeof Buffer.from);
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return made;
}
