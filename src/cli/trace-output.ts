// From the SDK's trace module, not its barrel (an entry point of the package: it would bring the
// whole SDK, PC/SC transports included, into every command that traces).
import { formatTracePretty, traceCommand, traceResponse } from '../terminal/trace.js';
import type { TraceEvent } from '../terminal/trace.js';

/* The trace lines of commands that talk to a card (apdu, script, demo, a card opened by name). */

/** Writes one trace event to stderr (PIN data is already masked in the event), so stdout stays the command's output. */
export function printTrace(event: TraceEvent): void {
  process.stderr.write(`${formatTracePretty(event)}\n`);
}

/**
 * Traces exchanges made straight with a card (commands that talk to the card object rather than
 * through a terminal channel), in the same masked format as channel traces.
 */
export class ExchangeTracer {
  private seq = 0;

  constructor(private readonly transport: string) {}

  /** Sends `command` with `send`, prints the masked trace line to stderr, returns the response. */
  exchange(command: Uint8Array, send: (command: Uint8Array) => Uint8Array): Uint8Array {
    const time = new Date().toISOString();
    const started = performance.now();
    const response = send(command);
    const elapsedMs = Math.round((performance.now() - started) * 1000) / 1000;
    const traced = traceCommand(command);
    const event: TraceEvent = { seq: ++this.seq, transport: this.transport, time, command: traced, elapsedMs };
    if (response.length >= 2) {
      const sw = ((response[response.length - 2] as number) << 8) | (response[response.length - 1] as number);
      event.response = traceResponse(response.subarray(0, response.length - 2), sw, traced.masked);
    } else {
      event.error = { code: 'TRANSPORT', message: `response shorter than 2 bytes (got ${response.length})` };
    }
    printTrace(event);
    return response;
  }
}
