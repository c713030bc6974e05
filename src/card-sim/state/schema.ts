import * as v from 'valibot';
import { APPLICATION_BLOCKS, MF_FID } from '../fs/nodes.js';
import { kindOf, pathBelow } from '../validation.js';
import {
  ARRAY,
  OBJECT,
  fid,
  flag,
  hex,
  hexBytes,
  integer,
  looseObject,
  notIn,
  object,
  oneOf,
  text,
  type StateVersion,
} from './fields.js';
import { keyState, pinState } from './pin-key-schema.js';

/*
 * The card state (the JSON form of a whole card) as a valibot schema, and the TypeScript types it
 * gives. The schema checks every field's type, range and form and refuses fields it does not
 * know, at any depth: an image must not silently lose data at its next save. What only the tree
 * can tell (two children with one FID, a record that does not fit its file, a key of the wrong
 * size for its algorithm) is checked when the tree is rebuilt (see import.ts).
 */

/** Value of `format` in every card state. */
export const CARD_STATE_FORMAT = 'sscard-card-state';
/**
 * Current schema version. importState reads it and migrates version 1 (see importState); any
 * other version is refused.
 *
 * Version 2 (this one) differs from version 1 in: PIN policies are sealed (`initialPinVerifier`
 * instead of `initialPin` in clear), `cardBlocked` (CARD BLOCK), `applicationBlocked` on DFs
 * (APPLICATION BLOCK) and `recordLengths` on linear-variable EFs with a fixed length per record.
 *
 * The write condition kind 'key-and-mac' (secure messaging) was added to version 2 without a new
 * version (project choice): the shape of a state is unchanged, every state written before reads
 * as it did, and a build that predates the kind refuses a state holding it with a field error
 * (`...write.kind`) rather than misreading it. A version 1 state never holds it (refused). The
 * same holds for the later optional DF fields `dataObjects`, `processingOptions` and
 * `zeroIvReload` (PBOC application, RELOAD PIN), the key algorithm 'sm2' and the key usage 'sign'
 * (the PKI application's signing key, kept in `keys` like every other card key).
 */
export const CARD_STATE_VERSION = 2;

/** The schema versions importState reads (older ones are migrated). */
export const CARD_STATE_READABLE_VERSIONS: readonly number[] = [1, 2];

// ---- access conditions ---------------------------------------------------------------------

const ACCESS_KINDS = ['always', 'never', 'pin', 'key', 'pin-and-key', 'pin-or-key', 'key-and-mac'] as const;

const accessCondition = v.variant(
  'kind',
  [
    object({ kind: v.literal('always') }),
    object({ kind: v.literal('never') }),
    object({ kind: v.literal('pin'), pin: text }),
    object({ kind: v.literal('key'), keyId: integer(0, 255) }),
    object({ kind: v.literal('pin-and-key'), pin: text, keyId: integer(0, 255) }),
    object({ kind: v.literal('pin-or-key'), pin: text, keyId: integer(0, 255) }),
    object({ kind: v.literal('key-and-mac'), keyId: integer(0, 255) }),
  ],
  (issue) => (issue.path === undefined ? OBJECT : `expected one of ${ACCESS_KINDS.join(', ')}`),
);

/**
 * A read or write condition. Reads carry no secure messaging, so 'key-and-mac' is a write
 * condition only; a version 1 state never holds it.
 */
function access(use: 'read' | 'write', version: StateVersion) {
  const refusal =
    version < 2
      ? `key-and-mac is not part of a version ${version} state`
      : use === 'read'
        ? 'key-and-mac is a write condition (reads have no secure messaging)'
        : undefined;
  if (refusal === undefined) return accessCondition;
  return v.pipe(
    v.unknown(),
    v.rawCheck(({ dataset, addIssue }) => {
      const value = dataset.value as { kind?: unknown } | null;
      if (value !== null && typeof value === 'object' && value.kind === 'key-and-mac') {
        addIssue({ message: refusal, path: pathBelow(value, 'kind') });
      }
    }),
    accessCondition,
  );
}

// ---- files -----------------------------------------------------------------------------------

