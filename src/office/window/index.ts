// The service window and the bank branch: the registry's acts with the card at the counter.
export { ServiceWindow } from './service-window.js';
export type { WindowCard, PinActResult, WindowPin } from './service-window.js';
export { RESET_PIN_RULES, DEFAULT_RESET_PIN_RULE, windowSettings } from './settings.js';
export type { ResetPinRule, ServiceWindowOptions, WindowSettings } from './settings.js';
export { applyCorrections } from './card-making.js';
export type { MakeCard, WindowIssueInput, WindowCorrectionInput } from './card-making.js';
export {
  CardHolderMismatchError,
  CardIdentityMismatchError,
  OtherCardPresentedError,
  CardApplicationBlockedError,
  NewPinRefusedError,
  BankPinRefusedError,
  PinNotLockedError,
  PinStateChangedError,
  PersonalizationChangedError,
  CardChangedNotRecordedError,
} from './errors.js';
