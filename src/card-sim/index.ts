// ---- card OS, file tree, state, ATR ------------------------------------------------------
export { SimulatedCard } from './card.js';
export type { SimulatedCardOptions, TransmissionProtocol } from './card.js';
export type { CardObservation, CardObserver, ObservedCommand, ObservedResponse, PowerChange } from './observer.js';
// The base class of every error this area throws (defined in apdu), so callers of this entry point
// can catch all of them without importing another.
export { SscardError } from '../apdu/index.js';
export { CardTreeError, ImageFormatError, AtrParseError, CardConfigError } from './errors.js';
export type { ImageProblemKind } from './errors.js';
export {
  ALWAYS,
  NEVER,
  afterPin,
  afterKey,
  afterPinAndKey,
  afterPinOrKey,
  afterKeyWithMac,
  describeAccess,
} from './fs/access.js';
export type { AccessCondition, AccessConditionKind } from './fs/access.js';
export { CardKey, KEY_USAGES } from './fs/keys.js';
export type { CardAlgorithm, CardKeyAlgorithm, KeyUsage, CardKeyOptions } from './fs/keys.js';
export { CardPin } from './fs/pins.js';
export type { CardPinOptions, PinFormat } from './fs/pins.js';
export { MasterFile, DedicatedFile, MF_FID, APPLICATION_BLOCKS } from './fs/nodes.js';
export {
  ElementaryFile,
  TransparentFile,
  RecordFile,
  LinearFixedFile,
  LinearVariableFile,
  CyclicFile,
  createElementaryFile,
} from './fs/elementary-files.js';
export { EF_STRUCTURES } from './fs/ef-options.js';
export type { EfStructure, EfOptions } from './fs/ef-options.js';
export type { DfOptions, MasterFileOptions, FileNode, ApplicationBlock, DurableChange } from './fs/nodes.js';
export {
  exportState,
  importState,
  CARD_STATE_FORMAT,
  CARD_STATE_VERSION,
  CARD_STATE_READABLE_VERSIONS,
  MAX_DF_DEPTH,
  MAX_FILES,
} from './state/index.js';
export type { CardState, DfState, EfState, PinState, KeyState } from './state/index.js';
export { applyStateDelta } from './state/delta.js';
export type { CardStateDelta } from './state/delta.js';
export { buildAtr, parseAtr, validateAtr, ATR_VARIANTS } from './atr.js';
export type { AtrVariant, ParsedAtr, AtrInterfaceGroup } from './atr.js';
export { INS_TABLE } from './os/table.js';
export type { InsEntry } from './os/table.js';
export type { CardLogger } from './os/processor.js';
export type { CommandHandler, HandlerResult, CardCommand } from './os/context.js';
// What a CommandHandler is handed (named here so handler code and the API reference can name it).
export type { CardContext } from './os/context.js';
// ---- end of card OS section ---------------------------------------------------------------

// ---- SSC profile: personalization, sample people, tree builder, card images ------------------
export {
  PersonalizationError,
  PERSONALIZATION_DEFAULTS,
  validatePersonalization,
  parsePersonalizationJson,
  jsonSyntaxProblem,
} from './profiles/personalization.js';
export type {
  PersonalizationDocument,
  ResolvedPersonalization,
  SpecVersion,
  PersonData,
  CardData,
  PinSettings,
  BankPinSettings,
  HealthData,
} from './profiles/personalization.js';
export { SAMPLE_PEOPLE, samplePerson, citizenIdCheckDigit, isValidCitizenId } from './profiles/people.js';
export type { SamplePerson } from './profiles/people.js';
export {
  citizenId,
  citizenIdProblem,
  citizenIdBirthDate,
  citizenIdSex,
  isRegionCode,
  luhnCheckDigit,
  isValidPan,
} from './profiles/ssc-ids.js';
export {
  buildSscTree,
  buildSscCard,
  buildSscTreeFrom,
  buildSscCardFrom,
  sscAlgorithm,
  atrCardBytesOf,
  SSSE_DF_NAME,
  BANK_AID,
  SSC_FIDS,
  SSC_PINS,
} from './profiles/ssc.js';
export type { SscCardOptions } from './profiles/ssc.js';
export { inspectSscTree, sscSpecOf, findSsse } from './profiles/ssc-inspect.js';
export type { SscCardReport, PinReport } from './profiles/ssc-inspect.js';
export { saveCardImage, loadCardImage, openCardImage, closeCardImage } from './image.js';
export type { LoadCardImageOptions, OpenCardImageOptions } from './image.js';
export { readCardImage, REFUSE_UNSEALED_ENV } from './image-access.js';
export type { CardImageKeyOptions } from './image-access.js';
export { CardImageError } from './image-errors.js';
export type { CardImageErrorCode, CardImageLockHolder } from './image-errors.js';
export { CARD_IMAGE_FORMAT, CARD_IMAGE_VERSION, MAX_CARD_IMAGE_BYTES } from './image-format.js';
export type { CardImage } from './image-format.js';
export { lockCardImage, cardImageLockPath, CARD_IMAGE_LOCK_TIMEOUT_MS } from './image-lock.js';
export type { CardImageLock, CardImageLockOptions } from './image-lock.js';
export { MAX_IMAGE_LOG_BYTES } from './image-log.js';
export { ImageKey, ImageKeyError, IMAGE_KEY_ENV, IMAGE_KEY_BYTES, imageKeyFile, resolveImageKey } from './image-key.js';
export type { ResolveImageKeyOptions } from './image-key.js';
export { setCardImageField, CARD_IMAGE_FIELDS } from './image-set.js';
export type { CardImageFieldChange, SetCardImageFieldOptions } from './image-set.js';
// ---- end of SSC profile section --------------------------------------------------------------
