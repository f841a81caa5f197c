import { InvalidOptionsError, SerializationError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import type { RawValue } from '../../core/types.js';

/**
 * Largest serialized value a Redis store sends unless told otherwise, in bytes (64 MiB). Redis
 * refuses a bulk string over `proto-max-bulk-len` (512 MB by default) by dropping the connection,
 * which fails every other call in flight on it; the store checks the size before sending instead.
 */
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024 * 1024;

/** Validates the `maxValueBytes` option (a positive integer of bytes) and applies the default. */
export function resolveMaxValueBytes(option: unknown): number {
  if (option === undefined) return DEFAULT_MAX_VALUE_BYTES;
  if (typeof option !== 'number' || !Number.isSafeInteger(option) || option <= 0) {
    throw new InvalidOptionsError(
      `maxValueBytes must be a positive integer of bytes; got ${describeValue(option)}`,
    );
  }
  return option;
}

/**
 * Throws a {@link SerializationError} naming `key` when the serialized value is over
 * `maxBytes`. Text is measured in UTF-8 only when it could be over: a UTF-16 code unit is at most
 * 3 bytes, so short text (nearly every value) costs one comparison.
 */
export function assertValueSize(key: string, raw: RawValue, maxBytes: number): void {
  if (typeof raw === 'string' && raw.length * 3 <= maxBytes) return;
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.length;
  if (bytes > maxBytes) {
    throw new SerializationError(
      key,
      `the serialized value is ${bytes} bytes, over maxValueBytes (${maxBytes}); nothing was sent`,
    );
  }
}
