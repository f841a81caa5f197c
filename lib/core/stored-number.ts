import { InvalidArgumentError, quoteKey } from './errors.js';

/**
 * The one increment contract both backends follow, so a counter gives the same numbers wherever
 * it lives: the stored text must be a plain decimal number (`-12`, `0.5`, `1e-18`; no hex, no
 * padding, no `Infinity`), the sum is the IEEE 754 double `current + by` that JavaScript computes
 * (integers exact up to 2^53), a sum that overflows to ±Infinity is refused with nothing written,
 * and the result is stored as text that parses back to exactly that double. The Redis store runs
 * the same rules in Lua (lib/redis/scripts/lua-scripts.ts); keep both in step.
 */

/** Decimal text increment accepts: an optional minus, digits with an optional point, an optional exponent. */
const DECIMAL_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The finite number a stored text holds under the increment contract, or undefined when it holds none. */
export function parseStoredNumber(text: string): number | undefined {
  if (!DECIMAL_TEXT.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** The text increment stores for `value`: shortest round-trip decimal, keeping the sign of -0. */
export function formatStoredNumber(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** The refusal of an increment whose result would not be a finite number; nothing was written. */
export function incrementOverflowError(key: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `Cannot increment key ${quoteKey(key)}: the result would overflow to Infinity; nothing was written`,
  );
}

/** `current + by`, or {@link incrementOverflowError} when the sum is not finite. */
export function addForIncrement(key: string, current: number, by: number): number {
  const next = current + by;
  if (!Number.isFinite(next)) throw incrementOverflowError(key);
  return next;
}
