import { SSC_EF05_ITEMS, SSC_EF06_ITEMS, SSC_EF0D, SSC_SFIS, type SscItem } from '../../records/index.js';
import type { AbortOptions } from '../abort.js';
import type { CardSession } from '../channel.js';
import { RecordNotFoundError, SecureModuleRequiredError, SecurityStatusError } from '../errors.js';
import { authenticate, canAuthenticate } from './auth.js';
import { readItem, sscItem } from './records.js';
import type { SscSession } from './session.js';

export interface CardInfo {
  /** 卡识别码 (EF05 tag 01). */
  cardIdentifier: string;
  /** First 6 digits of the card identifier. */
  regionCode: string;
  cardType: string;
  /** '2.00' or '3.00'. */
  specVersion: string;
  initializingOrg: string;
  /** ISO dates. */
  issueDate: string;
  expiryDate: string;
  cardNumber: string;
  /**
   * 3.00 cards, SSSE/EF0D record 1 (tag EA): 人员识别号, the person identifier. Read when the
   * secure module holds the EF0D key (RKEF0D, key 0D); absent otherwise, and on 2.00 cards.
   */
  personId?: string;
  /** 3.00 cards, SSSE/EF0D record 2 (tag EB): 初次申请地代码, the region code of the first application. */
  firstApplicationRegion?: string;
}

export type Sex = 'male' | 'female' | 'unknown';

export interface Cardholder {
  /** Social security number (= citizen ID number). */
  idNumber: string;
  /** Name with the name extension (EF06 tag 4E) appended. */
  name: string;
  sex: Sex;
  /** The raw sex code ('1' male, '2' female). */
  sexCode: string;
  /** GB 3304 ethnicity code, e.g. '01'. */
  ethnicity: string;
  /** Region code of the birthplace. */
  birthplace: string;
  /** ISO date. */
  birthDate: string;
}

/** SSSE's free files: EF05 card issuer data and EF06 cardholder data. */
export class CardholderFiles {
  constructor(private readonly session: SscSession) {}

  /**
   * EF05: card issuer data (free read; record number = tag). Remembers the card identifier. On a
   * 3.00 card whose secure module holds RKEF0D, also EF0D (after external authentication with
   * key 0D): personId and firstApplicationRegion.
   */
  readCardInfo(opts?: AbortOptions): Promise<CardInfo> {
    return this.session.exclusive(async (s) => {
      await this.session.goTo(s, 'ssse');
      const values: Record<string, string> = {};
      for (const it of SSC_EF05_ITEMS) values[it.key] = await readItem(s, SSC_SFIS.EF05, it.record, it);
      const info: CardInfo = {
        cardIdentifier: values.cardIdentifier ?? '',
        regionCode: (values.cardIdentifier ?? '').slice(0, 6),
        cardType: values.cardType ?? '',
        specVersion: values.specVersion ?? '',
        initializingOrg: values.initializingOrg ?? '',
        issueDate: values.issueDate ?? '',
        expiryDate: values.expiryDate ?? '',
        cardNumber: values.cardNumber ?? '',
      };
      this.session.rememberIdentifier(info.cardIdentifier);
      if (this.session.specVersion === '3.00' && canAuthenticate(this.session, 'RKEF0D')) {
        await authenticate(this.session, s, 'RKEF0D');
        info.personId = await readItem(s, SSC_SFIS.EF0D, 1, sscItem(SSC_EF0D.records as SscItem[], 'personId'));
        info.firstApplicationRegion = await readItem(
          s,
          SSC_SFIS.EF0D,
          2,
          sscItem(SSC_EF0D.records as SscItem[], 'firstApplicationRegion'),
        );
      }
      return info;
    }, opts);
  }

  /**
   * EF06: cardholder data. Free on 2.00 cards; on 3.00 cards the card wants external
   * authentication with RKSSSE first, done here when the secure module holds that key. Without
   * that key a 3.00 card is SecureModuleRequiredError before anything is sent; a card of another
   * version that refuses EF06 (6982) is the same error after the refusal.
   */
  readCardholder(opts?: AbortOptions): Promise<Cardholder> {
    return this.session.exclusive(async (s) => {
      const hasKey = this.session.psam?.hasKey('RKSSSE') === true;
      if (this.session.specVersion === '3.00' && !hasKey) throw this.rkssseRequired("this 3.00 card's");
      await this.session.goTo(s, 'ssse');
      try {
        return await readCardholderRecords(s);
      } catch (error) {
        if (!(error instanceof SecurityStatusError)) throw error;
        if (!hasKey) throw this.rkssseRequired(`this ${this.session.specVersion} card's`, error);
        if (!canAuthenticate(this.session, 'RKSSSE')) {
          throw new SecurityStatusError(error.sw, {
            command: error.command ?? 'READ RECORD',
            hint: 'the card did not announce its algorithm (SSSE FCI 9F0C), so the secure module cannot authenticate',
          });
        }
        await authenticate(this.session, s, 'RKSSSE');
        return readCardholderRecords(s);
      }
    }, opts);
  }

  private rkssseRequired(whose: string, cause?: SecurityStatusError): SecureModuleRequiredError {
    const psam = this.session.psam;
    const why =
      psam === undefined ? 'the card was opened without a secure module' : 'the secure module holds no RKSSSE key';
    return new SecureModuleRequiredError(
      'RKSSSE',
      `${whose} cardholder file (EF06) needs external authentication with RKSSSE, and ${why}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

async function readCardholderRecords(s: CardSession): Promise<Cardholder> {
  const values: Record<string, string> = {};
  for (const it of SSC_EF06_ITEMS) {
    try {
      values[it.key] = await readItem(s, SSC_SFIS.EF06, it.record, it);
    } catch (error) {
      // Cards personalised without a name extension may not have its record.
      if (!(it.key === 'nameExtension' && error instanceof RecordNotFoundError)) throw error;
      values[it.key] = '';
    }
  }
  const sexCode = values.sex ?? '';
  return {
    idNumber: values.socialSecurityNumber ?? '',
    name: (values.name ?? '') + (values.nameExtension ?? ''),
    sex: sexCode === '1' ? 'male' : sexCode === '2' ? 'female' : 'unknown',
    sexCode,
    ethnicity: values.ethnicity ?? '',
    birthplace: values.birthplace ?? '',
    birthDate: values.birthDate ?? '',
  };
}
