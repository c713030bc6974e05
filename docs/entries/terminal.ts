/**
 * The terminal SDK: transports (in memory, PC/SC), the channel (T=0 GET RESPONSE, one caller at a
 * time, time limits, cancellation, masked traces, typed errors with hints), `SscCard` for POS
 * software, and `IssuerTerminal` for the service window and the bank branch.
 *
 * @module sscard/terminal
 */
export * from '../../src/terminal/index.js';
