/*
 * Waiting in a test for something another part does on its own time (a watch's event, a
 * socket's close): the condition is looked at again every 10 ms until it holds or the bound runs
 * out. The timer is the one Node started with, so a test that fakes timers still waits for real.
 */

const realSetTimeout = globalThis.setTimeout;

/** Resolves once `check()` holds; fails naming `what` when it has not within `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => realSetTimeout(resolve, 10));
  }
}
