import { InvalidArgumentError } from 'commander';

/**
 * A commander parser for an option or argument that is a whole number from `min` to `max`: digits
 * only (no sign, point, exponent or blanks, which `Number` would accept), anything else refused
 * with `message`.
 */
export function wholeNumberOption(
  min: number,
  max: number,
  message = `must be a whole number from ${min} to ${max}`,
): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^[0-9]+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(message);
    return n;
  };
}
