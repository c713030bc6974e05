// Fixed-record layouts and TLV items of the SSC files, shared by the card simulator (to write them)
// and the terminal SDK (to read them). Imports apdu only.
// The base class of every error this area throws (defined in apdu), so callers of this entry point
// can catch all of them without importing another.
export { SscardError } from '../apdu/index.js';
export { FixedRecordLayout, RecordLayoutError } from './layout.js';
export type { FieldFormat, FieldSpec, RecordOf } from './layout.js';
export {
  WORK_RECORD_LAYOUT,
  WORK_RECORD_LENGTH,
  WORK_RECORD_COUNT,
  encodeWorkRecord,
  decodeWorkRecord,
} from './work-record.js';
export type { WorkRecord } from './work-record.js';
export {
  ABO_CODES,
  RH_CODES,
  HEALTH_FLAGS,
  HEALTH_BASICS_RECORD_COUNT,
  HEALTH_ABO_RECORD,
  HEALTH_RH_RECORD,
  HEALTH_WARNING_RECORD,
  HEALTH_WARNING_LENGTH,
  healthBasicsRecordLength,
  encodeHealthBasics,
  decodeHealthBasics,
  healthInfoOf,
  CONTRAINDICATION_LAYOUT,
  CONTRAINDICATION_LENGTH,
  MEDICAL_HISTORY_LAYOUT,
  MEDICAL_HISTORY_LENGTH,
  DEFAULT_CONTRAINDICATION_CAPACITY,
  DEFAULT_MEDICAL_HISTORY_CAPACITY,
  encodeContraindication,
  decodeContraindication,
  encodeMedicalHistory,
  decodeMedicalHistory,
} from './health.js';
export type {
  AboCode,
  RhCode,
  HealthFlagName,
  HealthFlags,
  HealthBasics,
  HealthInfo,
  AboBloodType,
  RhBloodType,
  Contraindication,
  MedicalHistoryEntry,
} from './health.js';
export {
  INSURANCE_TYPES,
  INSURANCE_STATUS_CODES,
  INSURANCE_RECORD_LAYOUT,
  INSURANCE_RECORD_LENGTH,
  NOT_INSURED,
  encodeInsuranceParticipation,
  decodeInsuranceParticipation,
} from './insurance.js';
export type { InsuranceType, InsuranceStatusCode, InsuranceParticipation } from './insurance.js';
export {
  SSSE_DF_NAME,
  BANK_AID,
  PSE_DF_NAME,
  PKI_DF_NAME,
  PKI_CERT_ADF_NAME,
  SSC_FIDS,
  SSC_SFIS,
  SSC_PINS,
} from './ssc-ids.js';
export {
  citizenIdCheckDigit,
  isValidCitizenId,
  citizenIdProblem,
  citizenIdBirthDate,
  citizenIdSex,
  citizenId,
  isProvinceCode,
  isRegionCode,
  luhnCheckDigit,
  isValidPan,
} from './identifiers.js';
export {
  SSC_EF05_ITEMS,
  SSC_EF06_ITEMS,
  SSC_NAME_LENGTH,
  SSC_NAME_EXTENSION_LENGTH,
  encodeSscItem,
  decodeSscItem,
  encodeCardIdentifier,
  decodeCardIdentifier,
  splitSscName,
} from './ssc-items.js';
export {
  SSC_EF0D,
  SSC_DF01_FILES,
  SSC_DF01_TRANSPARENT,
  SSC_DF03_FILES,
  SSC_DF04_FILES,
  SSC_TLV_FILES,
  recordItems,
  sscRecordLength,
  encodeSscRecord,
  decodeSscRecord,
} from './ssc-files.js';
export type { SscTemplate, SscRecordSpec, SscTlvFile } from './ssc-files.js';
export type { SscItem, SscEf05Key, SscEf06Key } from './ssc-items.js';
