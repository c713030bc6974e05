import { expect } from 'vitest';

/** Runs `fn`, expecting it to throw an instance of `cls` whose message matches `message`. */
export function expectThrowsClass(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => Error,
  message?: RegExp,
): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(cls);
  const err = caught as Error;
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}
