/**
 * Compares two keys by the order of their UTF-8 bytes, which is Unicode code point order and the
 * order Redis uses. JavaScript's `<` compares UTF-16 code units instead, which puts characters
 * outside the Basic Multilingual Plane (surrogate pairs, 0xD800-0xDFFF) before U+E000-U+FFFF.
 * Returns a negative number, zero or a positive number.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const length = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Only when both units are >= 0xD800 can UTF-16 order disagree with code point order.
      if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000-U+FFFF so that code units sort in code point order. */
function codePointRank(unit: number): number {
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/**
 * The smallest key that sorts after `key`: used to resume a scan just past the last key seen.
 */
export function keySuccessor(key: string): string {
  return `${key}\u0000`;
}
