import { expect } from 'vitest';

/** An error class, abstract ones included (the SDK's base error classes are abstract). */
export type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** What else a caught error must show besides its class. */
export interface ExpectedError {
  /** The error's stable `code`. */
  code?: string;
  /** A pattern, or a substring, of its message. */
  message?: RegExp | string;
}

/** Runs `fn` and returns what it threw; fails the test if it returned normally. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.unreachable('expected a throw');
}

/** Awaits `promise` and returns its rejection reason; fails the test if it fulfilled. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.unreachable('expected a rejection');
}

function checked<E extends Error>(caught: unknown, cls: ErrorClass<E>, expectedOrMessage: ExpectedError | RegExp): E {
  const expected = expectedOrMessage instanceof RegExp ? { message: expectedOrMessage } : expectedOrMessage;
  expect(caught, `expected a ${cls.name}`).toBeInstanceOf(cls);
  const error = caught as E;
  if (expected.code !== undefined) expect((error as { code?: unknown }).code).toBe(expected.code);
  if (expected.message !== undefined) expect(error.message).toMatch(expected.message);
  return error;
}

/**
 * Runs `fn`, expecting it to throw an instance of `cls` (with `expected.code` and a message
 * matching `expected.message` when given; a RegExp alone is the message pattern); returns the
 * error, typed, for further assertions.
 */
export function expectThrowsClass<E extends Error>(
  fn: () => unknown,
  cls: ErrorClass<E>,
  expected: ExpectedError | RegExp = {},
): E {
  return checked(thrown(fn), cls, expected);
}

/** {@link expectThrowsClass} for a promise that must reject. */
export async function expectRejectsClass<E extends Error>(
  promise: Promise<unknown>,
  cls: ErrorClass<E>,
  expected: ExpectedError | RegExp = {},
): Promise<E> {
  return checked(await rejection(promise), cls, expected);
}

/**
 * For properties over arbitrary input: runs `fn`, which must either return (its result is
 * returned) or throw an instance of `cls` (undefined is returned); any other error fails the test.
 */
export function resultOrRefusal<T, E extends Error>(fn: () => T, cls: ErrorClass<E>): T | undefined {
  try {
    return fn();
  } catch (error) {
    expect(error, `expected a result or a ${cls.name}`).toBeInstanceOf(cls);
    return undefined;
  }
}
