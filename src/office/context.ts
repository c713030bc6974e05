import { OfficeArgumentError } from './errors.js';

/*
 * Who performs an operation: every operation takes a context naming the terminal, its role and
 * the channel the request came through. The history records all three.
 */

/** Roles of the terminals that use the registry. */
export const ROLES = ['window', 'bank', 'hotline', 'pos', 'portal', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * How the request reached the terminal: the cardholder at the counter, someone acting for them
 * with both IDs, the hotline's voice menu or its operator, online (portal, bank e-channels), a
 * card terminal (POS, kiosk) on its own, the command line, or a batch job.
 */
export const CHANNELS = ['counter', 'proxy', 'ivr', 'operator', 'online', 'terminal', 'cli', 'batch'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface OperationContext {
  /** The terminal's id, e.g. 'window-110105-03' (1..64 printable characters). */
  terminalId: string;
  role: Role;
  channel: Channel;
}

/** Checks a context (it comes from configuration or the command line); throws OfficeArgumentError. */
export function checkContext(ctx: OperationContext): OperationContext {
  if (ctx === null || typeof ctx !== 'object') throw new OfficeArgumentError('operation context must be an object');
  if (typeof ctx.terminalId !== 'string' || !/^[\x21-\x7e][\x20-\x7e]{0,63}$/.test(ctx.terminalId)) {
    throw new OfficeArgumentError('context.terminalId must be 1..64 printable ASCII characters');
  }
  if (!(ROLES as readonly string[]).includes(ctx.role)) {
    throw new OfficeArgumentError(`context.role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(ctx.role)}`);
  }
  if (!(CHANNELS as readonly string[]).includes(ctx.channel)) {
    throw new OfficeArgumentError(
      `context.channel must be one of ${CHANNELS.join(', ')}, got ${JSON.stringify(ctx.channel)}`,
    );
  }
  return ctx;
}
