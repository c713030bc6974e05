/** Resolves after `ms` milliseconds: the waits of reader polling, removal probes and close grace. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