const RECORD_STRUCTURES = ['linear-fixed', 'linear-variable', 'cyclic'] as const;
const EF_STRUCTURE_CHOICES = ['transparent', ...RECORD_STRUCTURES] as const;

function efEntries(version: StateVersion) {
  return {
    type: v.literal('ef'),
    fid,
    sfi: v.optional(integer(1, 30)),
    label: v.optional(text),
    read: access('read', version),
    write: access('write', version),
  };
}

function transparentEf(version: StateVersion) {
  return v.pipe(
    object({
      ...efEntries(version),
      structure: v.literal('transparent'),
      size: integer(0, 0x7fff),
      data: hex,
    }),
    v.forward(
      v.check(
        (ef) => ef.data.length === ef.size * 2,
        (issue) => {
          const ef = issue.input as { size: number; data: string };
          return `expected ${ef.size} bytes (size), got ${ef.data.length / 2}`;
        },
      ),
      ['data'],
    ),
  );
}

function recordEf(version: StateVersion) {
  return v.pipe(
    object({
      ...efEntries(version),
      structure: v.picklist(RECORD_STRUCTURES),
      recordLength: integer(1, 255),
      maxRecords: integer(1, 254),
      /** Linear-variable EFs with a fixed length per record position (absent otherwise). */
      recordLengths: version >= 2 ? v.optional(v.array(integer(1, 255), ARRAY)) : notIn(version),
      records: v.array(hex, ARRAY),
    }),
    v.forward(
      v.check(
        (ef) => ef.records.length <= ef.maxRecords,
        (issue) => {
          const ef = issue.input as { records: string[]; maxRecords: number };
          return `${ef.records.length} records exceed maxRecords ${ef.maxRecords}`;
        },
      ),
      ['records'],
    ),
  );
}

/** What the `type` and `structure` of a file may be, for the message of a bad one. */
function fileKindMessage(issue: v.BaseIssue<unknown>): string {
  const key = issue.path?.[0]?.key;
  if (key === 'structure') return `expected one of ${EF_STRUCTURE_CHOICES.join(', ')}`;
  if (key === 'type') return 'expected one of df, ef';
  return OBJECT;
}

/*
 * A variant runs the option its discriminators pick directly (a nested variant's own pipe is
 * skipped), so each option carries its own checks.
 */
function efState(version: StateVersion) {
  return v.variant('structure', [transparentEf(version), recordEf(version)], fileKindMessage);
}

function dfEntries(version: StateVersion) {
  return {
    type: v.literal('df'),
    fid,
    label: v.optional(text),
    dfName: v.optional(hex),
    cryptoAlgorithm: v.optional(oneOf(['3des', 'sm4'] as const)),
    fciProprietary: v.optional(hex),
    /** Applications blocked by APPLICATION BLOCK (absent while usable). */
    applicationBlocked: version >= 2 ? v.optional(oneOf(APPLICATION_BLOCKS)) : notIn(version),
    /** GET DATA objects (BER-TLV, hex), e.g. a PBOC application's ATC. */
    dataObjects: version >= 2 ? v.optional(hex) : notIn(version),
    /** The GET PROCESSING OPTIONS answer (hex) of a PBOC application. */
    processingOptions: version >= 2 ? v.optional(hex) : notIn(version),
    /** RELOAD PIN in the PBOC zero-IV form is accepted (absent: not). */
    zeroIvReload: version >= 2 ? v.optional(flag) : notIn(version),
    pins: v.array(pinState(version), ARRAY),
    keys: v.array(keyState, ARRAY),
  };
}

/** One PIN of a DF: the policy with the initial PIN as a salted verifier, never in clear. */
export type PinState = v.InferOutput<ReturnType<typeof pinState>>;
/** One key of a DF with its try counter. */
export type KeyState = v.InferOutput<typeof keyState>;
/** A transparent EF (`size`, `data`) or a record EF (`recordLength`, `maxRecords`, `records`, ...). */
export type EfState = v.InferOutput<ReturnType<typeof efState>>;
/** A DF (the MF too) with its PINs, keys and children. */
export type DfState = v.InferOutput<v.StrictObjectSchema<ReturnType<typeof dfEntries>, undefined>> & {
  children: Array<DfState | EfState>;
};

