import {
  concatBytes,
  decodeCla,
  decodeCommand,
  encodeCommand,
  getResponse,
  isPinCommand,
  swInfo,
  withChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../apdu/index.js';
import { CardProtocolError } from './errors.js';

/*
 * T=0 response handling, once for every transport: a 6Cxx answer resent with the exact Le, then
 * the 61xx GET RESPONSE chain, bounded in rounds and in bytes.
 */

/** The bounds of one command's response. */
export interface ResponseLimits {
  /** Most GET RESPONSE commands after one command. */
  maxRounds: number;
  /** Most response data bytes one command may gather. */
  maxBytes: number;
}

/** One command's final response: `exchange` sends bytes to the card and returns its answer. */
export async function completeResponse(
  bytes: Uint8Array,
  exchange: (bytes: Uint8Array) => Promise<ResponseApdu>,
  limits: ResponseLimits,
): Promise<ResponseApdu> {
  let response = await exchange(bytes);
  // Most answers are final: no 6Cxx resend, no 61xx chain, nothing to gather.
  if (response.sw1 !== 0x61 && response.sw1 !== 0x6c) return response;
  const wrongLe = swInfo(response.sw).correctLe;
  if (wrongLe !== undefined && response.data.length === 0) {
    const resend = withLe(bytes, wrongLe);
    if (resend !== undefined) {
      try {
        response = await exchange(resend);
      } finally {
        // A resent PIN command is a second copy of the PIN: wiped as the channel wipes the first.
        if (isPinCommand(resend)) resend.fill(0);
      }
    }
  }

  const chunks: Uint8Array[] = [response.data];
  let total = response.data.length;
  const claInfo = decodeCla(bytes[0] ?? 0);
  const getResponseCla = withChannel(0x00, claInfo.valid ? claInfo.channel : 0);
  let rounds = 0;
  let nextLe = swInfo(response.sw).bytesAvailable;
  while (nextLe !== undefined) {
    rounds++;
    if (rounds > limits.maxRounds) {
      throw new CardProtocolError(`card asked for more than ${limits.maxRounds} GET RESPONSE commands`, response.sw);
    }
    response = await exchange(encodeCommand(getResponse(nextLe, getResponseCla)));
    total += response.data.length;
    if (total > limits.maxBytes) {
      throw new CardProtocolError(`card returned more than ${limits.maxBytes} response bytes`, response.sw);
    }
    chunks.push(response.data);
    // 61xx: more waiting; 6Cxx without data: the GET RESPONSE itself needs the exact Le.
    const info = swInfo(response.sw);
    nextLe = info.bytesAvailable ?? (response.data.length === 0 ? info.correctLe : undefined);
  }
  const data = chunks.length === 1 ? response.data : concatBytes(...chunks);
  return { data, sw1: response.sw1, sw2: response.sw2, sw: response.sw };
}

/** The same command with Ne replaced, or undefined when the bytes are not a valid APDU. */
function withLe(bytes: Uint8Array, ne: number): Uint8Array | undefined {
  let decoded;
  try {
    decoded = decodeCommand(bytes);
  } catch {
    return undefined;
  }
  const cmd: CommandApdu = {
    cla: decoded.cla,
    ins: decoded.ins,
    p1: decoded.p1,
    p2: decoded.p2,
    data: decoded.data,
    ne,
  };
  if (decoded.extended) cmd.extended = true;
  return encodeCommand(cmd);
}
