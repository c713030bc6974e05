import { INS, CLA } from '../../apdu/index.js';
import type {
  IssuerHost,
  IssuerScriptCommand,
  PinChangeSecureModule,
  ScriptCard,
  ScriptOutcome,
} from '../../terminal/index.js';
import type { OperationContext } from '../context.js';
import { CardNotFoundError, OfficeArgumentError } from '../errors.js';
import { PIN_CHANGE_KIND } from '../operations/pin-change.js';
import type { PinChangePayload } from '../operations/pin-change.js';
import type { Registry } from '../registry.js';

/*
 * The office's side of the SDK's IssuerHost: an online terminal asks for the card's pending
 * scripts, gets each MAC from the office's secure module over the card's challenge, and reports
 * the card's answer, which is recorded as the PIN change's result. The terminal knows nothing of
 * the registry; the registry knows nothing of the terminal's card.
 *
 * Only PIN change scripts are handed out here (other kinds have their own adapters). A card whose
 * identifier is not the registry's gets none: its keys would not be the ones the script was
 * enciphered for.
 */

const HEADER = '845E0100';

function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9A-F]{2})*$/i.test(hex)) throw new OfficeArgumentError('script payload: not hex');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

interface HostScript extends IssuerScriptCommand {
  readonly scriptId: number;
  readonly cardNumber: string;
  readonly payload: PinChangePayload;
}

export class OfficeIssuerHost implements IssuerHost {
  /** The scripts this host handed out: only those get a MAC or take a report. */
  private readonly handedOut = new Map<string, HostScript>();

  constructor(
    private readonly registry: Registry,
    private readonly psam: PinChangeSecureModule,
    /** The online terminal's context (role pos, window or bank): reports are recorded under it. */
    private readonly ctx: OperationContext,
  ) {}

  async scriptsFor(card: ScriptCard): Promise<IssuerScriptCommand[]> {
    let found;
    try {
      found = await this.registry.cardStatus(card.cardNumber);
    } catch (err) {
      if (err instanceof CardNotFoundError) return [];
      throw err;
    }
    if (found.cardIdentifier !== card.cardIdentifier) return [];
    const pending = await this.registry.pendingScripts(found.cardNumber);
    const scripts: IssuerScriptCommand[] = [];
    for (const s of pending) {
      if (s.kind !== PIN_CHANGE_KIND) continue;
      const payload = s.payload as unknown as PinChangePayload;
      if (payload.header !== HEADER || payload.cardIdentifier !== card.cardIdentifier) continue;
      const script: HostScript = {
        id: String(s.id),
        kind: s.kind,
        application: 'ssse',
        command: {
          cla: CLA.PROPRIETARY_SM,
          ins: INS.CHANGE_PIN,
          p1: 0x01,
          p2: 0x00,
          data: fromHex(payload.cryptogram),
        },
        scriptId: s.id,
        cardNumber: found.cardNumber,
        payload,
      };
      this.handedOut.set(script.id, script);
      scripts.push(script);
    }
    return scripts;
  }

  async macFor(script: IssuerScriptCommand, challenge: Uint8Array): Promise<Uint8Array> {
    const mine = this.handedOut.get(script.id);
    if (mine === undefined) throw new OfficeArgumentError(`script ${script.id} was not handed out by this host`);
    // Still pending? A change replaced or expired since it was handed out gets no MAC.
    const pending = await this.registry.pendingScripts(mine.cardNumber);
    if (!pending.some((s) => s.id === mine.scriptId))
      throw new OfficeArgumentError(`script ${script.id} is no longer pending`);
    const command = mine.command;
    return this.psam.commandMac({
      key: 'PIN_CHANGE',
      algorithm: mine.payload.algorithm,
      cardIdentifier: mine.payload.cardIdentifier,
      header: Uint8Array.of(command.cla, command.ins, command.p1, command.p2),
      data: command.data,
      challenge,
    });
  }

  async report(script: IssuerScriptCommand, outcome: ScriptOutcome): Promise<void> {
    const mine = this.handedOut.get(script.id);
    if (mine === undefined) throw new OfficeArgumentError(`script ${script.id} was not handed out by this host`);
    await this.registry.recordPinChangeResult(this.ctx, { scriptId: mine.scriptId, report: outcome });
  }
}
