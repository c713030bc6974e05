import {
  BANK_AID as RECORDS_BANK_AID,
  SSC_FIDS as RECORDS_SSC_FIDS,
  SSC_PINS as RECORDS_SSC_PINS,
  SSSE_DF_NAME as RECORDS_SSSE_DF_NAME,
  citizenId as recordsCitizenId,
  citizenIdBirthDate as recordsCitizenIdBirthDate,
  citizenIdCheckDigit as recordsCitizenIdCheckDigit,
  citizenIdProblem as recordsCitizenIdProblem,
  citizenIdSex as recordsCitizenIdSex,
  isRegionCode as recordsIsRegionCode,
  isValidCitizenId as recordsIsValidCitizenId,
  isValidPan as recordsIsValidPan,
  luhnCheckDigit as recordsLuhnCheckDigit,
} from '../../records/index.js';

/*
 * The SSC identifiers (file ids, DF names, AIDs, PIN references) and the checks of the identifiers
 * a card carries live in src/records, where the card and the terminal both read them. The
 * simulator's entry point has always exported these names, so they stay here as aliases.
 */

/** @deprecated Use SSSE_DF_NAME from sscard/records. */
export const SSSE_DF_NAME: Uint8Array = RECORDS_SSSE_DF_NAME;
/** @deprecated Use BANK_AID from sscard/records. */
export const BANK_AID: Uint8Array = RECORDS_BANK_AID;
/** @deprecated Use SSC_FIDS from sscard/records. */
export const SSC_FIDS: typeof RECORDS_SSC_FIDS = RECORDS_SSC_FIDS;
/** @deprecated Use SSC_PINS from sscard/records. */
export const SSC_PINS: typeof RECORDS_SSC_PINS = RECORDS_SSC_PINS;

/** @deprecated Use citizenIdCheckDigit from sscard/records. */
export const citizenIdCheckDigit: typeof recordsCitizenIdCheckDigit = recordsCitizenIdCheckDigit;
/** @deprecated Use isValidCitizenId from sscard/records. */
export const isValidCitizenId: typeof recordsIsValidCitizenId = recordsIsValidCitizenId;
/** @deprecated Use citizenId from sscard/records. */
export const citizenId: typeof recordsCitizenId = recordsCitizenId;
/** @deprecated Use citizenIdProblem from sscard/records. */
export const citizenIdProblem: typeof recordsCitizenIdProblem = recordsCitizenIdProblem;
/** @deprecated Use citizenIdBirthDate from sscard/records. */
export const citizenIdBirthDate: typeof recordsCitizenIdBirthDate = recordsCitizenIdBirthDate;
/** @deprecated Use citizenIdSex from sscard/records. */
export const citizenIdSex: typeof recordsCitizenIdSex = recordsCitizenIdSex;
/** @deprecated Use isRegionCode from sscard/records. */
export const isRegionCode: typeof recordsIsRegionCode = recordsIsRegionCode;
/** @deprecated Use luhnCheckDigit from sscard/records. */
export const luhnCheckDigit: typeof recordsLuhnCheckDigit = recordsLuhnCheckDigit;
/** @deprecated Use isValidPan from sscard/records. */
export const isValidPan: typeof recordsIsValidPan = recordsIsValidPan;
