import { errorFamilyClass } from '../apdu/index.js';

/** Codes of InspectorError. */
export type InspectorErrorCode =
  | 'INSPECTOR_ASSET_MISSING'
  | 'INSPECTOR_ACTION_REFUSED'
  | 'INSPECTOR_ACTION_INVALID'
  | 'INSPECTOR_ACTION_UNKNOWN'
  | 'INSPECTOR_LISTEN';

/** A problem of the card inspector (its page, its server or a developer action); `code` is stable. */
export class InspectorError extends errorFamilyClass<InspectorErrorCode>() {}
