// The 12333 hotline: the voice menu (a pure state machine), its prompts, the call driver, the
// office service behind it, and the office's IssuerHost that online terminals apply scripts through.
export { HotlineMenu, MAX_TRIES, isKey } from './menu.js';
export type {
  Key,
  MenuStep,
  MenuEffect,
  EffectAnswer,
  MenuOptions,
  IdentifyResult,
  QueueResult,
  LossResult,
  PinChangeNotice,
} from './menu.js';
export { renderPrompt, PROMPT_IDS } from './prompts.js';
export type { Lang, Prompt, PromptId, PromptParams } from './prompts.js';
export { HotlineCall, HotlineKeysError, parseKeys, runScriptedCall } from './call.js';
export type { CallOutput, HotlineCallOptions } from './call.js';
export { RegistryHotlineService, noticesFor } from './service.js';
export type { HotlineService, HotlinePinChangeRequest, RegistryHotlineOptions } from './service.js';
export { OfficeIssuerHost } from './issuer-host.js';
