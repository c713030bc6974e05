// The issuer's card operations (service window, bank branch) over an open SscCard.
export { IssuerTerminal } from './issuer-terminal.js';
export type { IssuerTerminalOptions, CardholderCorrection } from './issuer-terminal.js';
export {
  IssuerKeyMissingError,
  CardAlgorithmUnknownError,
  IssuerMacRejectedError,
  IssuerKeyBlockedError,
  CardKeyMissingError,
  BankPinMismatchError,
  NoBankApplicationError,
  HolderMismatchError,
} from './errors.js';
