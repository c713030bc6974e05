import {
  externalAuthenticate,
  getChallenge,
  secureMessagingHeader,
  withMac,
  type CommandApdu,
} from '../../apdu/index.js';
import { SSC_KEYS, type SscKeyName } from '../../keys/index.js';
import type { CardSession } from '../channel.js';
import { CardDataError } from '../errors.js';
import type { SscSession } from './session.js';

/*
 * The terminal's side of the card's key-based access: external authentication with a key of the
 * secure module, and commands sent with secure messaging (a MAC made by the secure module). Used by
 * the 3.00 cardholder read (RKSSSE) and the health writes; issuer operations build on the same.
 */

/** Challenge length the terminal asks for (fine for both algorithms: SM4 pads it to its block). */
const CHALLENGE_LENGTH = 8;

/** GET CHALLENGE `00 84 00 00 08`; an answer of another length is the card's error (CardDataError). */
export async function cardChallenge(s: CardSession): Promise<Uint8Array> {
  const challenge = await s.send(getChallenge(CHALLENGE_LENGTH));
  if (challenge.length !== CHALLENGE_LENGTH) {
    throw new CardDataError(`GET CHALLENGE answered ${challenge.length} bytes, expected ${CHALLENGE_LENGTH}`);
  }
  return challenge;
}

/** Whether the session's secure module holds `key` and the card's algorithm is known. */
export function canAuthenticate(session: SscSession, key: SscKeyName): boolean {
  return session.psam !== undefined && session.algorithm !== undefined && session.psam.hasKey(key);
}

/** GET CHALLENGE, then EXTERNAL AUTHENTICATE with the secure module's cryptogram, in the current DF. */
export async function authenticate(session: SscSession, s: CardSession, key: SscKeyName): Promise<void> {
  const { psam, algorithm } = session;
  if (psam === undefined || algorithm === undefined) {
    throw new CardDataError('external authentication needs a secure module and a known card algorithm');
  }
  const cardIdentifier = await session.identifier(s);
  const challenge = await cardChallenge(s);
  const cryptogram = await psam.externalAuthenticate({ key, algorithm, cardIdentifier, challenge });
  await s.send(externalAuthenticate(SSC_KEYS[key].kid, cryptogram));
}

/**
 * Sends `command` with secure messaging: GET CHALLENGE, then the command with CLA 04 and the
 * secure module's 4-byte MAC (key `key`, over CLA INS P1 P2 || Lc || data, IV = that challenge)
 * appended to its data. Needs a known card algorithm and identifier (external authentication
 * has established both).
 */
export async function sendWithMac(
  session: SscSession,
  s: CardSession,
  key: SscKeyName,
  command: CommandApdu,
): Promise<Uint8Array> {
  const { psam, algorithm } = session;
  if (psam === undefined || algorithm === undefined) {
    throw new CardDataError('secure messaging needs a secure module and a known card algorithm');
  }
  const cardIdentifier = await session.identifier(s);
  const header = secureMessagingHeader(command);
  const challenge = await cardChallenge(s);
  const mac = await psam.commandMac({ key, algorithm, cardIdentifier, header, data: command.data, challenge });
  return s.send(withMac(command, mac));
}
