/**
 * A short description of a bad argument for error messages: numbers and booleans as written,
 * strings quoted and cut at 50 characters, objects and functions by their type only, so a
 * message never dumps a large or nested value.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 50 ? `${value.slice(0, 50)}…` : value);
  }
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
