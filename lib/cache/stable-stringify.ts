import { InvalidArgumentError } from '../core/errors.js';

/**
 * Encodes a value as text that is equal for equal data, whatever the key order of its objects:
 * `{ a: 1, b: 2 }` and `{ b: 2, a: 1 }` encode alike, so they share a `@Cached` entry.
 *
 * Plain objects are encoded with sorted keys (properties holding `undefined` are skipped, as
 * in JSON); arrays keep their order; `Map` entries and `Set` members are sorted by their encoding;
 * objects with `toJSON` (such as `Date`) are encoded through it; `undefined`, `NaN`, `±Infinity`,
 * `-0` and bigints get tags that JSON lacks, so `f(undefined)` and `f(null)` differ.
 * Functions, symbols and circular structures cannot describe a call: they throw
 * {@link InvalidArgumentError} (give `@Cached` a `key` function for such arguments).
 */
export function stableStringify(value: unknown): string {
  const flat = Array.isArray(value) ? encodeFlatArray(value) : undefined;
  if (flat !== undefined) return flat;
  try {
    // Cache keys are built on every call: the fast pass tracks no paths.
    return encode(value, new Set<object>(), undefined);
  } catch (error) {
    if (!(error instanceof Unencodable)) throw error;
    // Encode again, tracking paths, only to name where the bad value sits.
    return encode(value, new Set<object>(), '$');
  }
}

/**
 * The common case of cache keys, an argument list of plain strings, finite numbers, booleans and
 * nulls, encoded without the general walk; undefined when any item needs it.
 */
function encodeFlatArray(items: readonly unknown[]): string | undefined {
  let text = '[';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    let part: string;
    if (typeof item === 'string') part = JSON.stringify(item);
    else if (typeof item === 'number' && Number.isFinite(item) && !Object.is(item, -0))
      part = String(item);
    else if (typeof item === 'boolean' || item === null) part = String(item);
    else return undefined;
    text += i === 0 ? part : `,${part}`;
  }
  return `${text}]`;
}

/** Thrown by the fast pass, which does not know the path of the value it cannot encode. */
class Unencodable extends Error {}

/** `path` undefined: the fast pass; a string: the path of `value` for error messages. */
type Path = string | undefined;

function child(path: Path, suffix: string): Path {
  return path === undefined ? undefined : `${path}${suffix}`;
}

function fail(path: Path, reason: string): never {
  if (path === undefined) throw new Unencodable(reason);
  throw new InvalidArgumentError(`cannot derive a cache key from ${path}: ${reason}`);
}

function encode(value: unknown, ancestors: Set<object>, path: Path): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (Object.is(value, -0)) return '-0';
      return Number.isFinite(value) ? String(value) : `#${String(value)}`;
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return '#undefined';
    case 'function':
    case 'symbol':
      return fail(path, `a ${typeof value} has no stable encoding; give @Cached a key function`);
    default:
      return value === null ? 'null' : encodeObject(value as object, ancestors, path);
  }
}

function encodeObject(value: object, ancestors: Set<object>, path: Path): string {
  if (ancestors.has(value)) fail(path, 'it is circular; give @Cached a key function');
  ancestors.add(value);
  try {
    return encodeContainer(value, ancestors, path);
  } finally {
    ancestors.delete(value);
  }
}

function encodeContainer(value: object, ancestors: Set<object>, path: Path): string {
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => encode(item, ancestors, child(path, `[${i}]`))).join(',')}]`;
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return `#bytes:${bytes.toString('base64')}`;
  }
  if (value instanceof Map) {
    const entries = [...value].map(
      ([key, item]) =>
        `${encode(key, ancestors, child(path, '<key>'))}=>${encode(item, ancestors, child(path, '<value>'))}`,
    );
    return `#map{${entries.sort().join(',')}}`;
  }
  if (value instanceof Set) {
    const members = [...value].map((item) => encode(item, ancestors, child(path, '<member>')));
    return `#set{${members.sort().join(',')}}`;
  }
  const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    return encode(toJSON.call(value), ancestors, path);
  }
  const record = value as Record<string, unknown>;
  const fields = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map(
      (key) => `${JSON.stringify(key)}:${encode(record[key], ancestors, child(path, `.${key}`))}`,
    );
  return `{${fields.join(',')}}`;
}
