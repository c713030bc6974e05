import { samplePerson } from '../../src/card-sim/index.js';
import type { CardInfo, Cardholder } from '../../src/terminal/index.js';

/*
 * What SscCard reads back from the sample card of zhang-wei (a spec 2.00 card of region 110105),
 * over any transport: the card issuer data of EF05 and the cardholder of EF06.
 */

const doc = samplePerson('zhang-wei');

export const ZHANG_WEI_CARD_INFO: CardInfo = {
  cardIdentifier: doc.card.identifier,
  regionCode: '110105',
  cardType: doc.card.type,
  specVersion: '2.00',
  initializingOrg: doc.card.initializingOrg,
  issueDate: doc.card.issueDate,
  expiryDate: doc.card.expiryDate,
  cardNumber: 'A10500031',
};

export const ZHANG_WEI_CARDHOLDER: Cardholder = {
  idNumber: doc.person.idNumber,
  name: '张伟',
  sex: 'male',
  sexCode: '1',
  ethnicity: '01',
  birthplace: '110105',
  birthDate: '1985-03-12',
};
