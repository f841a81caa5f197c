import { InvalidArgumentError, InvalidOptionsError, SerializationError } from './errors.js';
import { describeValue } from './describe-value.js';

/** Longest key accepted, in UTF-16 code units (long enough for any URL a crawler keeps). */
export const MAX_KEY_LENGTH = 8192;

interface MaybeWellFormed {
  isWellFormed?: () => boolean;
}

/** Throws {@link InvalidArgumentError} unless `key` is a non-empty, well-formed string within {@link MAX_KEY_LENGTH}. */
export function assertKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidArgumentError(`${what} must be a string; got ${describeValue(key)}`);
  }
  if (key.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidArgumentError(
      `${what} is ${key.length} characters long; the maximum is ${MAX_KEY_LENGTH}`,
    );
  }
  // A lone surrogate has no UTF-8 encoding: Redis would store U+FFFD and the key would change.
  if ((key as MaybeWellFormed).isWellFormed?.() === false) {
    throw new InvalidArgumentError(`${what} contains a lone UTF-16 surrogate and cannot be stored`);
  }
}

/** Throws {@link InvalidArgumentError} unless `keys` is an array of valid keys. */
export function assertKeys(keys: unknown, what = 'keys'): asserts keys is string[] {
  if (!Array.isArray(keys)) {
    throw new InvalidArgumentError(
      `${what} must be an array of strings; got ${describeValue(keys)}`,
    );
  }
  for (let i = 0; i < keys.length; i++) assertKey(keys[i], `${what}[${i}]`);
}

/** Throws a {@link SerializationError} naming the key when the whole value is `undefined`. */
export function assertValue(key: string, value: unknown): void {
  if (value === undefined) {
    throw new SerializationError(key, 'undefined cannot be stored; use delete() to remove a key');
  }
}

/** Throws unless `limit` is undefined or a positive safe integer. */
export function assertLimit(limit: unknown, what = 'limit'): asserts limit is number | undefined {
  if (limit === undefined) return;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit <= 0) {
    throw new InvalidArgumentError(
      `${what} must be a positive integer; got ${describeValue(limit)}`,
    );
  }
}

/**
 * Throws unless `options` is undefined or a plain object whose keys are all in `allowed`.
 * `kind` says whose options they are ("put options", "memory store options").
 */
export function assertKnownOptions(
  options: unknown,
  allowed: readonly string[],
  kind: string,
  ErrorType: typeof InvalidArgumentError | typeof InvalidOptionsError = InvalidArgumentError,
): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ErrorType(`${kind} must be an object; got ${describeValue(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!allowed.includes(name)) {
      throw new ErrorType(
        `${kind} has an unknown option "${name}"; valid options are ${allowed.join(', ')}`,
      );
    }
  }
}
