import { CLA, findTlv, getData, parseBerTlv, verify } from '../../apdu/index.js';
import { encodePinBlockFormat2 } from '../../pin/index.js';
import { SSC_PINS } from '../../records/index.js';
import { CardDataError } from '../errors.js';
import type { SscCard } from '../ssc-card.js';
import type { AbortOptions } from '../abort.js';
import { readPbocAccount, type BankAccount } from './pboc.js';
import { sendPinCommand } from './pin.js';
import { cardData } from './records.js';
import { sessionOf, type SscSession } from './session.js';
import { refuseListedBank } from '../blacklist/screen.js';

/** EMV/PBOC tag of the PIN try counter, read with GET DATA. */
const PIN_TRY_COUNTER_TAG = 0x9f17;

/** The financial application of a financial card (card profile §5). */
export class BankApplication {
  private readonly session: SscSession;

  /** The bank application of `card`; SscCard makes one as `card.bank`. */
  constructor(card: SscCard) {
    this.session = sessionOf(card);
  }

  /**
   * SELECT A000000333010101, VERIFY 00 20 00 80 08 <ISO 9564 format-2 PIN block>. A bank side
   * listed on the blacklist SscCard.open checked is refused first (CardBlacklistedError).
   */
  verifyPin(pin: string | Uint8Array): Promise<void> {
    return this.session.exclusive(async (s) => {
      refuseListedBank(this.session);
      await this.session.goTo(s, 'bank');
      await sendPinCommand(s, verify(SSC_PINS.bank.reference, encodePinBlockFormat2(pin)));
    });
  }

  /**
   * The account the PBOC (UnionPay) way, as a payment terminal reads it: PSE `1PAY.SYS.DDF01`,
   * its directory, SELECT of the AID, GET PROCESSING OPTIONS, then the records the AFL names; see
   * ssc/pboc.ts. Free to read (no PIN). A card without a bank application is FileNotFoundError.
   */
  readAccount(opts?: AbortOptions): Promise<BankAccount> {
    return this.session.exclusive(async (s) => {
      // The PSE and AID selections move the card; the next goTo selects what it needs again.
      this.session.forgetLocation();
      return readPbocAccount(s);
    }, opts);
  }

  /** GET DATA 80 CA 9F 17: the bank PIN try counter. */
  pinTriesLeft(): Promise<number> {
    return this.session.exclusive(async (s) => {
      await this.session.goTo(s, 'bank');
      const data = await s.send(getData(PIN_TRY_COUNTER_TAG, CLA.PROPRIETARY));
      const value = cardData('GET DATA 9F17', () => findTlv(parseBerTlv(data), PIN_TRY_COUNTER_TAG)?.value);
      if (value?.length !== 1) throw new CardDataError('GET DATA 9F17: no one-byte PIN try counter in the answer');
      return value[0] as number;
    });
  }
}
