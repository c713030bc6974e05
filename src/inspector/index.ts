// The live card inspector: a page in the browser that shows a simulated card while it runs (file
// tree with decoded records, PIN and key counters, security state, a live APDU trace with PINs
// masked), with developer actions behind an explicit switch. Imports apdu, records, card-sim and
// the terminal's trace wording; card-sim knows nothing of it.
export { inspect, Inspector, DEFAULT_INSPECTOR_PORT } from './server.js';
export type { InspectOptions, InspectorOptions, InspectorState, RunningInspector } from './server.js';
export { InspectorError } from './errors.js';
export type { InspectorErrorCode } from './errors.js';
export { ACTION_NAMES, applyRecordEdit } from './actions.js';
export type { ActionName, InspectedReader, Snapshot } from './actions.js';
export { traceScript } from './trace.js';
export type { TraceEntry, TraceApduEntry, TraceEventEntry, TraceRecord } from './trace.js';
export type { CardView, DfView, EfView, PinView, KeyView } from './snapshot.js';
export type { DecodedRecord } from './decode.js';
export { INSPECTOR_CSP } from './http.js';