/** The MF schema of a version; the DF, EF and child schemas below it are made once per version. */
function mfState(version: StateVersion): v.GenericSchema<unknown, DfState> {
  const children = v.array(
    v.lazy(() => childSchema),
    ARRAY,
  );
  const df = object({ ...dfEntries(version), children });
  const childSchema: v.GenericSchema<unknown, DfState | EfState> = v.variant(
    'type',
    [df, efState(version)],
    fileKindMessage,
  );
  return object({
    type: v.literal('df', 'expected "df"'),
    fid: v.pipe(
      fid,
      v.check((s) => parseInt(s, 16) === MF_FID, 'expected "3F00"'),
    ),
    label: v.optional(text),
    applicationBlocked: v.optional(v.never('the MF is not an application')),
    dataObjects: v.optional(v.never('the MF is not an application')),
    processingOptions: v.optional(v.never('the MF is not an application')),
    zeroIvReload: v.optional(v.never('the MF is not an application')),
    pins: v.array(pinState(version), ARRAY),
    keys: v.array(keyState, ARRAY),
    children,
  });
}

/*
 * The schemas of a whole state are built on first use, not when the card OS loads: building them
 * is a good part of the area's load time, and a process that never reads a state (a CLI `--help`,
 * a card built in memory) never needs them.
 */
function buildStateV2() {
  return object({
    format: v.literal(CARD_STATE_FORMAT),
    version: v.literal(CARD_STATE_VERSION),
    /** The 8 card-specific ATR bytes, hex. */
    atrCardBytes: hexBytes(8),
    /** CARD BLOCK was done: the card answers every command 6A81, for good. */
    cardBlocked: flag,
    mf: mfState(2),
  });
}

/**
 * The JSON form of a whole card: the file tree with its contents, PIN records (salted HMAC
 * verifiers and counters, never a PIN in clear), PIN policies with the initial PIN as a salted
 * verifier only, keys with their counters, and the lifecycle (blocked card / applications). Byte
 * strings are uppercase hex; FIDs are 4 hex digits.
 */
export type CardState = v.InferOutput<ReturnType<typeof buildStateV2>>;

/** A version 1 state, migrated: policies sealed, the card not blocked. */
function buildStateV1() {
  return v.pipe(
    object({
      format: v.literal(CARD_STATE_FORMAT),
      version: v.literal(1),
      atrCardBytes: hexBytes(8),
      cardBlocked: notIn(1),
      mf: mfState(1),
    }),
    v.transform(({ atrCardBytes, mf }): CardState => ({
      format: CARD_STATE_FORMAT,
      version: CARD_STATE_VERSION,
      atrCardBytes,
      cardBlocked: false,
      mf,
    })),
  );
}

let stateV1: ReturnType<typeof buildStateV1> | undefined;
let stateV2: ReturnType<typeof buildStateV2> | undefined;

const stateHeader = looseObject({
  format: v.literal(CARD_STATE_FORMAT, `expected "${CARD_STATE_FORMAT}"`),
  version: v.picklist(
    [1, 2],
    (issue) =>
      `unsupported version ${typeof issue.input === 'number' ? String(issue.input) : kindOf(issue.input)} ` +
      `(this build reads version ${CARD_STATE_VERSION} and migrates version 1)`,
  ),
});

/**
 * Any state this build reads, as a version 2 state. A state that is not an object of this format
 * and a readable version meets only the header schema, which refuses it naming `format` or
 * `version`; the others meet the schema of their version.
 */
export const cardStateSchema: v.GenericSchema<unknown, CardState> = v.lazy((input) => {
  const header = v.is(stateHeader, input) ? input : undefined;
  if (header?.version === 1) return (stateV1 ??= buildStateV1());
  if (header?.version === 2) return (stateV2 ??= buildStateV2());
  // Never passes (the input failed it just now); it only names the problem.
  return stateHeader as unknown as v.GenericSchema<unknown, CardState>;
});
