/**
 * Access conditions guard reading and writing an EF. A PIN is named by its id ('app', 'bank') and
 * a key by its number; both are looked up in the nearest DF, walking up from the EF, that owns
 * one with that name.
 */
export type AccessCondition =
  | { kind: 'always' }
  | { kind: 'never' }
  | { kind: 'pin'; pin: string }
  | { kind: 'key'; keyId: number }
  | { kind: 'pin-and-key'; pin: string; keyId: number }
  /** Either one suffices: SSSE DF01..DF04 are read "after PIN (or key)". */
  | { kind: 'pin-or-key'; pin: string; keyId: number }
  /**
   * Write condition: EXTERNAL AUTHENTICATE with key `keyId` succeeded since the last reset, AND
   * the command itself comes with secure messaging (CLA 04) whose MAC, made with that same key
   * over the pending challenge, the card checked (see os/secure-messaging). A plain command never
   * satisfies it; reads have no secure messaging, so it is refused as a read condition.
   */
  | { kind: 'key-and-mac'; keyId: number };

export type AccessConditionKind = AccessCondition['kind'];

/** Free access. */
export const ALWAYS: AccessCondition = Object.freeze({ kind: 'always' });
/** No access through APDUs at all (personalization only). */
export const NEVER: AccessCondition = Object.freeze({ kind: 'never' });

/** Access after the PIN with this id has been verified since the last reset. */
export function afterPin(pin: string): AccessCondition {
  return { kind: 'pin', pin };
}

/** Access after EXTERNAL AUTHENTICATE with this key number succeeded since the last reset. */
export function afterKey(keyId: number): AccessCondition {
  return { kind: 'key', keyId };
}

/** Access after both the PIN and the key. */
export function afterPinAndKey(pin: string, keyId: number): AccessCondition {
  return { kind: 'pin-and-key', pin, keyId };
}

/** Access after either the PIN or the key. */
export function afterPinOrKey(pin: string, keyId: number): AccessCondition {
  return { kind: 'pin-or-key', pin, keyId };
}

/**
 * Write access after EXTERNAL AUTHENTICATE with this key number, in a command with secure
 * messaging whose MAC is made with the same key (SSC DF10 health writes).
 */
export function afterKeyWithMac(keyId: number): AccessCondition {
  return { kind: 'key-and-mac', keyId };
}

/**
 * The key whose MAC a write sent with secure messaging carries: the key the condition names, or
 * undefined when it names none (then the card cannot check a MAC for that file).
 */
export function macKeyIdOf(cond: AccessCondition): number | undefined {
  switch (cond.kind) {
    case 'key':
    case 'pin-and-key':
    case 'pin-or-key':
    case 'key-and-mac':
      return cond.keyId;
    default:
      return undefined;
  }
}

/** A readable one-line form, e.g. "pin:app", "key:3", "pin:app+key:5", "key:3+mac", "always". */
export function describeAccess(cond: AccessCondition): string {
  switch (cond.kind) {
    case 'always':
    case 'never':
      return cond.kind;
    case 'pin':
      return `pin:${cond.pin}`;
    case 'key':
      return `key:${cond.keyId}`;
    case 'pin-and-key':
      return `pin:${cond.pin}+key:${cond.keyId}`;
    case 'pin-or-key':
      return `pin:${cond.pin}|key:${cond.keyId}`;
    case 'key-and-mac':
      return `key:${cond.keyId}+mac`;
  }
}
