import { SW, StatusWordError } from '../../../apdu/index.js';
import type { ApplicationBlock, DedicatedFile } from '../../fs/nodes.js';
import type { CardCommand, CardContext, HandlerResult } from '../context.js';
import { checkCommandMac, keyForUsage } from '../secure-messaging.js';

/*
 * Lifecycle commands (card profile §4), each with secure messaging: CLA 84, data = MAC4 only
 * (Lc 04), MAC = commandMac(key, CLA INS P1 P2, no data, challenge) from src/keys, i.e. over
 * `84 INS P1 P2 04` with the pending GET CHALLENGE value as IV. No challenge: 6984; bad MAC: 6988
 * (spends a try of the key); blocked key: 6983.
 *
 * Project choices:
 * - The key is the 'lifecycle' key of the current DF or its ancestors (the SSC profile puts the
 *   application control key SSC_KEYS.APP_CONTROL in the SSSE, and BANK_APP_CONTROL in the bank
 *   application); none: 6A88.
 * - APPLICATION BLOCK / UNBLOCK act on the current application (the nearest DF with a DF name);
 *   outside any application: 6985. A blocked application stays current, its security state ends.
 * - Behaviour of blocked states (enforced by the OS, see lifecycleRefusal, and by SELECT):
 *   temporarily blocked application: SELECT of it (or of anything in it) answers 6A81 but makes
 *   it current, so that GET CHALLENGE + APPLICATION UNBLOCK can follow; every other command in
 *   it answers 6A81. Permanently blocked: the same with 9303, and APPLICATION BLOCK / UNBLOCK
 *   answer 9303 too. CARD BLOCK is final: from then on every command answers 6A81.
 * - All three states are persistent card state (in the card image), made durable before the
 *   command is answered.
 */

function requireMacOnly(cmd: CardCommand): void {
  if (cmd.data.length !== 4)
    throw new StatusWordError(SW.WRONG_LENGTH, 'the data of a lifecycle command is the 4-byte MAC');
}

function currentApplication(ctx: CardContext): DedicatedFile {
  const app = ctx.currentApplication;
  if (app === undefined) throw new StatusWordError(SW.CONDITIONS_NOT_SATISFIED, 'no application selected');
  return app;
}

function checkMac(ctx: CardContext, cmd: CardCommand): void {
  const key = keyForUsage(ctx.currentDf, 'lifecycle');
  checkCommandMac(ctx, cmd, key, 'required');
}

/** APPLICATION BLOCK `84 1E 00 P2 04 MAC4`: P2 00 blocks the current application temporarily, 01 for good. */
export function applicationBlock(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0x00 || (cmd.p2 !== 0x00 && cmd.p2 !== 0x01)) {
    throw new StatusWordError(SW.INCORRECT_P1P2, 'APPLICATION BLOCK takes P1 00, P2 00 (temporary) or 01 (permanent)');
  }
  requireMacOnly(cmd);
  const app = currentApplication(ctx);
  if (app.blocked === 'permanent')
    throw new StatusWordError(SW.APP_PERMANENTLY_BLOCKED, 'application permanently blocked');
  checkMac(ctx, cmd);
  const kind: ApplicationBlock = cmd.p2 === 0x01 ? 'permanent' : 'temporary';
  app.blockApplication(kind);
  ctx.clearSecurityState();
  return {};
}

/** APPLICATION UNBLOCK `84 18 00 00 04 MAC4`: lifts a temporary block (permanent: 9303; not blocked: 6985). */
export function applicationUnblock(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00)
    throw new StatusWordError(SW.INCORRECT_P1P2, 'APPLICATION UNBLOCK takes P1-P2 0000');
  requireMacOnly(cmd);
  const app = currentApplication(ctx);
  if (app.blocked === 'permanent')
    throw new StatusWordError(SW.APP_PERMANENTLY_BLOCKED, 'application permanently blocked');
  if (app.blocked === undefined) throw new StatusWordError(SW.CONDITIONS_NOT_SATISFIED, 'application not blocked');
  checkMac(ctx, cmd);
  app.unblockApplication();
  ctx.clearSecurityState();
  return {};
}

/** CARD BLOCK `84 16 00 00 04 MAC4`: blocks the whole card for good (every later command: 6A81). */
export function cardBlock(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new StatusWordError(SW.INCORRECT_P1P2, 'CARD BLOCK takes P1-P2 0000');
  requireMacOnly(cmd);
  checkMac(ctx, cmd);
  ctx.tree.blockCard();
  ctx.clearSecurityState();
  return {};
}

/**
 * The status word the OS answers instead of running a command because the current application
 * is blocked, or undefined to run it: 6A81 (temporary) or 9303 (permanent) for every command that
 * is not marked to run there (SELECT, GET CHALLENGE, GET RESPONSE and the lifecycle commands).
 * (A blocked card is refused earlier, by the processor, for every command.)
 */
export function lifecycleRefusal(ctx: CardContext, runsWhileBlocked: boolean): number | undefined {
  if (runsWhileBlocked) return undefined;
  const blocked = ctx.currentApplication?.blocked;
  if (blocked === 'temporary') return SW.FUNCTION_NOT_SUPPORTED;
  if (blocked === 'permanent') return SW.APP_PERMANENTLY_BLOCKED;
  return undefined;
}
