/*
 * The streams the command line reads PINs from and prompts on, apart from pin-input.ts: main.ts
 * needs the defaults for every command, and loading pin-input (and node:readline with it) would
 * cost every command that reads no PIN.
 */

/** The streams commands read from and prompt on; runCli's caller may replace process.stdin/stderr. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where prompts go (stderr, so stdout stays the command's output). */
  prompt: NodeJS.WritableStream;
}

/** The process's own streams: stdin, and stderr for prompts. */
export function processIo(): CliIo {
  return { stdin: process.stdin, prompt: process.stderr };
}
