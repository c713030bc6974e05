import { fromHex } from '../apdu/index.js';

/*
 * Names the card answers to when selected by name, shared by the simulator (which personalizes
 * them) and the terminal SDK (which selects them), so both sides use the same bytes.
 */

/** GBK bytes of "sx1.sh.社会保障", the SSSE DF name (card profile §2). */
export const SSSE_DF_NAME: Uint8Array = fromHex('7378312E73682EC9E7BBE1B1A3D5CF');
/** AID of the bank (financial) application on financial cards (card profile §5). */
export const BANK_AID: Uint8Array = fromHex('A000000333010101');
