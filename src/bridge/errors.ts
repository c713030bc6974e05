import { errorFamilyClass } from '../apdu/index.js';

/** Stable codes of the vpcd bridge's errors. */
export type VpcdErrorCode =
  /** A payload longer than 65535 bytes cannot be framed (the length field has 16 bits). */
  | 'VPCD_FRAME_TOO_LONG'
  /** Bad options given to the bridge (port out of range, missing card, ...). */
  | 'VPCD_OPTIONS'
  /** The first connection to the vpcd reader did not come up within `connectTimeoutMs`. */
  | 'VPCD_CONNECT_TIMEOUT'
  /** The first connection failed and reconnecting is switched off. */
  | 'VPCD_CONNECT_FAILED'
  /** Connected, but the reader never talked to the card within the wait's timeout. */
  | 'VPCD_ATTACH_TIMEOUT'
  /** The operation needs an open bridge, and it was closed. */
  | 'VPCD_CLOSED';

/** Error of the vpcd bridge; `code` says which failure it is. */
export class VpcdError extends errorFamilyClass<VpcdErrorCode>() {}
