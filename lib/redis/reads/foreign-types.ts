import { DeserializationError } from '../../core/errors.js';

/**
 * How the store's read scripts return a key that holds another Redis type (a list, a hash...
 * written by another client) instead of a value: a one-element array with the type's name. A
 * value is always a bulk string, so an array cannot be mistaken for one.
 */
export type ForeignTypeMarker = readonly [string | Buffer];

/** Whether a raw reply element is a {@link ForeignTypeMarker}. */
export function isForeignTypeMarker(raw: unknown): raw is ForeignTypeMarker {
  return Array.isArray(raw);
}

/** Whether `error` is Redis' WRONGTYPE reply (a string command used on another type). */
export function isWrongTypeReply(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}

/**
 * The error every read (get, getMany, rangeGet, iterate) raises for a key of this store that
 * holds a Redis `type` other than a string: a `DeserializationError` naming the key and the type.
 */
export function foreignTypeError(key: string, type: string | Buffer): DeserializationError {
  return new DeserializationError(
    key,
    `it holds a Redis ${String(type)}, not a value this store wrote (another client wrote it under the store's prefix); delete or overwrite the key`,
  );
}
