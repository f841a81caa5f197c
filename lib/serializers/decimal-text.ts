/**
 * The decimal notations a store writes for a number: `String(n)` of the rich serializer, Redis
 * `INCRBYFLOAT` (fixed notation) and `%.17g` (exponent with a sign). Anything else Number()
 * would accept (hexadecimal, binary, padding spaces, a plus sign, "Infinity") was written by
 * someone else and is refused rather than guessed at.
 */
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Parses stored decimal text into a finite number; throws a `TypeError` saying why for text that
 * is not a plain decimal number or does not fit a double (`1e400`).
 */
export function parseDecimalText(text: string): number {
  if (!DECIMAL.test(text)) {
    throw new TypeError('the bytes are neither structured-clone data nor a decimal number');
  }
  const number = Number(text);
  if (!Number.isFinite(number)) {
    throw new TypeError(`the decimal number ${text.slice(0, 40)} is not finite as a double`);
  }
  return number;
}
